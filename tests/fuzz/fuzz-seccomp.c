/* linux.seccomp: parse the section, then translate it with libseccomp
   (brig_seccomp_prepare, no cache dir: nothing touches the disk). */
#include "fuzz-common.h"
#include "seccomp.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct oci_seccomp *s = fuzz_parse_roundtrip (&oci_seccomp_type, data, size);
  struct brig_seccomp *sc = NULL;
  struct brig_error *err = NULL;

  if (s == NULL)
    return 0;
  if (brig_seccomp_prepare (s, NULL, &sc, &err) == 0 && sc)
    {
      (void) brig_seccomp_uses_notify (sc);
      brig_seccomp_free (sc);
    }
  brig_error_free (&err);
  ocispec_free (&oci_seccomp_type, s);
  return 0;
}
