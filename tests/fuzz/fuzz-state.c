/* state.json as brig reads it back (brig_state_read: ocispec_parse of
   brig_state), with the printer round trip brig_state_write relies on. */
#include "fuzz-common.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct brig_state *st = fuzz_parse_roundtrip (&brig_state_type, data, size);
  if (st)
    ocispec_free (&brig_state_type, st);
  /* and the public state document (`state` output, hooks' stdin) */
  st = fuzz_parse_roundtrip (&oci_state_type, data, size);
  if (st)
    ocispec_free (&oci_state_type, st);
  return 0;
}
