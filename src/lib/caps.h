/* process.capabilities through libcap: all five sets, computed only from
 * the config (an absent set is empty, inheritable included: CVE-2022-29162). */
#ifndef BRIG_CAPS_H
#define BRIG_CAPS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "ocispec.h"

struct brig_caps
{
  uint64_t bounding, effective, inheritable, permitted, ambient;
};

/* In the runtime parent: names -> bits; unknown names are an error naming
   the field; capabilities this kernel lacks are skipped. */
int brig_caps_parse (const struct oci_capabilities *c, const char *field, struct brig_caps *out,
                     struct brig_error **err);

/* In the container process, before changing uid: drop every capability
   not in the bounding set. */
int brig_caps_drop_bounding (const struct brig_caps *c, struct brig_error **err);

/* After the uid change (with PR_SET_KEEPCAPS): set effective, permitted,
   inheritable, then ambient.  EXTRA is added to effective and permitted
   (e.g. CAP_SYS_ADMIN kept until seccomp is loaded), 0 for none. */
int brig_caps_apply (const struct brig_caps *c, uint64_t extra, struct brig_error **err);

/* "CAP_SYS_ADMIN" -> 21, -1 if unknown. */
int brig_cap_from_name (const char *name);

#endif
