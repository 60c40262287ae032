/* Mounts in a user namespace: what the kernel refuses there falls back
 * the way runc and crun do (sysfs and mqueue bound from the host, devpts
 * without unmapped gid=), or fails with the reason and the fix. */
#ifndef BRIG_ROOTLESS_H
#define BRIG_ROOTLESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

struct brig_rootless_mount
{
  const char *type;
  const char *source;
  const char *dest;     /* in the container, for messages */
  int target;           /* O_PATH of the mountpoint */
  unsigned long flags;  /* MS_* */
  const char *data;
  bool userns;          /* the container has a user namespace */
};

/* The mount M failed with ERRNUM (the error is in *err): try the
   fallback.  0 when it worked (*err is cleared), else -1 with *err
   explaining why. */
int brig_rootless_mount_fallback (const struct brig_rootless_mount *m, int errnum, struct brig_error **err);

/* The processes of a container that has no cgroup (rootless without
   delegation): every process in the init's pid namespace, or without
   one, the init and its descendants.  The init comes first. */
int brig_rootless_pids (pid_t init, pid_t **pids, size_t *n);

#endif
