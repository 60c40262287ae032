/* User namespace id mappings: written directly when the kernel lets us,
 * else through the setuid newuidmap/newgidmap helpers (rootless with
 * subordinate ids). */
#ifndef BRIG_USERNS_H
#define BRIG_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

/* Write PID's uid_map and gid_map from linux.uidMappings/gidMappings. */
int brig_userns_write_maps (pid_t pid, const struct oci_linux *lx, struct brig_error **err);

#endif
