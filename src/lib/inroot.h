/* The one way brig opens paths inside a container rootfs: relative to a
 * dirfd of the root, with every symlink resolved as if that dir were "/"
 * (openat2 RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so no path in a
 * hostile rootfs can lead outside it.  When openat2 is missing (kernel <
 * 5.6) a userspace walker does the same; BRIG_FORCE_NO_OPENAT2=1 forces it
 * so the tests cover both. */
#ifndef BRIG_INROOT_H
#define BRIG_INROOT_H

#include <sys/types.h>

#include "error.h"

/* Open PATH inside ROOTFD. */
int brig_inroot_open (int rootfd, const char *path, int flags, mode_t mode, struct brig_error **err);

/* Make every missing directory of PATH inside ROOTFD (mkdirat one
   component at a time, never following a link out), and return an O_PATH
   fd of the last one. */
int brig_inroot_mkdir_all (int rootfd, const char *path, mode_t mode, struct brig_error **err);

/* Like mkdir_all for the parent, then make PATH an empty file if it does
   not exist (bind-mount target for a file); returns an O_PATH fd. */
int brig_inroot_mkfile (int rootfd, const char *path, mode_t mode, struct brig_error **err);

/* Open PATH beneath DIRFD following no symlink at all (procfs, sysfs,
   cgroupfs knobs). */
int brig_openat_beneath (int dirfd, const char *path, int flags, struct brig_error **err);

/* "/proc/self/fd/N" for an fd, for syscalls that only take paths. */
const char *brig_fd_path (int fd, char buf[static 32]);

#endif
