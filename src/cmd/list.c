#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "utils.h"

int
cmd_list (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  static const struct option o[] = {
    { "format", required_argument, NULL, 'f' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  static const char *const h[] = { "table or json", "print only the ids", "this help" };
  const char *format = "table";
  bool quiet = false;
  struct oci_state **st = NULL;
  size_t n = 0, i;
  int c;

  while ((c = getopt_long (argc, argv, "+f:qh", o, NULL)) != -1)
    switch (c)
      {
      case 'f':
        format = optarg;
        break;
      case 'q':
        quiet = true;
        break;
      case 'h':
        brig_cmd_help ("list", o, h);
        exit (0);
      default:
        return brig_error_set (err, 0, "list: unknown option `%s`", argv[optind - 1]), 1;
      }
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    return brig_error_set (err, 0, "list: --format: unknown format `%s` (table or json)", format), 1;
  if (argc > optind)
    return brig_error_set (err, 0, "list: unexpected argument `%s`", argv[optind]), 1;
  if (brig_container_list (g, &st, &n, err) < 0)
    return 1;
  if (quiet)
    for (i = 0; i < n; i++)
      puts (st[i]->id);
  else if (strcmp (format, "json") == 0)
    {
      fputc ('[', stdout);
      for (i = 0; i < n; i++)
        {
          char *j = ocispec_print (&oci_state_type, st[i], false, NULL);
          printf ("%s%s", i ? "," : "", j);
          free (j);
        }
      fputs ("]\n", stdout);
    }
  else
    {
      printf ("%-12s%-12s%-12s%-40s%-32s%s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
      for (i = 0; i < n; i++)
        printf ("%-12s%-12d%-12s%-40s%-32s%s\n", st[i]->id, st[i]->pid, st[i]->status, st[i]->bundle,
                st[i]->created, st[i]->owner);
    }
  for (i = 0; i < n; i++)
    ocispec_free (&oci_state_type, st[i]);
  free (st);
  return 0;
}
