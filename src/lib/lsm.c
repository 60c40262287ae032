#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "lsm.h"
#include "procfs.h"
#include "utils.h"

#ifndef SELINUX_MAGIC
# define SELINUX_MAGIC 0xf97cff8c
#endif

bool
brig_apparmor_enabled (void)
{
  char c = 'N';
  int fd = open ("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  if (read (fd, &c, 1) != 1)
    c = 'N';
  close (fd);
  return c == 'Y';
}

bool
brig_selinux_enabled (void)
{
  struct statfs sfs;
  return statfs ("/sys/fs/selinux", &sfs) == 0 && sfs.f_type == SELINUX_MAGIC;
}

int
brig_lsm_check (const char *apparmor, const char *selinux, const char *field, struct brig_error **err)
{
  if (apparmor && *apparmor && ! brig_apparmor_enabled ())
    return brig_error_set (err, 0, "%s.apparmorProfile: `%s` asked for, but AppArmor is not enabled on this host",
                           field, apparmor);
  if (selinux && *selinux && ! brig_selinux_enabled ())
    return brig_error_set (err, 0, "%s.selinuxLabel: `%s` asked for, but SELinux is not enabled on this host",
                           field, selinux);
  return 0;
}

int
brig_lsm_set_exec (const char *apparmor, const char *selinux, struct brig_error **err)
{
  if (apparmor && *apparmor)
    {
      _cleanup_free_ char *v = xasprintf ("exec %s", apparmor);
      /* the LSM stacking interface first, the shared one on older kernels */
      if (brig_procfs_write ("thread-self/attr/apparmor/exec", v, strlen (v), NULL) < 0
          && brig_procfs_write ("thread-self/attr/exec", v, strlen (v), err) < 0)
        return brig_error_prefix (err, "process.apparmorProfile `%s`", apparmor);
    }
  if (selinux && *selinux)
    {
      if (brig_procfs_write ("thread-self/attr/exec", selinux, strlen (selinux), err) < 0)
        return brig_error_prefix (err, "process.selinuxLabel `%s`", selinux);
    }
  return 0;
}
