#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "inroot.h"
#include "utils.h"

static int openat2_state; /* 0 unknown, 1 works, -1 missing/forced off */

static bool
have_openat2 (void)
{
  if (openat2_state == 0)
    {
      openat2_state = brig_env_forced ("BRIG_FORCE_NO_OPENAT2") ? -1 : 1;
    }
  return openat2_state > 0;
}

static int
sys_openat2 (int dirfd, const char *path, int flags, mode_t mode, unsigned long long resolve)
{
  struct open_how how = { 0 };
  int fd;
  how.flags = flags;
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = resolve;
  do
    fd = syscall (SYS_openat2, dirfd, path, &how, sizeof (how));
  while (fd < 0 && errno == EAGAIN);
  if (fd < 0 && errno == ENOSYS)
    openat2_state = -1;
  return fd;
}

const char *
brig_fd_path (int fd, char buf[static 32])
{
  snprintf (buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}

/* ---- userspace fallback: walk component by component ---- */

/* The directory RESOLVED ("a/b/c", no links, no dots) under ROOTFD,
   opened one component at a time from ROOTFD's fd, never through a path
   string the kernel would walk (and follow a swapped-in link on). */
static int
reopen_chain (int rootfd, const char *resolved)
{
  _cleanup_free_ char *copy = xstrdup (resolved);
  char *save = NULL, *comp;
  int cur = openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

  for (comp = strtok_r (copy, "/", &save); comp && cur >= 0; comp = strtok_r (NULL, "/", &save))
    {
      int next = openat (cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      int saved = errno;
      close (cur);
      errno = saved;
      cur = next;
    }
  return cur;
}

/* Resolve PATH inside ROOTFD as if ROOTFD were "/"; returns an O_PATH fd
   of the final component (following a final symlink if FOLLOW_LAST), or
   -1.  Every component is opened with O_NOFOLLOW relative to the fd of
   its parent, so a directory swapped for a symlink by a racing container
   (CVE-2021-30465, CVE-2024-45310) is seen as the link it is and
   resolved here, in root; ".." and absolute links restart from ROOTFD
   and can never climb out. */
static int
walk_in_root (int rootfd, const char *path, bool follow_last, int depth)
{
  char resolved[PATH_MAX] = "";     /* "a/b/c", relative to root, no links */
  char pending[2 * PATH_MAX];       /* what is left to walk */
  size_t rlen = 0;
  int links = depth;
  int cur, saved;

  if (strlen (path) >= sizeof (pending))
    {
      errno = ENAMETOOLONG;
      return -1;
    }
  strcpy (pending, path);
  cur = openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cur < 0)
    return -1;
  for (;;)
    {
      char *p = pending, comp[NAME_MAX + 1];
      size_t cl;
      struct stat st;
      bool last;
      int fd;

      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      cl = strcspn (p, "/");
      if (cl > NAME_MAX)
        {
          errno = ENAMETOOLONG;
          goto fail;
        }
      memcpy (comp, p, cl);
      comp[cl] = '\0';
      memmove (pending, p + cl, strlen (p + cl) + 1);
      last = pending[strspn (pending, "/")] == '\0';

      if (strcmp (comp, ".") == 0)
        continue;
      if (strcmp (comp, "..") == 0)
        {
          char *slash = strrchr (resolved, '/');
          if (slash)
            *slash = '\0';
          else
            resolved[0] = '\0';
          rlen = strlen (resolved);
          close (cur);
          cur = reopen_chain (rootfd, resolved);
          if (cur < 0)
            return -1;
          continue;
        }
      if (rlen + cl + 2 >= sizeof (resolved))
        {
          errno = ENAMETOOLONG;
          goto fail;
        }
      fd = openat (cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        goto fail;
      if (fstat (fd, &st) < 0)
        {
          saved = errno;
          close (fd);
          errno = saved;
          goto fail;
        }
      if (S_ISLNK (st.st_mode) && (! last || follow_last))
        {
          char target[PATH_MAX], rest[3 * PATH_MAX + 2];
          /* the link read from its own fd: it cannot be swapped again
             between the check and the read */
          ssize_t n = readlinkat (fd, "", target, sizeof (target) - 1);
          saved = errno;
          close (fd);
          errno = saved;
          if (n < 0)
            goto fail;
          if (++links > 40)
            {
              errno = ELOOP;
              goto fail;
            }
          target[n] = '\0';
          if (target[0] == '/')
            {
              resolved[0] = '\0';
              rlen = 0;
              close (cur);
              cur = openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
              if (cur < 0)
                return -1;
            }
          if (strlen (target) + strlen (pending) + 2 >= sizeof (rest))
            {
              errno = ENAMETOOLONG;
              goto fail;
            }
          snprintf (rest, sizeof (rest), "%s/%s", target, pending);
          snprintf (pending, sizeof (pending), "%s", rest);
          continue;
        }
      if (! last && ! S_ISDIR (st.st_mode))
        {
          close (fd);
          errno = ENOTDIR;
          goto fail;
        }
      memcpy (resolved + rlen, "/", rlen ? 1 : 0);
      rlen += rlen ? 1 : 0;
      memcpy (resolved + rlen, comp, cl + 1);
      rlen += cl;
      close (cur);
      cur = fd;
    }
  return cur;
fail:
  saved = errno;
  close (cur);
  errno = saved;
  return -1;
}

int
brig_inroot_open (int rootfd, const char *path, int flags, mode_t mode, struct brig_error **err)
{
  int fd;

  if (have_openat2 ())
    {
      fd = sys_openat2 (rootfd, path, flags | O_CLOEXEC, mode, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
      if (fd >= 0 || openat2_state > 0)
        {
          if (fd < 0)
            brig_error_set (err, errno, "open `%s` in the container rootfs", path);
          return fd;
        }
    }
  {
    /* resolve the parent in root, then open the last component with the
       flags asked for (following it only if the caller allows) */
    _cleanup_free_ char *copy = xstrdup (path);
    char *slash, *last;
    _cleanup_close_ int parent = -1;
    int final;

    while (strlen (copy) > 1 && copy[strlen (copy) - 1] == '/')
      copy[strlen (copy) - 1] = '\0';
    slash = strrchr (copy, '/');
    if (slash == NULL || (slash == copy && copy[1] == '\0'))
      {
        if (strcmp (copy, "/") == 0 || strcmp (copy, ".") == 0 || *copy == '\0')
          fd = openat (rootfd, ".", (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC);
        else
          {
            parent = openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
            last = copy;
            goto open_last;
          }
        if (fd < 0)
          brig_error_set (err, errno, "open `%s` in the container rootfs", path);
        return fd;
      }
    *slash = '\0';
    last = slash + 1;
    parent = walk_in_root (rootfd, *copy ? copy : "/", true, 0);
    if (parent < 0)
      {
        brig_error_set (err, errno, "open `%s` in the container rootfs", path);
        return -1;
      }
  open_last:
    if (strcmp (last, "..") == 0 || strcmp (last, ".") == 0)
      {
        int d = walk_in_root (rootfd, path, true, 0);
        if (d < 0)
          {
            brig_error_set (err, errno, "open `%s` in the container rootfs", path);
            return -1;
          }
        if (flags & O_PATH)
          return d;
        fd = openat (d, ".", (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC);
        close (d);
        if (fd < 0)
          brig_error_set (err, errno, "open `%s` in the container rootfs", path);
        return fd;
      }
    final = openat (parent, last, flags | O_NOFOLLOW | O_CLOEXEC, mode);
    /* a symlink (ENOTDIR, not ELOOP, when O_DIRECTORY is asked for):
       resolve it in root */
    if (final < 0 && (errno == ELOOP || (errno == ENOTDIR && (flags & O_DIRECTORY))) && ! (flags & O_NOFOLLOW))
      {
        struct stat st;
        int d = walk_in_root (rootfd, path, true, 0);
        if (d < 0)
          {
            brig_error_set (err, errno, "open `%s` in the container rootfs", path);
            return -1;
          }
        if ((flags & O_DIRECTORY) && (fstat (d, &st) < 0 || ! S_ISDIR (st.st_mode)))
          {
            close (d);
            brig_error_set (err, ENOTDIR, "open `%s` in the container rootfs", path);
            return -1;
          }
        if (flags & O_PATH)
          return d;
        {
          char buf[32];
          final = open (brig_fd_path (d, buf), (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC);
        }
        close (d);
      }
    else if (final < 0 && errno == ENOTDIR && (flags & O_PATH))
      final = -1;
    if (final < 0)
      brig_error_set (err, errno, "open `%s` in the container rootfs", path);
    return final;
  }
}

int
brig_inroot_mkdir_all (int rootfd, const char *path, mode_t mode, struct brig_error **err)
{
  _cleanup_free_ char *copy = xstrdup (path);
  size_t len = strlen (copy);
  char *p;
  int fd;

  /* fast path: it exists */
  fd = brig_inroot_open (rootfd, path, O_PATH | O_DIRECTORY, 0, NULL);
  if (fd >= 0)
    return fd;
  for (p = copy + 1; p <= copy + len; p++)
    {
      if (*p != '/' && *p != '\0')
        continue;
      {
        char saved = *p;
        _cleanup_close_ int d = -1;
        *p = '\0';
        d = brig_inroot_open (rootfd, copy, O_PATH | O_DIRECTORY, 0, NULL);
        if (d < 0 && errno == ENOENT)
          {
            /* make this component inside its (already resolved) parent */
            char *slash = strrchr (copy, '/');
            _cleanup_close_ int parent = -1;
            if (slash == copy)
              parent = openat (rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
            else
              {
                *slash = '\0';
                parent = brig_inroot_open (rootfd, copy, O_PATH | O_DIRECTORY, 0, err);
                *slash = '/';
              }
            if (parent < 0)
              return -1;
            if (mkdirat (parent, slash + 1, mode) < 0 && errno != EEXIST)
              return brig_error_set (err, errno, "mkdir `%s` in the container rootfs", copy);
            d = brig_inroot_open (rootfd, copy, O_PATH | O_DIRECTORY, 0, err);
            if (d < 0)
              return -1;
          }
        else if (d < 0)
          return brig_error_set (err, errno, "open `%s` in the container rootfs", copy);
        *p = saved;
        if (saved == '\0')
          return steal_fd (&d);
      }
    }
  return brig_inroot_open (rootfd, path, O_PATH | O_DIRECTORY, 0, err);
}

int
brig_inroot_mkfile (int rootfd, const char *path, mode_t mode, struct brig_error **err)
{
  _cleanup_free_ char *copy = xstrdup (path);
  char *slash = strrchr (copy, '/');
  _cleanup_close_ int parent = -1;
  int fd;

  fd = brig_inroot_open (rootfd, path, O_PATH, 0, NULL);
  if (fd >= 0)
    return fd;
  if (slash == NULL || slash[1] == '\0')
    return brig_error_set (err, EINVAL, "invalid file path `%s`", path);
  *slash = '\0';
  parent = brig_inroot_mkdir_all (rootfd, *copy ? copy : "/", 0755, err);
  if (parent < 0)
    return -1;
  fd = openat (parent, slash + 1, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0 && errno != EEXIST)
    return brig_error_set (err, errno, "create `%s` in the container rootfs", path);
  if (fd >= 0)
    close (fd);
  return brig_inroot_open (rootfd, path, O_PATH, 0, err);
}

int
brig_openat_beneath (int dirfd, const char *path, int flags, struct brig_error **err)
{
  int fd;

  if (have_openat2 ())
    {
      fd = sys_openat2 (dirfd, path, flags | O_CLOEXEC,
                        0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
      if (fd >= 0 || openat2_state > 0)
        {
          if (fd < 0)
            brig_error_set (err, errno, "open `%s`", path);
          return fd;
        }
    }
  {
    _cleanup_free_ char *copy = xstrdup (path);
    char *save = NULL, *comp, *next;
    int cur = openat (dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    for (comp = strtok_r (copy, "/", &save); comp && cur >= 0; comp = next)
      {
        int f;
        next = strtok_r (NULL, "/", &save);
        if (strcmp (comp, "..") == 0)
          {
            close (cur);
            errno = EXDEV;
            cur = -1;
            break;
          }
        f = openat (cur, comp, (next ? O_PATH | O_DIRECTORY : flags) | O_NOFOLLOW | O_CLOEXEC);
        close (cur);
        cur = f;
      }
    if (cur < 0)
      brig_error_set (err, errno, "open `%s`", path);
    return cur;
  }
}
