/* The container's filesystem: mounts, /dev, pivot_root, masked and
 * read-only paths.  Runs in the container process, in its new mount
 * namespace.  Every path inside the rootfs is resolved by inroot.h. */
#ifndef BRIG_ROOTFS_H
#define BRIG_ROOTFS_H

#include <stdbool.h>

#include "error.h"
#include "ocispec.h"

struct brig_rootfs
{
  const struct oci_spec *spec;
  const char *rootfs;    /* absolute host path of root.path */
  const char *bundle;    /* relative mount sources are relative to it */
  bool userns;           /* in a user namespace: no mknod, locked flags */
  bool new_cgroupns;
  bool new_netns;
  bool no_pivot;
  int rootfd;            /* O_PATH of the rootfs mount, set by prepare */
  int devnull;           /* O_PATH of the host's /dev/null, checked 1:3, or -1 */
  const int *idmap_fds;  /* per mounts[] entry: an id-mapped mount the parent made, or -1 (idmap.h) */
};

/* Propagation, the rootfs bind, every mounts[] entry, /dev.  Before the
   createContainer hooks. */
int brig_rootfs_prepare (struct brig_rootfs *r, struct brig_error **err);

/* readonlyPaths, then maskedPaths (files get the host's /dev/null that
   prepare took, directories one read-only tmpfs).  Before pivot_root,
   while that /dev/null is still in our mount namespace to bind from. */
int brig_rootfs_mask (struct brig_rootfs *r, struct brig_error **err);

/* pivot_root (or MS_MOVE + chroot with --no-pivot). */
int brig_rootfs_pivot (struct brig_rootfs *r, struct brig_error **err);

/* After pivot_root: root.readonly, rootfsPropagation. */
int brig_rootfs_finalize (struct brig_rootfs *r, struct brig_error **err);

#endif
