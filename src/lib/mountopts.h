/* mounts[].options: runc's option words to mount flags, propagation,
 * recursive attributes (mount_setattr) and the filesystem data string. */
#ifndef BRIG_MOUNTOPTS_H
#define BRIG_MOUNTOPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct brig_mount_opts
{
  unsigned long flags;        /* MS_* to set */
  unsigned long clear;        /* MS_* explicitly cleared (rw, suid, dev, ...) */
  unsigned long propagation;  /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE (| MS_REC) */
  uint64_t attr_set;          /* MOUNT_ATTR_* for the r* options */
  uint64_t attr_clr;
  bool atime_set; /* an r*atime option was given */
  bool bind, rbind, idmap, ridmap, tmpcopyup;
  char *data;                 /* the other options, comma separated, or NULL */
};

int brig_mount_opts_parse (char *const *opts, size_t n, struct brig_mount_opts *out,
                           struct brig_error **err);
void brig_mount_opts_clear (struct brig_mount_opts *o);

#endif
