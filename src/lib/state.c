#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "cgroup.h"
#include "inroot.h"
#include "state.h"
#include "utils.h"

char *
brig_default_root (bool rootless, struct brig_error **err)
{
  const char *xdg;
  struct stat st;

  if (! rootless)
    return xstrdup ("/run/brig");
  xdg = getenv ("XDG_RUNTIME_DIR");
  if (xdg == NULL || *xdg == '\0')
    {
      brig_error_set (err, 0, "XDG_RUNTIME_DIR is not set: rootless containers keep their state there "
                              "(or pass --root)");
      return NULL;
    }
  if (stat (xdg, &st) < 0)
    {
      brig_error_set (err, errno, "XDG_RUNTIME_DIR `%s`", xdg);
      return NULL;
    }
  if (st.st_uid != geteuid ())
    {
      brig_error_set (err, 0, "XDG_RUNTIME_DIR `%s` is not owned by uid %d", xdg, (int) geteuid ());
      return NULL;
    }
  return xasprintf ("%s/brig", xdg);
}

int
brig_validate_id (const char *id, struct brig_error **err)
{
  const char *p;

  if (id == NULL || *id == '\0')
    return brig_error_set (err, 0, "container id must not be empty");
  if (strlen (id) > 1024)
    return brig_error_set (err, 0, "invalid container id: longer than 1024 bytes");
  for (p = id; *p; p++)
    {
      char c = *p;
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
                || c == '+' || c == '-' || (c == '.' && p != id);
      /* a control character is not echoed: the error stays one line */
      if (! ok && ((unsigned char) c < 0x20 || c == 0x7f))
        return brig_error_set (err, 0,
                               "invalid container id: control character 0x%02x: must match "
                               "[a-zA-Z0-9_+-][a-zA-Z0-9_+.-]*",
                               (unsigned char) c);
      if (! ok)
        return brig_error_set (err, 0,
                               "invalid container id `%s`: must match [a-zA-Z0-9_+-][a-zA-Z0-9_+.-]*", id);
    }
  return 0;
}

static int
lock_dir (int fd, bool exclusive, struct brig_error **err)
{
  while (flock (fd, exclusive ? LOCK_EX : LOCK_SH) < 0)
    if (errno != EINTR)
      return brig_error_set (err, errno, "lock state directory");
  return 0;
}

int
brig_state_create_dir (const char *root, const char *id, int *dirfd, struct brig_error **err)
{
  _cleanup_close_ int rootfd = -1;
  int fd;

  if (mkdir (root, 0700) < 0 && errno != EEXIST)
    {
      if (errno != ENOENT || brig_mkdir_p (root, 0700, err) < 0)
        return brig_error_set (err, errno, "create state root `%s`", root);
    }
  rootfd = open (root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (rootfd < 0)
    return brig_error_set (err, errno, "open state root `%s`", root);
  if (geteuid () != 0)
    {
      /* a user's containers are the user's alone: a root someone else
         made, or one others can read, is not used */
      struct stat st;
      if (fstat (rootfd, &st) < 0)
        return brig_error_set (err, errno, "stat state root `%s`", root);
      if (st.st_uid != geteuid ())
        return brig_error_set (err, 0, "state root `%s` belongs to uid %u, not to you (uid %u)", root,
                               (unsigned) st.st_uid, (unsigned) geteuid ());
      if ((st.st_mode & 077) && fchmod (rootfd, st.st_mode & ~077 & 07777) < 0)
        return brig_error_set (err, errno, "chmod 0700 state root `%s`", root);
    }
  if (mkdirat (rootfd, id, 0700) < 0)
    {
      if (errno == EEXIST)
        return brig_error_set (err, 0, "container with given ID already exists: `%s`", id);
      return brig_error_set (err, errno, "create state directory `%s/%s`", root, id);
    }
  fd = openat (rootfd, id, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return brig_error_set (err, errno, "open state directory `%s/%s`", root, id);
  if (lock_dir (fd, true, err) < 0)
    {
      close (fd);
      return -1;
    }
  *dirfd = fd;
  return 0;
}

int
brig_state_open (const char *root, const char *id, bool exclusive, int *dirfd, struct brig_error **err)
{
  _cleanup_free_ char *path = NULL;
  int fd;

  if (brig_validate_id (id, err) < 0)
    return -1;
  path = xasprintf ("%s/%s", root, id);
  fd = open (path, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return brig_error_set (err, 0, "container does not exist: `%s`", id);
      return brig_error_set (err, errno, "open state directory `%s`", path);
    }
  if (lock_dir (fd, exclusive, err) < 0)
    {
      close (fd);
      return -1;
    }
  *dirfd = fd;
  return 0;
}

int
brig_state_read (int dirfd, struct brig_state **out, struct brig_error **err)
{
  _cleanup_free_ char *buf = NULL;
  _cleanup_free_ char *perr = NULL;
  size_t len;
  struct brig_state *st;

  /* the annotations come from config.json, which may be 64 MB: what
     create wrote must be readable (a 3 MB annotation made every command
     after create fail: bad-input table) */
  if (brig_read_file_at (dirfd, "state.json", &buf, &len, 64 << 20, NULL) < 0)
    {
      /* a create killed before its first write leaves an empty dir: a
         stopped container, for delete to clean up */
      if (errno == ENOENT)
        {
          char link[32], path[4096];
          ssize_t n = readlink (brig_fd_path (dirfd, link), path, sizeof (path) - 1);
          const char *slash;
          st = xcalloc (1, sizeof (*st));
          path[n > 0 ? n : 0] = '\0';
          slash = strrchr (path, '/');
          st->id = xstrdup (slash ? slash + 1 : path);
          st->status = xstrdup ("stopped");
          *out = st;
          return 0;
        }
      return brig_error_set (err, errno, "read state.json");
    }
  st = ocispec_parse (&brig_state_type, buf, len, &perr);
  if (st == NULL)
    return brig_error_set (err, 0, "state.json: %s", perr);
  *out = st;
  return 0;
}

int
brig_state_write (int dirfd, const struct brig_state *st, struct brig_error **err)
{
  size_t len;
  _cleanup_free_ char *json = ocispec_print (&brig_state_type, st, false, &len);
  if (json == NULL)
    return brig_error_set (err, ENOMEM, "print state");
  return brig_write_file_atomic (dirfd, "state.json", json, len, 0600, err);
}

static int
remove_tree_at (int dirfd, const char *name)
{
  int fd = openat (dirfd, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  DIR *d;
  struct dirent *de;

  if (fd < 0)
    return unlinkat (dirfd, name, 0);
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return -1;
    }
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (de->d_type == DT_DIR)
        remove_tree_at (fd, de->d_name);
      else
        unlinkat (fd, de->d_name, 0);
    }
  closedir (d);
  return unlinkat (dirfd, name, AT_REMOVEDIR);
}

int
brig_state_remove (const char *root, const char *id, struct brig_error **err)
{
  _cleanup_close_ int rootfd = open (root, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (rootfd < 0)
    return brig_error_set (err, errno, "open state root `%s`", root);
  if (remove_tree_at (rootfd, id) < 0 && errno != ENOENT)
    return brig_error_set (err, errno, "remove state directory `%s/%s`", root, id);
  return 0;
}

const char *
brig_status_name (enum brig_status s)
{
  static const char *const names[] = { "creating", "created", "running", "paused", "stopped" };
  return names[s];
}

static bool
init_alive (const struct brig_state *st)
{
  uint64_t start;
  bool zombie;

  if (! st->has_pid || st->pid <= 0)
    return false;
  if (brig_proc_start_time (st->pid, &start, &zombie) < 0)
    return false;
  return ! zombie && start == st->pid_start;
}

enum brig_status
brig_state_status (int dirfd, const struct brig_state *st)
{
  if (! init_alive (st))
    return BRIG_STOPPED;
  if (st->status && strcmp (st->status, "creating") == 0)
    return BRIG_CREATING;
  if (faccessat (dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return BRIG_CREATED;
  if (st->cgroup_path || st->cgroup_paths.len > 0 || st->systemd_unit)
    {
      struct brig_cgroup *cg = NULL;
      bool frozen = false;
      if (brig_cgroup_load (st, &cg, NULL) == 0 && cg)
        {
          brig_cgroup_is_frozen (cg, &frozen, NULL);
          brig_cgroup_free (cg);
          if (frozen)
            return BRIG_PAUSED;
        }
    }
  return BRIG_RUNNING;
}

int
brig_state_pidfd (const struct brig_state *st)
{
  int fd;

  if (! st->has_pid || st->pid <= 0)
    {
      errno = ESRCH;
      return -1;
    }
  fd = syscall (SYS_pidfd_open, st->pid, 0);
  if (fd < 0)
    return -1;
  /* the pidfd pins the process: if the start time still matches now, the
     fd refers to the container's init and not to a reused pid */
  if (! init_alive (st))
    {
      close (fd);
      errno = ESRCH;
      return -1;
    }
  return fd;
}
