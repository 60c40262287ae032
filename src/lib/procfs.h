/* A verified procfs: every /proc read or write of the runtime goes through
 * a handle checked to be the root of a real procfs (fstatfs magic, inode
 * 1), opened beneath it without following any symlink, so a container
 * that mounts over /proc or plants symlinks cannot redirect the write
 * (CVE-2019-16884, CVE-2019-19921, CVE-2025-52881). */
#ifndef BRIG_PROCFS_H
#define BRIG_PROCFS_H

#include <stddef.h>

#include "error.h"

/* Open and verify the procfs mounted at PATH (e.g. "/proc").  Returns an
   O_PATH fd or -1. */
int brig_procfs_open_root (const char *path, struct brig_error **err);

/* The handle for this process's current /proc (cached; reset it with
   brig_procfs_reset after pivot_root). */
int brig_procfs_root (struct brig_error **err);
void brig_procfs_reset (void);

/* Open REL ("self/attr/exec", "sys/net/ipv4/ip_forward", "1234/uid_map")
   beneath the verified procfs; the opened file is checked to be on procfs. */
int brig_procfs_openat (const char *rel, int flags, struct brig_error **err);
int brig_procfs_write (const char *rel, const char *data, size_t len, struct brig_error **err);

#endif
