#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "inroot.h"
#include "procfs.h"
#include "utils.h"

static int proc_root = -1;

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

int
brig_procfs_open_root (const char *path, struct brig_error **err)
{
  struct stat st;
  int fd = open (path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      brig_error_set (err, errno, "open procfs `%s`", path);
      return -1;
    }
  if (check_proc (fd, path, err) < 0)
    {
      close (fd);
      return -1;
    }
  /* the root of a procfs mount, not some directory inside one */
  if (fstat (fd, &st) < 0 || st.st_ino != 1)
    {
      close (fd);
      brig_error_set (err, EXDEV, "`%s` is not the root of a procfs mount", path);
      return -1;
    }
  return fd;
}

int
brig_procfs_root (struct brig_error **err)
{
  if (proc_root < 0)
    proc_root = brig_procfs_open_root ("/proc", err);
  return proc_root;
}

void
brig_procfs_reset (void)
{
  if (proc_root >= 0)
    close (proc_root);
  proc_root = -1;
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
