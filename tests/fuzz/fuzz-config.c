/* config.json: the table-driven parser (ocispec_parse of oci_spec), the
   printer round trip, and the checks create runs before touching anything
   (brig_config_validate, brig_sysctl_validate, brig_process_prepare). */
#include "fuzz-common.h"
#include "config.h"
#include "process.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct oci_spec *s = fuzz_parse_roundtrip (&oci_spec_type, data, size);
  struct brig_error *err = NULL;

  if (s == NULL)
    return 0;
  if (brig_config_validate (s, &err) == 0 && brig_sysctl_validate (s, &err) == 0)
    {
      struct brig_process_plan plan;
      if (brig_process_prepare (s, s->process, "process", &plan, &err) == 0)
        free (plan.envp);
    }
  brig_error_free (&err);
  oci_spec_free (s);
  return 0;
}
