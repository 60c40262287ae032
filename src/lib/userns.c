#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/sched.h>

#include "procfs.h"
#include "sync.h"
#include "userns.h"
#include "utils.h"

/* Append " (HINT)" to the message of an error already set. */
static int
add_hint (struct brig_error **err, const char *hint)
{
  char *n;
  if (err == NULL || *err == NULL || hint == NULL || *hint == '\0')
    return -1;
  n = xasprintf ("%s (%s)", (*err)->msg, hint);
  free ((*err)->msg);
  (*err)->msg = n;
  return -1;
}

/* A sysctl as an integer, -1 when it does not exist. */
static long
read_sysctl (const char *path)
{
  _cleanup_free_ char *buf = NULL;
  size_t len;
  if (brig_read_file (path, &buf, &len, 64, NULL) < 0)
    return -1;
  return strtol (buf, NULL, 10);
}

/* The reason the kernel refuses unprivileged user namespaces, with the
   command that lifts it; NULL when no knob explains it. */
static char *
userns_blocker (void)
{
  long v;
  if (read_sysctl ("/proc/sys/user/max_user_namespaces") == 0)
    return xstrdup ("user.max_user_namespaces is 0: `sysctl -w user.max_user_namespaces=15000`");
  v = read_sysctl ("/proc/sys/kernel/unprivileged_userns_clone");
  if (v == 0 && geteuid () != 0)
    return xstrdup ("kernel.unprivileged_userns_clone is 0: `sysctl -w kernel.unprivileged_userns_clone=1`");
  v = read_sysctl ("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  if (v == 1 && geteuid () != 0)
    return xstrdup ("AppArmor restricts unprivileged user namespaces "
                    "(kernel.apparmor_restrict_unprivileged_userns=1): give brig an AppArmor profile with "
                    "`userns,` or run `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`");
  return NULL;
}

int
brig_userns_explain (struct brig_error **err)
{
  _cleanup_free_ char *why = NULL;
  if (err == NULL || *err == NULL)
    return -1;
  if ((*err)->errnum != EPERM && (*err)->errnum != EACCES && (*err)->errnum != ENOSPC
      && (*err)->errnum != EUSERS)
    return -1;
  why = userns_blocker ();
  if (why == NULL && ((*err)->errnum == ENOSPC || (*err)->errnum == EUSERS))
    why = xstrdup ("too many user namespaces: see user.max_user_namespaces, or 32 levels of nesting");
  return add_hint (err, why);
}

/* ---- /etc/subuid and /etc/subgid ---- */

int
brig_subid_read (const char *file, const char *user, uid_t uid, struct brig_subid_range **out, size_t *n)
{
  FILE *f = fopen (file, "re");
  char *line = NULL;
  size_t cap = 0, have = 0;
  char uidstr[16];

  *out = NULL;
  *n = 0;
  if (f == NULL)
    return -1;
  snprintf (uidstr, sizeof (uidstr), "%u", (unsigned) uid);
  while (getline (&line, &cap, f) > 0)
    {
      char *name = line, *start, *count, *end;
      unsigned long s, c;
      line[strcspn (line, "\n")] = '\0';
      start = strchr (name, ':');
      if (start == NULL || *name == '#')
        continue;
      *start++ = '\0';
      count = strchr (start, ':');
      if (count == NULL)
        continue;
      *count++ = '\0';
      if (! ((user && strcmp (name, user) == 0) || strcmp (name, uidstr) == 0))
        continue;
      errno = 0;
      s = strtoul (start, &end, 10);
      if (errno || *end || end == start)
        continue;
      c = strtoul (count, &end, 10);
      if (errno || *end || end == count || c == 0)
        continue;
      if (*n == have)
        *out = xrealloc (*out, (have = have ? have * 2 : 4) * sizeof (**out));
      (*out)[*n].start = s;
      (*out)[*n].count = c;
      (*n)++;
    }
  free (line);
  fclose (f);
  return 0;
}

unsigned long
brig_subid_total (const struct brig_subid_range *r, size_t n)
{
  unsigned long t = 0;
  size_t i;
  for (i = 0; i < n; i++)
    t += r[i].count;
  return t;
}

unsigned long
brig_subid_suggest (const char *file)
{
  FILE *f = fopen (file, "re");
  char *line = NULL;
  size_t cap = 0;
  unsigned long next = 100000;
  if (f == NULL)
    return next;
  while (getline (&line, &cap, f) > 0)
    {
      unsigned long s, c;
      char *p = strchr (line, ':');
      if (p == NULL || sscanf (p, ":%lu:%lu", &s, &c) != 2)
        continue;
      if (s + c > next)
        next = s + c;
    }
  free (line);
  fclose (f);
  /* a round start, as useradd picks them */
  return (next + 65535) / 65536 * 65536;
}

static char *
user_name (uid_t uid)
{
  struct passwd *pw = getpwuid (uid);
  return pw ? xstrdup (pw->pw_name) : NULL;
}

/* Why the helper refused mapping M (of N) for KIND ("uid"/"gid"): the
   first mapping /etc/sub?id does not grant, with its index, or NULL when
   the file grants every one (the helper had another reason). */
static char *
explain_refusal (const char *kind, struct oci_id_mapping **m, size_t n)
{
  bool uid = kind[0] == 'u';
  const char *file = uid ? "/etc/subuid" : "/etc/subgid";
  uid_t me = geteuid ();
  id_t own = uid ? geteuid () : getegid ();
  _cleanup_free_ char *name = user_name (me);
  _cleanup_free_ struct brig_subid_range *r = NULL;
  size_t nr = 0, i, j;

  if (brig_subid_read (file, name, me, &r, &nr) < 0)
    return xasprintf ("%s cannot be read (%s): only your own %s %u can be mapped", file, strerror (errno),
                      kind, (unsigned) own);
  for (i = 0; i < n; i++)
    {
      unsigned long lo = m[i]->host_id, hi = (unsigned long) m[i]->host_id + m[i]->size;
      bool ok = false;
      if (m[i]->size == 1 && m[i]->host_id == own)
        continue;
      for (j = 0; j < nr && ! ok; j++)
        ok = lo >= r[j].start && hi <= r[j].start + r[j].count;
      if (ok)
        continue;
      if (nr == 0)
        {
          unsigned long s = brig_subid_suggest (file);
          return xasprintf ("linux.%sMappings[%zu] (container %u-%lu -> host %lu-%lu) is not allowed: %s has "
                            "no entry for %s (%s %u); as root add one with `usermod --add-sub%ss %lu-%lu %s`",
                            kind, i, m[i]->container_id, (unsigned long) m[i]->container_id + m[i]->size - 1,
                            lo, hi - 1, file, name ? name : "?", kind, (unsigned) me, kind, s, s + 65535,
                            name ? name : "USER");
        }
      {
        char granted[512] = "";
        size_t len = 0;
        for (j = 0; j < nr && len < sizeof (granted) - 48; j++)
          len += snprintf (granted + len, sizeof (granted) - len, "%s%lu-%lu", j ? ", " : "", r[j].start,
                           r[j].start + r[j].count - 1);
        return xasprintf ("linux.%sMappings[%zu] (container %u-%lu -> host %lu-%lu) is not allowed: the host "
                          "ids are outside what %s grants %s (%s) and are not your own %s %u",
                          kind, i, m[i]->container_id, (unsigned long) m[i]->container_id + m[i]->size - 1, lo,
                          hi - 1, file, name ? name : "you", granted, kind, (unsigned) own);
      }
    }
  return NULL;
}

/* ---- writing the maps ---- */

static char *
format_map (struct oci_id_mapping **m, size_t n)
{
  size_t i, len = 0;
  char *buf = xmalloc (n * 40 + 1);
  buf[0] = '\0';
  for (i = 0; i < n; i++)
    len += sprintf (buf + len, "%u %u %u\n", m[i]->container_id, m[i]->host_id, m[i]->size);
  return buf;
}

static const char *
helper_name (const char *kind)
{
  return kind[0] == 'u' ? "newuidmap" : "newgidmap";
}

/* Is a map the caller may write itself: only its own id, once. */
static bool
own_only (const char *kind, struct oci_id_mapping **m, size_t n)
{
  return n == 1 && m[0]->size == 1 && m[0]->host_id == (kind[0] == 'u' ? geteuid () : getegid ());
}

static int
run_helper (const char *kind, pid_t pid, struct oci_id_mapping **m, size_t n, struct brig_error **err)
{
  const char *helper = helper_name (kind);
  _cleanup_free_ char *path = brig_find_executable (helper, getenv ("PATH"), NULL);
  _cleanup_free_ char *out = NULL;
  char **argv;
  size_t i, a = 0, len = 0;
  int p[2];
  pid_t child;
  int status;

  if (path == NULL)
    return brig_error_set (err, 0,
                           "linux.%sMappings: %s not found in PATH: mapping more than your own %s needs the "
                           "setuid helpers of the uidmap package (apt-get install uidmap)",
                           kind, helper, kind);
  if (pipe2 (p, O_CLOEXEC) < 0)
    return brig_error_set (err, errno, "pipe");
  argv = xcalloc (3 * n + 3, sizeof (char *));
  argv[a++] = (char *) helper;
  argv[a++] = xasprintf ("%d", (int) pid);
  for (i = 0; i < n; i++)
    {
      argv[a++] = xasprintf ("%u", m[i]->container_id);
      argv[a++] = xasprintf ("%u", m[i]->host_id);
      argv[a++] = xasprintf ("%u", m[i]->size);
    }
  child = fork ();
  if (child == 0)
    {
      dup2 (p[1], 1);
      dup2 (p[1], 2);
      execv (path, argv);
      _exit (127);
    }
  for (i = 1; i < a; i++)
    free (argv[i]);
  free (argv);
  close (p[1]);
  if (child < 0)
    {
      close (p[0]);
      return brig_error_set (err, errno, "fork %s", helper);
    }
  brig_read_fd (p[0], &out, &len, 4096, NULL);
  close (p[0]);
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      return brig_error_set (err, errno, "wait for %s", helper);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127 && (out == NULL || *out == '\0'))
    return brig_error_set (err, ENOENT, "linux.%sMappings: run `%s`", kind, path);
  {
    _cleanup_free_ char *why = explain_refusal (kind, m, n);
    _cleanup_free_ char *blocker = userns_blocker ();
    if (out)
      {
        /* one line of the helper's complaint */
        char *e = out + strlen (out);
        while (e > out && (e[-1] == '\n' || e[-1] == ' '))
          *--e = '\0';
        for (e = out; *e; e++)
          if (*e == '\n')
            *e = ' ';
      }
    return brig_error_set (err, 0, "%s failed%s%s%s: %s", helper, out && *out ? " (" : "", out ? out : "",
                           out && *out ? ")" : "",
                           why       ? why
                           : blocker ? blocker
                                     : "the mappings are not allowed (see /etc/subuid, /etc/subgid and the "
                                       "setuid bit of the helper)");
  }
}

static int
write_map (pid_t pid, const char *kind, struct oci_id_mapping **m, size_t n, struct brig_error **err)
{
  _cleanup_free_ char *map = format_map (m, n);
  _cleanup_free_ char *rel = xasprintf ("%d/%s_map", (int) pid, kind);

  if (geteuid () == 0 || own_only (kind, m, n))
    {
      struct brig_error *werr = NULL;
      if (brig_procfs_write (rel, map, strlen (map), &werr) == 0)
        return 0;
      if (geteuid () == 0)
        {
          brig_error_move (err, &werr);
          brig_error_prefix (err, "linux.%sMappings", kind);
          return brig_userns_explain (err);
        }
      brig_error_free (&werr);
    }
  return run_helper (kind, pid, m, n, err);
}

int
brig_userns_write_maps (pid_t pid, const struct oci_linux *lx, struct brig_error **err)
{
  if (lx == NULL || (lx->uid_mappings_len == 0 && lx->gid_mappings_len == 0))
    return 0;
  if (lx->uid_mappings_len && write_map (pid, "uid", lx->uid_mappings, lx->uid_mappings_len, err) < 0)
    return -1;
  if (lx->gid_mappings_len)
    {
      /* an unprivileged writer of gid_map must deny setgroups first, or a
         process could drop a group that denies it access (CVE-2014-8989) */
      if (geteuid () != 0 && own_only ("gid", lx->gid_mappings, lx->gid_mappings_len))
        {
          _cleanup_free_ char *rel = xasprintf ("%d/setgroups", (int) pid);
          brig_procfs_write (rel, "deny", 4, NULL);
        }
      if (write_map (pid, "gid", lx->gid_mappings, lx->gid_mappings_len, err) < 0)
        return -1;
    }
  return 0;
}

/* ---- checks before anything is made ---- */

/* True when this process is root of the initial user namespace (uid_map
   is the identity of every id). */
static bool
in_initial_userns (void)
{
  _cleanup_free_ char *buf = NULL;
  size_t len;
  unsigned long a, b, c;
  if (brig_read_file ("/proc/self/uid_map", &buf, &len, 4096, NULL) < 0)
    return true;
  if (sscanf (buf, "%lu %lu %lu", &a, &b, &c) != 3)
    return true;
  return a == 0 && b == 0 && c == 4294967295UL;
}

bool
brig_userns_running_rootless (void)
{
  return geteuid () != 0 || ! in_initial_userns ();
}

bool
brig_userns_in_initial (void)
{
  static int cached = -1;
  if (cached < 0)
    cached = in_initial_userns ();
  return cached;
}

int
brig_userns_validate (const struct oci_spec *s, struct brig_error **err)
{
  const struct oci_linux *lx = s->linux_;
  bool new_userns = false, any_userns = false;
  size_t i;

  if (lx)
    for (i = 0; i < lx->namespaces_len; i++)
      if (strcmp (lx->namespaces[i]->type, "user") == 0)
        {
          any_userns = true;
          if (lx->namespaces[i]->path == NULL || *lx->namespaces[i]->path == '\0')
            new_userns = true;
        }
  if (! new_userns && lx && (lx->uid_mappings_len || lx->gid_mappings_len))
    {
      if (! any_userns)
        return brig_error_set (err, 0, "linux.uidMappings: id mappings need a user namespace "
                                       "(add {\"type\": \"user\"} to linux.namespaces)");
    }
  if (geteuid () == 0)
    return 0;

  /* an unprivileged user: everything that needs privilege must come from
     a user namespace of its own */
  if (! any_userns)
    return brig_error_set (err, 0, "linux.namespaces: a rootless container needs a user namespace: add "
                                   "{\"type\": \"user\"} and linux.uidMappings/gidMappings (`brig spec "
                                   "--rootless` writes such a config)");
  if (! new_userns)
    return 0;
  if (lx->uid_mappings_len == 0)
    return brig_error_set (err, 0, "linux.uidMappings: a rootless container's user namespace needs a uid "
                                   "mapping (e.g. {\"containerID\": 0, \"hostID\": %u, \"size\": 1})",
                           (unsigned) geteuid ());
  if (lx->gid_mappings_len == 0)
    return brig_error_set (err, 0, "linux.gidMappings: a rootless container's user namespace needs a gid "
                                   "mapping (e.g. {\"containerID\": 0, \"hostID\": %u, \"size\": 1})",
                           (unsigned) getegid ());
  {
    static const char *const kinds[] = { "uid", "gid" };
    for (i = 0; i < 2; i++)
      {
        struct oci_id_mapping **m = i ? lx->gid_mappings : lx->uid_mappings;
        size_t n = i ? lx->gid_mappings_len : lx->uid_mappings_len;
        _cleanup_free_ char *path = NULL;
        if (own_only (kinds[i], m, n))
          continue;
        path = brig_find_executable (helper_name (kinds[i]), getenv ("PATH"), NULL);
        if (path == NULL)
          return brig_error_set (err, 0,
                                 "linux.%sMappings: %s not found in PATH: a rootless container that maps "
                                 "more than your own %s (%u) needs the setuid helpers of the uidmap package "
                                 "(apt-get install uidmap)",
                                 kinds[i], helper_name (kinds[i]), kinds[i],
                                 (unsigned) (i ? getegid () : geteuid ()));
      }
  }
  return 0;
}

/* ---- a user namespace for an id-mapped mount ---- */

static int
write_maps_direct (pid_t pid, const char *kind, struct oci_id_mapping **m, size_t n, struct brig_error **err)
{
  _cleanup_free_ char *map = format_map (m, n);
  _cleanup_free_ char *rel = xasprintf ("%d/%s_map", (int) pid, kind);
  if (brig_procfs_write (rel, map, strlen (map), err) < 0)
    return brig_error_prefix (err, "write %s_map of the id-mapping user namespace", kind);
  return 0;
}

int
brig_userns_fd_for (struct oci_id_mapping **uids, size_t nu, struct oci_id_mapping **gids, size_t ng,
                    struct brig_error **err)
{
  struct clone_args args = { 0 };
  int hold[2], tell[2], fd = -1;
  char num[16] = "";
  ssize_t got;
  pid_t pid, procpid;

  if (pipe2 (hold, O_CLOEXEC) < 0)
    return brig_error_set (err, errno, "pipe");
  if (pipe2 (tell, O_CLOEXEC) < 0)
    {
      close (hold[0]);
      close (hold[1]);
      return brig_error_set (err, errno, "pipe");
    }
  args.flags = CLONE_NEWUSER;
  args.exit_signal = SIGCHLD;
  pid = syscall (SYS_clone3, &args, sizeof (args));
  if (pid < 0 && errno == ENOSYS)
    pid = syscall (SYS_clone, (unsigned long) CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid == 0)
    {
      char c, self[16];
      ssize_t n;
      close (hold[1]);
      close (tell[0]);
      /* a container's init is not dumpable, so neither are we, and our
         /proc files belong to the host's root: unreachable for the init
         in its user namespace.  We hold nothing of value. */
      prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
      /* our pid as the init's procfs handle numbers it: a private one of
         its pid namespace, or the host's */
      {
        int proc = brig_procfs_root (NULL);
        n = proc >= 0 ? readlinkat (proc, "self", self, sizeof (self) - 1) : -1;
      }
      if (n > 0)
        brig_write_all (tell[1], self, n);
      close (tell[1]);
      /* live until the parent has the namespace open */
      while (read (hold[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  close (hold[0]);
  close (tell[1]);
  if (pid < 0)
    {
      close (hold[1]);
      close (tell[0]);
      brig_error_set (err, errno, "create a user namespace for an id-mapped mount");
      return brig_userns_explain (err);
    }
  do
    got = read (tell[0], num, sizeof (num) - 1);
  while (got < 0 && errno == EINTR);
  close (tell[0]);
  procpid = got > 0 ? (pid_t) strtol (num, NULL, 10) : 0;
  if (procpid <= 0)
    brig_error_set (err, EPROTO, "the user namespace helper did not report its pid");
  else if ((nu == 0 || write_maps_direct (procpid, "uid", uids, nu, err) == 0)
           && (ng == 0 || write_maps_direct (procpid, "gid", gids, ng, err) == 0))
    {
      /* ns/user is a magic link: open the verified ns directory, then
         follow the link from there */
      _cleanup_free_ char *rel = xasprintf ("%d/ns", (int) procpid);
      _cleanup_close_ int nsdir = brig_procfs_openat (rel, O_RDONLY | O_DIRECTORY, err);
      if (nsdir >= 0)
        {
          fd = openat (nsdir, "user", O_RDONLY | O_CLOEXEC);
          if (fd < 0)
            brig_error_set (err, errno, "open /proc/%d/ns/user", (int) procpid);
        }
    }
  close (hold[1]);
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
  return fd;
}

/* ---- exec into a pid namespace from outside it ---- */

pid_t
brig_userns_fork_sibling (struct brig_error **err)
{
  struct clone_args args = { 0 };
  pid_t pid;

  args.flags = CLONE_PARENT;
  args.exit_signal = 0; /* ignored with CLONE_PARENT: our own exit signal is used */
  pid = syscall (SYS_clone3, &args, sizeof (args));
  if (pid < 0 && errno == ENOSYS)
    pid = syscall (SYS_clone, (unsigned long) CLONE_PARENT, NULL, NULL, NULL, NULL);
  if (pid < 0)
    return brig_error_set (err, errno, "exec: fork into the container's pid namespace");
  return pid;
}

int
brig_userns_await_sibling (int sock, pid_t *pid, struct brig_error **err)
{
  struct brig_sync_msg *m = xmalloc (sizeof (*m));
  pid_t mid = *pid;
  int one = 1, r;

  /* the kernel adds the credentials when the receiver asks at recv time */
  setsockopt (sock, SOL_SOCKET, SO_PASSCRED, &one, sizeof (one));
  r = brig_sync_expect (sock, SYNC_INIT_PID, m, err);

  if (r == 0 && m->pid <= 0)
    r = brig_error_set (err, EPROTO, "exec: no pid from the process in the container");
  if (r < 0)
    kill (mid, SIGKILL);
  while (waitpid (mid, NULL, 0) < 0 && errno == EINTR)
    ;
  if (r == 0)
    *pid = m->pid;
  free (m);
  return r;
}
