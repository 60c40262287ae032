/* Id-mapped mounts (mounts[].uidMappings/gidMappings, the `idmap` and
 * `ridmap` options): a detached mount (open_tree of a bind source, or
 * fsopen/fsmount of any other type) gets mount_setattr(MOUNT_ATTR_IDMAP)
 * with a user namespace made for the mapping, then is moved onto its
 * destination.  Root makes them in the parent, before the container's
 * user namespace exists (only the initial namespace controls the host's
 * filesystems); an unprivileged user's init tries in the container, with
 * the mapping's host ids turned into the container's own, and the kernel
 * decides (a tmpfs the container mounted: yes; a host filesystem: no). */
#ifndef BRIG_IDMAP_H
#define BRIG_IDMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "mountopts.h"
#include "ocispec.h"

bool brig_idmap_wanted (const struct oci_mount *m, const struct brig_mount_opts *o);

/* Parent side (root only): *fds[i] is the detached mount for mounts[i],
   or -1; *fds is NULL when no mount is id-mapped. */
int brig_idmap_prepare (const struct oci_spec *s, const char *bundle, int **fds, struct brig_error **err);
void brig_idmap_close (int *fds, size_t n);

/* In the container's mount namespace: put mounts[IDX] (id-mapped) on its
   destination under ROOTFD, from FDS[IDX] if the parent made it, else
   making it here.  USERNS: the init is in a user namespace. */
int brig_idmap_mount (const struct oci_spec *s, const char *bundle, int rootfd, const int *fds, bool userns,
                      size_t idx, const struct brig_mount_opts *o, struct brig_error **err);

#endif
