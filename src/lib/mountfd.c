#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/mount.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "inroot.h"
#include "mountfd.h"
#include "utils.h"

#ifndef MS_NOSYMFOLLOW
# define MS_NOSYMFOLLOW 256
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
# define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

static int new_api = 0; /* 0 unknown, 1 yes, -1 no */

bool
brig_have_mount_api (void)
{
  if (new_api == 0)
    {
      new_api = brig_env_forced ("BRIG_FORCE_NO_MOUNT_API") ? -1 : 1;
    }
  return new_api > 0;
}

uint64_t
brig_ms_to_attr (unsigned long ms)
{
  uint64_t a = 0;
  if (ms & MS_RDONLY)
    a |= MOUNT_ATTR_RDONLY;
  if (ms & MS_NOSUID)
    a |= MOUNT_ATTR_NOSUID;
  if (ms & MS_NODEV)
    a |= MOUNT_ATTR_NODEV;
  if (ms & MS_NOEXEC)
    a |= MOUNT_ATTR_NOEXEC;
  if (ms & MS_NODIRATIME)
    a |= MOUNT_ATTR_NODIRATIME;
  if (ms & MS_NOSYMFOLLOW)
    a |= MOUNT_ATTR_NOSYMFOLLOW;
  if (ms & MS_NOATIME)
    a |= MOUNT_ATTR_NOATIME;
  else if (ms & MS_STRICTATIME)
    a |= MOUNT_ATTR_STRICTATIME;
  return a;
}

static unsigned long
attr_to_ms (uint64_t a)
{
  unsigned long ms = 0;
  if (a & MOUNT_ATTR_RDONLY)
    ms |= MS_RDONLY;
  if (a & MOUNT_ATTR_NOSUID)
    ms |= MS_NOSUID;
  if (a & MOUNT_ATTR_NODEV)
    ms |= MS_NODEV;
  if (a & MOUNT_ATTR_NOEXEC)
    ms |= MS_NOEXEC;
  if (a & MOUNT_ATTR_NODIRATIME)
    ms |= MS_NODIRATIME;
  if ((a & MOUNT_ATTR__ATIME) == MOUNT_ATTR_NOATIME)
    ms |= MS_NOATIME;
  if ((a & MOUNT_ATTR__ATIME) == MOUNT_ATTR_STRICTATIME)
    ms |= MS_STRICTATIME;
  return ms;
}

unsigned long
brig_mount_locked_flags (int fd)
{
  struct statvfs sv;
  unsigned long ms = 0;
  if (fstatvfs (fd, &sv) < 0)
    return 0;
  if (sv.f_flag & ST_RDONLY)
    ms |= MS_RDONLY;
  if (sv.f_flag & ST_NOSUID)
    ms |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    ms |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    ms |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME)
    ms |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME)
    ms |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME)
    ms |= MS_RELATIME;
  return ms;
}

int
brig_setattr_fd (int fd, uint64_t attr_set, uint64_t attr_clr, bool recursive, const char *what,
                 struct brig_error **err)
{
  struct mount_attr attr = { 0 };
  char buf[32];

  if (attr_set == 0 && attr_clr == 0)
    return 0;
  attr.attr_set = attr_set;
  attr.attr_clr = attr_clr;
  if (brig_have_mount_api ()
      && syscall (SYS_mount_setattr, fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                  sizeof (attr)) == 0)
    return 0;
  if (brig_have_mount_api () && errno != ENOSYS)
    return brig_error_set (err, errno, "mount_setattr `%s`", what);
  /* Before Linux 5.12: a bind remount of the top mount only (submounts
     keep their flags, as with runc on such kernels).  A directory is
     reached through the cwd, not through a /proc/self/fd/N path: after
     pivot_root that /proc is the container's and may be a fake tree. */
  (void) recursive;
  {
    unsigned long flags = MS_REMOUNT | MS_BIND | attr_to_ms (attr_set)
                          | (brig_mount_locked_flags (fd) & ~attr_to_ms (attr_clr));
    struct stat st;
    int r;

    if (fstat (fd, &st) == 0 && S_ISDIR (st.st_mode))
      {
        _cleanup_close_ int cwd = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cwd < 0 || fchdir (fd) < 0)
          return brig_error_set (err, errno, "remount `%s`: chdir", what);
        r = mount (NULL, ".", NULL, flags, NULL);
        int saved = errno;
        if (fchdir (cwd) < 0)
          return brig_error_set (err, errno, "remount `%s`: chdir back", what);
        errno = saved;
      }
    else
      r = mount (NULL, brig_fd_path (fd, buf), NULL, flags, NULL);
    if (r < 0)
      return brig_error_set (err, errno, "remount `%s`", what);
  }
  return 0;
}

int
brig_fsmount (const char *type, const char *source, const char *data, uint64_t attrs, struct brig_error **err)
{
  _cleanup_close_ int fs = syscall (SYS_fsopen, type, FSOPEN_CLOEXEC);
  _cleanup_free_ char *words = data ? xstrdup (data) : NULL;
  char *save = NULL, *w;
  int tree;

  if (fs < 0)
    {
      /* before Linux 5.2 (or under valgrind): the fallbacks from now on */
      if (errno == ENOSYS)
        new_api = -1;
      return brig_error_set (err, errno, "fsopen `%s`", type);
    }
  if (syscall (SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", source ? source : type, 0) < 0)
    return brig_error_set (err, errno, "source `%s`", source ? source : type);
  for (w = words ? strtok_r (words, ",", &save) : NULL; w; w = strtok_r (NULL, ",", &save))
    {
      char *eq = strchr (w, '=');
      int r;
      if (eq)
        {
          *eq = '\0';
          r = syscall (SYS_fsconfig, fs, FSCONFIG_SET_STRING, w, eq + 1, 0);
        }
      else
        r = syscall (SYS_fsconfig, fs, FSCONFIG_SET_FLAG, w, NULL, 0);
      if (r < 0)
        return brig_error_set (err, errno, "options: `%s%s%s` for %s", w, eq ? "=" : "", eq ? eq + 1 : "", type);
    }
  if (syscall (SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return brig_error_set (err, errno, "create the %s filesystem", type);
  tree = syscall (SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
  if (tree < 0)
    return brig_error_set (err, errno, "fsmount %s", type);
  return tree;
}

int
brig_bind_fd (int src_fd, int dst_fd, bool recursive, uint64_t attr_set, uint64_t attr_clr, bool attr_rec,
              const char *what, struct brig_error **err)
{
  char sbuf[32], dbuf[32];

  if (brig_have_mount_api ())
    {
      _cleanup_close_ int tree = syscall (SYS_open_tree, src_fd, "",
                                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH
                                              | (recursive ? AT_RECURSIVE : 0));
      if (tree >= 0)
        {
          if (brig_setattr_fd (tree, attr_set, attr_clr, attr_rec, what, err) < 0)
            return -1;
          if (syscall (SYS_move_mount, tree, "", dst_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
            return brig_error_set (err, errno, "mount `%s`", what);
          return 0;
        }
      if (errno != ENOSYS)
        return brig_error_set (err, errno, "open_tree for `%s`", what);
      new_api = -1;
    }
  if (mount (brig_fd_path (src_fd, sbuf), brig_fd_path (dst_fd, dbuf), NULL, MS_BIND | (recursive ? MS_REC : 0),
             NULL) < 0)
    return brig_error_set (err, errno, "bind mount `%s`", what);
  if (attr_set || attr_clr)
    {
      /* dst_fd still names the mountpoint below the new mount (a magic
         link does not cross onto what is mounted on it), so the new mount
         is reached by its path, then checked to be the bound source. */
      char path[PATH_MAX];
      struct stat want, got;
      ssize_t n = readlink (brig_fd_path (dst_fd, dbuf), path, sizeof (path) - 1);
      _cleanup_close_ int top = -1;
      if (n <= 0 || fstat (src_fd, &want) < 0)
        return brig_error_set (err, errno, "find the new mount `%s`", what);
      path[n] = '\0';
      top = open (path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (top < 0 || fstat (top, &got) < 0)
        return brig_error_set (err, errno, "open the new mount `%s`", what);
      if (got.st_dev != want.st_dev || got.st_ino != want.st_ino)
        return brig_error_set (err, EXDEV, "the new mount `%s` changed under brig", what);
      return brig_setattr_fd (top, attr_set, attr_clr, attr_rec, what, err);
    }
  return 0;
}
