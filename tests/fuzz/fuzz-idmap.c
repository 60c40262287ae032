/* uid/gid mappings: linux.uidMappings/gidMappings parsed from a linux
   section, brig_userns_validate on them, the map text written to
   /proc/PID/uid_map (format_map, static in userns.c, so userns.c is part
   of this file), and /etc/subuid parsing (brig_subid_read) on the input.
   The build (tests/fuzz/build.sh) links the other objects without
   userns.o. */
#define _GNU_SOURCE
#include <sys/mman.h>
#include <unistd.h>

#include "../../src/lib/userns.c"
#include "fuzz-common.h"

static void
check_map (struct oci_id_mapping **m, size_t n)
{
  char *txt = format_map (m, n);
  size_t lines = 0;
  char *p;
  for (p = txt; *p; p++)
    if (*p == '\n')
      lines++;
  if (lines != n)
    abort ();
  free (txt);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct oci_linux *lx = fuzz_parse_roundtrip (&oci_linux_type, data, size);
  static int mfd = -1;

  if (lx)
    {
      struct oci_spec s = { 0 };
      struct brig_error *err = NULL;
      s.linux_ = lx;
      brig_userns_validate (&s, &err);
      brig_error_free (&err);
      check_map (lx->uid_mappings, lx->uid_mappings_len);
      check_map (lx->gid_mappings, lx->gid_mappings_len);
      ocispec_free (&oci_linux_type, lx);
    }

  /* the same bytes as an /etc/subuid file */
  if (mfd < 0)
    mfd = memfd_create ("subuid", MFD_CLOEXEC);
  if (mfd >= 0 && ftruncate (mfd, 0) == 0 && pwrite (mfd, data, size, 0) == (ssize_t) size)
    {
      char path[64];
      struct brig_subid_range *r = NULL;
      size_t nr = 0;
      snprintf (path, sizeof (path), "/proc/self/fd/%d", mfd);
      if (brig_subid_read (path, "root", 0, &r, &nr) == 0)
        {
          (void) brig_subid_total (r, nr);
          free (r);
        }
    }
  return 0;
}
