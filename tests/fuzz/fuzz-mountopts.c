/* mounts[].options: the input is the option list, one option per
   NUL- or newline-separated piece.  An option with a comma inside is
   refused by the parser; the data string it builds must never have an
   empty piece (regression: an empty option gave ",mode=755"). */
#include <string.h>

#include "fuzz-common.h"
#include "mountopts.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *buf = malloc (size + 1);
  char **opts = calloc (size + 2, sizeof (char *));
  size_t n = 0, i, start = 0;
  struct brig_mount_opts o;
  struct brig_error *err = NULL;

  memcpy (buf, data, size);
  buf[size] = '\0';
  for (i = 0; i <= size; i++)
    if (i == size || buf[i] == '\0' || buf[i] == '\n')
      {
        buf[i] = '\0';
        opts[n++] = buf + start;
        start = i + 1;
      }
  memset (&o, 0, sizeof (o));
  if (brig_mount_opts_parse (opts, n, &o, &err) == 0)
    {
      /* the data string is what mount(2) gets: NUL-terminated, no empty
         pieces at the ends */
      if (o.data && (*o.data == '\0' || o.data[0] == ',' || o.data[strlen (o.data) - 1] == ','
                     || strstr (o.data, ",,")))
        abort ();
    }
  brig_mount_opts_clear (&o);
  brig_error_free (&err);
  free (opts);
  free (buf);
  return 0;
}
