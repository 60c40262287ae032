/* A verified procfs: every /proc read or write of the runtime goes through
 * a handle checked to be the root of a real procfs (fstatfs magic, inode
 * 1), opened beneath it without following any symlink, so a container
 * that mounts over /proc or plants symlinks cannot redirect the write
 * (CVE-2019-16884, CVE-2019-19921, CVE-2025-52881).
 *
 * A process entering a container takes a handle the container can never
 * reach: a private procfs instance (fsopen + fsmount, attached nowhere),
 * else a detached clone (open_tree OPEN_TREE_CLONE) of the /proc it sees
 * before touching the rootfs, else that /proc opened and verified.  The
 * fallbacks are forced with BRIG_FORCE_NO_FSOPEN_PROC=1 (clone) and
 * BRIG_FORCE_NO_PROC_CLONE=1 or BRIG_FORCE_NO_MOUNT_API=1 (verified open).
 */
#ifndef BRIG_PROCFS_H
#define BRIG_PROCFS_H

#include <stddef.h>

#include "error.h"

/* Open and verify the procfs mounted at PATH (e.g. "/proc").  Returns an
   O_PATH fd or -1. */
int brig_procfs_open_root (const char *path, struct brig_error **err);

/* The handle (cached): the one taken below, or else this process's /proc
   opened and verified on first use.  Reset closes it. */
int brig_procfs_root (struct brig_error **err);
void brig_procfs_reset (void);

/* Take the handle from the /proc of this mount namespace now, while it is
   still the one to trust: a detached clone of it, or it verified. */
int brig_procfs_pin (struct brig_error **err);

/* Make the handle a private procfs instance of the current pid namespace.
   Call it once every namespace is joined.  Where that is refused (EPERM
   rootless without a pid namespace, an old kernel), keep the pinned
   handle, or pin one now. */
int brig_procfs_private (struct brig_error **err);

/* Open REL ("self/attr/exec", "sys/net/ipv4/ip_forward", "1234/uid_map")
   beneath the verified procfs; the opened file is checked to be on procfs. */
int brig_procfs_openat (const char *rel, int flags, struct brig_error **err);
int brig_procfs_write (const char *rel, const char *data, size_t len, struct brig_error **err);

#endif
