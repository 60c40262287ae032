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

/* Write V to the process's own attr file REL through the verified procfs.
   Returns the errno of a failed write (the LSM's verdict) as a positive
   number, -1 for any other failure. */
static int
write_attr (const char *rel, const char *v, struct brig_error **err)
{
  _cleanup_close_ int fd = brig_procfs_openat (rel, O_WRONLY, err);
  if (fd < 0)
    return -1;
  if (brig_write_all (fd, v, strlen (v)) < 0)
    return errno ? errno : EIO;
  return 0;
}

static int
label_error (struct brig_error **err, int e, const char *field, const char *what, const char *label)
{
  if (e == ENOENT && strcmp (what, "apparmorProfile") == 0)
    return brig_error_set (err, 0, "%s.%s: AppArmor profile `%s` is not loaded", field, what, label);
  if (e == EINVAL)
    return brig_error_set (err, 0, "%s.%s: `%s` is not a valid label", field, what, label);
  return brig_error_set (err, e, "%s.%s `%s`: cannot change onto it at exec", field, what, label);
}

int
brig_lsm_set_exec (const char *apparmor, const char *selinux, struct brig_error **err)
{
  int e;

  if (apparmor && *apparmor)
    {
      _cleanup_free_ char *v = xasprintf ("exec %s", apparmor);
      struct brig_error *e1 = NULL;
      /* AppArmor's own file (Linux 5.8+): with LSM stacking the shared
         attr/exec belongs to whichever module came first; only kernels
         without it get the shared one */
      e = write_attr ("thread-self/attr/apparmor/exec", v, &e1);
      if (e < 0 && e1 && e1->errnum == ENOENT)
        {
          brig_error_free (&e1);
          e = write_attr ("thread-self/attr/exec", v, &e1);
        }
      if (e < 0)
        {
          brig_error_move (err, &e1);
          return brig_error_prefix (err, "process.apparmorProfile `%s`", apparmor);
        }
      if (e > 0)
        return label_error (err, e, "process", "apparmorProfile", apparmor);
    }
  if (selinux && *selinux)
    {
      e = write_attr ("thread-self/attr/exec", selinux, err);
      if (e < 0)
        return brig_error_prefix (err, "process.selinuxLabel `%s`", selinux);
      if (e > 0)
        return label_error (err, e, "process", "selinuxLabel", selinux);
    }
  return 0;
}
