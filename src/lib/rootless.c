#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "inroot.h"
#include "mountfd.h"
#include "rootless.h"
#include "userns.h"
#include "utils.h"

static bool
is_type (const char *t, const char *want)
{
  return t && strcmp (t, want) == 0;
}

/* DATA without its uid=N and gid=N words (NULL if nothing is left). */
static char *
strip_ids (const char *data)
{
  _cleanup_free_ char *copy = xstrdup (data ? data : "");
  char *out = xcalloc (1, strlen (copy) + 1);
  char *save = NULL, *w;
  for (w = strtok_r (copy, ",", &save); w; w = strtok_r (NULL, ",", &save))
    {
      if (strncmp (w, "uid=", 4) == 0 || strncmp (w, "gid=", 4) == 0)
        continue;
      if (*out)
        strcat (out, ",");
      strcat (out, w);
    }
  if (*out == '\0')
    {
      free (out);
      return NULL;
    }
  return out;
}

static bool
has_ids (const char *data)
{
  return data && (strstr (data, "uid=") || strstr (data, "gid="));
}

/* "mount TYPE on `DEST`: strerror (HINT)" in place of the first error. */
static int
replace_error (struct brig_error **err, int errnum, const char *type, const char *dest, const char *hint)
{
  char *n;
  brig_error_free (err);
  brig_error_set (err, errnum, "mount %s on `%s`", type, dest);
  if (err && *err && hint)
    {
      n = xasprintf ("%s (%s)", (*err)->msg, hint);
      free ((*err)->msg);
      (*err)->msg = n;
    }
  return -1;
}

int
brig_rootless_mount_fallback (const struct brig_rootless_mount *m, int errnum, struct brig_error **err)
{
  const char *type = m->type;
  char buf[32];
  bool perm = errnum == EPERM || errnum == EACCES;

  /* sysfs: a new instance needs a network namespace the user namespace
     owns; without one, the host's /sys, bound read-only (as runc) */
  if (is_type (type, "sysfs") && perm)
    {
      _cleanup_close_ int sys = open ("/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
      brig_error_free (err);
      if (sys < 0)
        return brig_error_set (err, errno, "open /sys to bind it on `%s`", m->dest);
      return brig_bind_fd (sys, m->target, true, brig_ms_to_attr (m->flags | MS_RDONLY), 0, true, m->dest, err);
    }
  if (! m->userns && brig_userns_in_initial ())
    return -1;

  /* mqueue: needs an ipc namespace of the user namespace; else the host's */
  if (is_type (type, "mqueue") && perm)
    {
      _cleanup_close_ int mq = open ("/dev/mqueue", O_PATH | O_DIRECTORY | O_CLOEXEC);
      brig_error_free (err);
      if (mq < 0)
        return brig_error_set (err, errno,
                               "mount mqueue on `%s` is not permitted without an ipc namespace of the "
                               "container's own, and the host's /dev/mqueue cannot be opened to bind it",
                               m->dest);
      return brig_bind_fd (mq, m->target, false, brig_ms_to_attr (m->flags), 0, false, m->dest, err);
    }

  /* uid=/gid= options naming ids the user namespace does not map: the
     kernel says EINVAL.  devpts works without them (its gid=5 is for
     the tty group, which a single-id mapping has not) */
  if (errnum == EINVAL && has_ids (m->data))
    {
      _cleanup_free_ char *data = strip_ids (m->data);
      if (is_type (type, "devpts")
          && mount (m->source, brig_fd_path (m->target, buf), type, m->flags, data) == 0)
        {
          brig_error_free (err);
          return 0;
        }
      return replace_error (err, errnum, type, m->dest,
                            "the uid= and gid= options must name ids mapped in the container's user "
                            "namespace (linux.uidMappings/gidMappings)");
    }

  if (perm && is_type (type, "proc"))
    return replace_error (err, errnum, type, m->dest,
                          "in a user namespace a new proc needs the container's own pid namespace: add "
                          "{\"type\": \"pid\"} to linux.namespaces");
  if (perm && (is_type (type, "cgroup") || is_type (type, "cgroup2")))
    return replace_error (err, errnum, type, m->dest,
                          "in a user namespace a new cgroup2 needs the container's own cgroup namespace: add "
                          "{\"type\": \"cgroup\"} to linux.namespaces, or bind /sys/fs/cgroup");
  if (perm)
    return replace_error (err, errnum, type, m->dest,
                          "a user namespace may only mount tmpfs, proc, sysfs, devpts, mqueue, cgroup2, "
                          "overlay, fuse and bind mounts; other filesystems need real root: bind-mount a "
                          "host directory instead");
  return -1;
}

/* ---- the processes of a container without a cgroup ---- */

static bool
same_ns (pid_t pid, const char *ns, const struct stat *want)
{
  char path[64];
  struct stat st;
  snprintf (path, sizeof (path), "/proc/%d/ns/%s", (int) pid, ns);
  return stat (path, &st) == 0 && st.st_ino == want->st_ino && st.st_dev == want->st_dev;
}

static pid_t
parent_of (pid_t pid)
{
  char path[64], buf[512];
  const char *p;
  int fd, n, ppid = 0;
  snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  p = strrchr (buf, ')');
  if (p == NULL || sscanf (p + 2, "%*c %d", &ppid) != 1)
    return 0;
  return ppid;
}

int
brig_rootless_pids (pid_t init, pid_t **pids, size_t *n)
{
  char path[64];
  struct stat ns, self;
  DIR *d;
  struct dirent *de;
  size_t cap = 16;
  bool own_pidns;

  *n = 0;
  *pids = xcalloc (cap, sizeof (pid_t));
  (*pids)[(*n)++] = init;
  snprintf (path, sizeof (path), "/proc/%d/ns/pid", (int) init);
  if (stat (path, &ns) < 0)
    return 0;
  own_pidns = stat ("/proc/self/ns/pid", &self) == 0 && (self.st_ino != ns.st_ino || self.st_dev != ns.st_dev);
  d = opendir ("/proc");
  if (d == NULL)
    return 0;
  while ((de = readdir (d)))
    {
      int pid;
      bool member = false;
      if (brig_parse_int (de->d_name, &pid) < 0 || pid == init)
        continue;
      if (own_pidns)
        member = same_ns (pid, "pid", &ns);
      else
        {
          /* no pid namespace: the init's descendants */
          pid_t p = pid;
          int depth = 0;
          while (p > 1 && depth++ < 64 && ! member)
            {
              p = parent_of (p);
              member = p == init;
            }
        }
      if (! member)
        continue;
      if (*n == cap)
        *pids = xrealloc (*pids, (cap *= 2) * sizeof (pid_t));
      (*pids)[(*n)++] = pid;
    }
  closedir (d);
  return 0;
}
