/* Mounting through file descriptors (the new mount API: open_tree,
 * mount_setattr, move_mount), so no mount ever re-resolves a path the
 * container could have changed.  On kernels without it, the same through
 * /proc/self/fd/N magic links. */
#ifndef BRIG_MOUNTFD_H
#define BRIG_MOUNTFD_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* false on a kernel without open_tree/move_mount/fsopen, or when forced
   with BRIG_FORCE_NO_MOUNT_API=1. */
bool brig_have_mount_api (void);

/* Bind the tree at SRC_FD (any fd, O_PATH is fine) onto DST_FD, with
   MOUNT_ATTR_* set/cleared on the new mount (recursively if ATTR_REC).
   WHAT names the mount in errors. */
int brig_bind_fd (int src_fd, int dst_fd, bool recursive, uint64_t attr_set, uint64_t attr_clr,
                  bool attr_rec, const char *what, struct brig_error **err);

/* A new filesystem of TYPE, attached nowhere: fsopen, "source" SOURCE
   (NULL: TYPE), DATA's comma-separated "key=value" and flag words, create,
   fsmount with the MOUNT_ATTR_* ATTRS.  Returns the tree's fd.  A kernel
   without fsopen fails with ENOSYS, and brig_have_mount_api() is false
   from then on. */
int brig_fsmount (const char *type, const char *source, const char *data, uint64_t attrs,
                  struct brig_error **err);

/* Change attributes of the mount whose root is FD. */
int brig_setattr_fd (int fd, uint64_t attr_set, uint64_t attr_clr, bool recursive, const char *what,
                     struct brig_error **err);

/* MS_* flags of the mount holding FD (from fstatvfs), the ones a remount
   must keep because they are locked in a user namespace. */
unsigned long brig_mount_locked_flags (int fd);

/* MS_RDONLY|MS_NOSUID|... -> MOUNT_ATTR_* */
uint64_t brig_ms_to_attr (unsigned long ms);

#endif
