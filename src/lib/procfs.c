#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "inroot.h"
#include "log.h"
#include "mountfd.h"
#include "procfs.h"
#include "utils.h"

static int proc_root = -1;
/* what proc_root is: a lazily opened /proc, or a handle taken on purpose
   (pinned: a clone or a verified open; private: an fsopen instance) */
enum proc_kind
{
  PROC_LAZY,
  PROC_PINNED,
  PROC_PRIVATE
};
static enum proc_kind proc_kind;

static void
set_root (int fd, enum proc_kind kind)
{
  if (proc_root >= 0)
    close (proc_root);
  proc_root = fd;
  proc_kind = kind;
}

static int
check_proc (int fd, const char *what, struct brig_error **err)
{
  struct statfs sfs;
  if (fstatfs (fd, &sfs) < 0)
    return brig_error_set (err, errno, "fstatfs `%s`", what);
  if (sfs.f_type != PROC_SUPER_MAGIC)
    return brig_error_set (err, EXDEV, "`%s` is not on procfs", what);
  return 0;
}

/* FD is the root of a procfs (not some directory inside one): taken
   over and returned, or closed. */
static int
verified_root (int fd, const char *what, struct brig_error **err)
{
  struct stat st;
  if (check_proc (fd, what, err) < 0)
    {
      close (fd);
      return -1;
    }
  if (fstat (fd, &st) < 0 || st.st_ino != 1)
    {
      close (fd);
      brig_error_set (err, EXDEV, "`%s` is not the root of a procfs mount", what);
      return -1;
    }
  return fd;
}

int
brig_procfs_open_root (const char *path, struct brig_error **err)
{
  int fd = open (path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      brig_error_set (err, errno, "open procfs `%s`", path);
      return -1;
    }
  return verified_root (fd, path, err);
}

/* A new procfs instance of our pid namespace, mounted nowhere, with the
   flags a user namespace would lock anyway (mount_too_revealing). */
static int
new_instance (struct brig_error **err)
{
  int mnt = brig_fsmount ("proc", NULL, NULL, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC, err);
  return mnt < 0 ? -1 : verified_root (mnt, "fsmount proc", err);
}

int
brig_procfs_pin (struct brig_error **err)
{
  int fd = brig_procfs_open_root ("/proc", err);
  if (fd < 0)
    return -1;
  if (brig_have_mount_api () && ! brig_env_forced ("BRIG_FORCE_NO_PROC_CLONE"))
    {
      /* recursive: in a user namespace the host's submounts of /proc
         (binfmt_misc) are locked to it */
      int tree = syscall (SYS_open_tree, fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
      if (tree >= 0)
        {
          close (fd);
          fd = verified_root (tree, "clone of /proc", err);
          if (fd < 0)
            return -1;
          brig_debug ("procfs: a detached clone of /proc");
          set_root (fd, PROC_PINNED);
          return fd;
        }
      brig_debug ("procfs: open_tree /proc: %s, keeping the verified /proc", strerror (errno));
    }
  brig_debug ("procfs: the verified /proc");
  set_root (fd, PROC_PINNED);
  return fd;
}

int
brig_procfs_private (struct brig_error **err)
{
  struct brig_error *why = NULL;
  int fd = -1;

  if (brig_have_mount_api () && ! brig_env_forced ("BRIG_FORCE_NO_FSOPEN_PROC"))
    {
      fd = new_instance (&why);
      if (fd >= 0)
        {
          brig_debug ("procfs: a private fsopen instance");
          set_root (fd, PROC_PRIVATE);
          return fd;
        }
      /* e.g. EPERM: rootless without a pid namespace of its own */
      brig_debug ("procfs: %s", why->msg);
      brig_error_free (&why);
    }
  if (proc_root >= 0 && proc_kind == PROC_PINNED)
    return proc_root;
  return brig_procfs_pin (err);
}

int
brig_procfs_root (struct brig_error **err)
{
  if (proc_root < 0)
    set_root (brig_procfs_open_root ("/proc", err), PROC_LAZY);
  return proc_root;
}

void
brig_procfs_reset (void)
{
  set_root (-1, PROC_LAZY);
}


int
brig_procfs_openat (const char *rel, int flags, struct brig_error **err)
{
  int root = brig_procfs_root (err);
  int fd;

  if (root < 0)
    return -1;
  /* "self" and "thread-self" are the only links allowed: they are read
     from this procfs (so they name the pid as this procfs's pid namespace
     sees it) and the rest of the walk follows no link at all. */
  if (strncmp (rel, "self/", 5) == 0 || strncmp (rel, "thread-self/", 12) == 0)
    {
      char link[64];
      bool thread = rel[0] == 't';
      ssize_t n = readlinkat (root, thread ? "thread-self" : "self", link, sizeof (link) - 1);
      _cleanup_free_ char *full = NULL;
      if (n <= 0)
        return brig_error_set (err, errno, "readlink /proc/%s", thread ? "thread-self" : "self");
      link[n] = '\0';
      full = xasprintf ("%s/%s", link, rel + (thread ? 12 : 5));
      fd = brig_openat_beneath (root, full, flags | O_CLOEXEC | O_NOFOLLOW, err);
    }
  else
    fd = brig_openat_beneath (root, rel, flags | O_CLOEXEC | O_NOFOLLOW, err);
  if (fd < 0)
    return brig_error_prefix (err, "/proc/%s", rel);
  if (check_proc (fd, rel, err) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

int
brig_procfs_write (const char *rel, const char *data, size_t len, struct brig_error **err)
{
  _cleanup_close_ int fd = brig_procfs_openat (rel, O_WRONLY, err);
  if (fd < 0)
    return -1;
  if (brig_write_all (fd, data, len) < 0)
    return brig_error_set (err, errno, "write `/proc/%s`", rel);
  return 0;
}
