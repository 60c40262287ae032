#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "check.h"
#include "userns.h"
#include "utils.h"

#ifndef CGROUP2_SUPER_MAGIC
# define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* ---- helpers ---- */

static void
say (char **where, const char *fmt, ...)
{
  va_list ap;
  free (*where);
  va_start (ap, fmt);
  if (vasprintf (where, fmt, ap) < 0)
    *where = NULL;
  va_end (ap);
}

#define DETAIL(res, ...) say (&(res)->detail, __VA_ARGS__)
#define FIX(res, ...) say (&(res)->fix, __VA_ARGS__)

/* A /proc/sys value, trimmed; NULL when the knob does not exist. */
static char *
sysctl_str (const char *name)
{
  _cleanup_free_ char *path = xasprintf ("/proc/sys/%s", name);
  char *buf = NULL, *p;
  size_t len;
  if (brig_read_file (path, &buf, &len, 4096, NULL) < 0)
    return NULL;
  for (p = buf + strlen (buf); p > buf && (p[-1] == '\n' || p[-1] == ' '); p--)
    p[-1] = '\0';
  for (p = buf; *p; p++)
    if (*p == '\t')
      *p = ' ';
  return buf;
}

static const char *
user_or_uid (const struct brig_check_ctx *c)
{
  return c->user ? c->user : "USER";
}

/* ---- the checks ---- */

static void
check_max_userns (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  _cleanup_free_ char *v = sysctl_str ("user/max_user_namespaces");
  if (v == NULL)
    {
      r->ok = false;
      DETAIL (r, "/proc/sys/user/max_user_namespaces is missing: the kernel has no user namespaces");
      FIX (r, "use a kernel built with CONFIG_USER_NS=y");
      return;
    }
  r->ok = strtol (v, NULL, 10) > 0;
  DETAIL (r, "user.max_user_namespaces = %s", v);
  if (! r->ok)
    FIX (r, "sysctl -w user.max_user_namespaces=15000 (and put it in /etc/sysctl.d/99-rootless.conf)");
}

static void
check_unpriv_clone (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  _cleanup_free_ char *v = sysctl_str ("kernel/unprivileged_userns_clone");
  if (v == NULL)
    {
      r->ok = true;
      DETAIL (r, "kernel.unprivileged_userns_clone does not exist on this kernel (nothing to switch on)");
      return;
    }
  r->ok = strcmp (v, "0") != 0;
  DETAIL (r, "kernel.unprivileged_userns_clone = %s", v);
  if (! r->ok)
    FIX (r, "sysctl -w kernel.unprivileged_userns_clone=1 (and put it in /etc/sysctl.d/99-rootless.conf)");
}

static void
check_apparmor (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  _cleanup_free_ char *v = sysctl_str ("kernel/apparmor_restrict_unprivileged_userns");
  if (v == NULL)
    {
      r->ok = true;
      DETAIL (r, "kernel.apparmor_restrict_unprivileged_userns does not exist (AppArmor does not restrict user "
                 "namespaces here)");
      return;
    }
  r->ok = strcmp (v, "0") == 0;
  DETAIL (r, "kernel.apparmor_restrict_unprivileged_userns = %s", v);
  if (! r->ok)
    FIX (r, "give brig a profile allowing user namespaces: printf 'abi <abi/4.0>,\\ninclude "
            "<tunables/global>\\nprofile brig %s flags=(unconfined) {\\n  userns,\\n}\\n' > "
            "/etc/apparmor.d/brig && apparmor_parser -r /etc/apparmor.d/brig; or sysctl -w "
            "kernel.apparmor_restrict_unprivileged_userns=0",
         c->self_path ? c->self_path : "/usr/local/bin/brig");
}

/* Run FN in a child in a new user namespace mapping our own ids to root
   (plus FLAGS namespaces); its exit status, or -errno of the unshare. */
static int
in_own_userns (int flags, int (*fn) (void))
{
  int p[2], status;
  pid_t pid;
  if (pipe2 (p, O_CLOEXEC) < 0)
    return -errno;
  pid = fork ();
  if (pid < 0)
    return -errno;
  if (pid == 0)
    {
      uid_t uid = geteuid ();
      gid_t gid = getegid ();
      int e = 0;
      char map[64];
      int fd;
      close (p[0]);
      if (unshare (CLONE_NEWUSER | flags) < 0)
        {
          e = errno;
          if (write (p[1], &e, sizeof (e)) < 0)
            _exit (120);
          _exit (121);
        }
      fd = open ("/proc/self/setgroups", O_WRONLY | O_CLOEXEC);
      if (fd >= 0)
        {
          if (write (fd, "deny", 4) < 0)
            e = errno;
          close (fd);
        }
      snprintf (map, sizeof (map), "0 %u 1", (unsigned) uid);
      fd = open ("/proc/self/uid_map", O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write (fd, map, strlen (map)) < 0)
        e = errno;
      if (fd >= 0)
        close (fd);
      snprintf (map, sizeof (map), "0 %u 1", (unsigned) gid);
      fd = open ("/proc/self/gid_map", O_WRONLY | O_CLOEXEC);
      if (fd < 0 || write (fd, map, strlen (map)) < 0)
        e = errno;
      if (fd >= 0)
        close (fd);
      if (e)
        {
          if (write (p[1], &e, sizeof (e)) < 0)
            _exit (120);
          _exit (122);
        }
      _exit (fn ? fn () : 0);
    }
  close (p[1]);
  {
    int e = 0;
    ssize_t n = read (p[0], &e, sizeof (e));
    close (p[0]);
    while (waitpid (pid, &status, 0) < 0)
      if (errno != EINTR)
        return -errno;
    if (n == sizeof (e) && e)
      return -e;
  }
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static void
check_userns_works (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  int s = in_own_userns (0, NULL);
  r->ok = s == 0;
  if (r->ok)
    DETAIL (r, "a user namespace mapping uid %u to root was made", (unsigned) c->uid);
  else if (s < 0)
    {
      DETAIL (r, "making a user namespace failed: %s", strerror (-s));
      FIX (r, "see the userns checks above");
    }
  else
    {
      DETAIL (r, "the user namespace test exited with status %d", s);
      FIX (r, "see the userns checks above");
    }
}

static void
check_helper (const struct brig_check_ctx *c, struct brig_check_result *r, const char *helper, cap_value_t cap)
{
  _cleanup_free_ char *path = brig_find_executable (helper, c->path_env, NULL);
  struct stat st;
  cap_t caps;

  if (path == NULL)
    {
      r->ok = false;
      DETAIL (r, "%s is not in PATH: only your own id can be mapped (no multi-range mappings)", helper);
      FIX (r, "apt-get install uidmap (dnf install shadow-utils)");
      return;
    }
  if (stat (path, &st) < 0)
    {
      r->ok = false;
      DETAIL (r, "stat %s: %s", path, strerror (errno));
      FIX (r, "apt-get install --reinstall uidmap");
      return;
    }
  if (st.st_uid == 0 && (st.st_mode & S_ISUID))
    {
      r->ok = true;
      DETAIL (r, "%s is setuid root", path);
      return;
    }
  caps = cap_get_file (path);
  if (caps)
    {
      cap_flag_value_t v = CAP_CLEAR;
      cap_get_flag (caps, cap, CAP_PERMITTED, &v);
      cap_free (caps);
      if (v == CAP_SET)
        {
          r->ok = true;
          DETAIL (r, "%s has the file capability %s", path, cap == CAP_SETUID ? "cap_setuid" : "cap_setgid");
          return;
        }
    }
  r->ok = false;
  DETAIL (r, "%s is neither setuid root nor has the %s file capability", path,
          cap == CAP_SETUID ? "cap_setuid" : "cap_setgid");
  FIX (r, "chmod u+s %s (or setcap %s+ep %s)", path, cap == CAP_SETUID ? "cap_setuid" : "cap_setgid", path);
}

static void
check_newuidmap (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  check_helper (c, r, "newuidmap", CAP_SETUID);
}

static void
check_newgidmap (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  check_helper (c, r, "newgidmap", CAP_SETGID);
}

static void
check_subid (const struct brig_check_ctx *c, struct brig_check_result *r, const char *file, const char *kind)
{
  _cleanup_free_ struct brig_subid_range *ranges = NULL;
  size_t n = 0;
  unsigned long total;

  if (brig_subid_read (file, c->user, c->uid, &ranges, &n) < 0)
    {
      unsigned long s = brig_subid_suggest (file);
      r->ok = false;
      DETAIL (r, "%s cannot be read: %s", file, strerror (errno));
      FIX (r, "usermod --add-sub%ss %lu-%lu %s (as root)", kind, s, s + 65535, user_or_uid (c));
      return;
    }
  total = brig_subid_total (ranges, n);
  r->ok = total >= 65536;
  if (n == 0)
    DETAIL (r, "%s has no entry for %s (uid %u)", file, user_or_uid (c), (unsigned) c->uid);
  else
    DETAIL (r, "%s grants %s %lu ids in %zu range%s (first %lu-%lu)", file, user_or_uid (c), total, n,
            n == 1 ? "" : "s", ranges[0].start, ranges[0].start + ranges[0].count - 1);
  if (! r->ok)
    {
      unsigned long s = brig_subid_suggest (file);
      FIX (r, "usermod --add-sub%ss %lu-%lu %s (as root; at least 65536 ids)", kind, s, s + 65535,
           user_or_uid (c));
    }
}

static void
check_subuid (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  check_subid (c, r, "/etc/subuid", "uid");
}

static void
check_subgid (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  check_subid (c, r, "/etc/subgid", "gid");
}

static void
check_xdg (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  struct stat st;
  r->ok = false;
  if (c->xdg == NULL || *c->xdg == '\0')
    {
      DETAIL (r, "XDG_RUNTIME_DIR is not set (brig keeps rootless state in $XDG_RUNTIME_DIR/brig)");
      if (stat (c->run_user, &st) == 0 && st.st_uid == c->uid)
        FIX (r, "export XDG_RUNTIME_DIR=%s", c->run_user);
      else
        FIX (r, "log in through a PAM session (ssh, or machinectl shell %s@), which makes %s; sudo and su "
                "do not",
             user_or_uid (c), c->run_user);
      return;
    }
  if (stat (c->xdg, &st) < 0)
    {
      DETAIL (r, "XDG_RUNTIME_DIR=%s: %s", c->xdg, strerror (errno));
      FIX (r, "log in through a PAM session (ssh, or machinectl shell %s@), or mkdir -m 0700 %s", user_or_uid (c),
           c->xdg);
      return;
    }
  if (! S_ISDIR (st.st_mode))
    {
      DETAIL (r, "XDG_RUNTIME_DIR=%s is not a directory", c->xdg);
      FIX (r, "export XDG_RUNTIME_DIR=%s", c->run_user);
      return;
    }
  if (st.st_uid != c->uid)
    {
      DETAIL (r, "XDG_RUNTIME_DIR=%s belongs to uid %u, not to you (uid %u)", c->xdg, (unsigned) st.st_uid,
              (unsigned) c->uid);
      FIX (r, "export XDG_RUNTIME_DIR=%s (after `su`/`sudo` it still names the other user's)", c->run_user);
      return;
    }
  if (st.st_mode & 077)
    {
      DETAIL (r, "XDG_RUNTIME_DIR=%s is readable by others (mode %04o)", c->xdg, (unsigned) (st.st_mode & 07777));
      FIX (r, "chmod 0700 %s", c->xdg);
      return;
    }
  r->ok = true;
  DETAIL (r, "XDG_RUNTIME_DIR=%s is yours, mode 0700", c->xdg);
}

static bool
cgroup_v2 (void)
{
  struct statfs sfs;
  return statfs ("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

static void
check_cgroup_v2 (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  r->ok = cgroup_v2 ();
  if (r->ok)
    {
      DETAIL (r, "/sys/fs/cgroup is cgroup v2");
      return;
    }
  DETAIL (r, "/sys/fs/cgroup is not cgroup v2 (v1 or hybrid): rootless containers get no cgroup, so no "
             "resource limits");
  FIX (r, "boot with systemd.unified_cgroup_hierarchy=1 (add it to GRUB_CMDLINE_LINUX in /etc/default/grub, "
          "update-grub, reboot)");
}

static const char *const wanted_controllers[] = { "cpu", "cpuset", "io", "memory", "pids" };

static void
check_delegation (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  _cleanup_free_ char *self = NULL;
  _cleanup_free_ char *unit = xasprintf ("user@%u.service", (unsigned) c->uid);
  _cleanup_free_ char *ctl = NULL;
  _cleanup_free_ char *missing = xstrdup ("");
  _cleanup_free_ char *dir = NULL;
  const char *fixconf = "mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\\nDelegate=cpu cpuset "
                        "io memory pids\\n' > /etc/systemd/system/user@.service.d/delegate.conf && systemctl "
                        "daemon-reload (then log in again)";
  size_t len, i;
  char *p, *at;
  struct stat st;

  r->ok = false;
  if (! cgroup_v2 ())
    {
      DETAIL (r, "needs cgroup v2 (see cgroup.v2)");
      FIX (r, "switch to cgroup v2 first, then: %s", fixconf);
      return;
    }
  if (brig_read_file ("/proc/self/cgroup", &self, &len, 1 << 16, NULL) < 0 || (p = strstr (self, "0::")) == NULL)
    {
      DETAIL (r, "cannot read this process's cgroup");
      FIX (r, "%s", fixconf);
      return;
    }
  p += 3;
  p[strcspn (p, "\n")] = '\0';
  at = strstr (p, unit);
  if (at == NULL)
    {
      DETAIL (r, "this process (cgroup %s) is not under the systemd user manager %s", p, unit);
      FIX (r, "run from a login session of %s (ssh, machinectl shell %s@; not sudo/su), or systemd-run --user "
              "--scope -p Delegate=yes brig ...",
           user_or_uid (c), user_or_uid (c));
      return;
    }
  at[strlen (unit)] = '\0';
  dir = xasprintf ("/sys/fs/cgroup%s", p);
  if (stat (dir, &st) < 0 || st.st_uid != c->uid)
    {
      DETAIL (r, "%s is not owned by uid %u: not delegated", dir, (unsigned) c->uid);
      FIX (r, "%s", fixconf);
      return;
    }
  {
    _cleanup_free_ char *f = xasprintf ("%s/cgroup.controllers", dir);
    if (brig_read_file (f, &ctl, &len, 4096, NULL) < 0)
      {
        DETAIL (r, "cannot read %s", f);
        FIX (r, "%s", fixconf);
        return;
      }
  }
  for (i = 0; i < ARRAY_SIZE (wanted_controllers); i++)
    {
      char *hit = ctl;
      size_t wl = strlen (wanted_controllers[i]);
      bool found = false;
      while ((hit = strstr (hit, wanted_controllers[i])))
        {
          if ((hit == ctl || hit[-1] == ' ') && (hit[wl] == ' ' || hit[wl] == '\n' || hit[wl] == '\0'))
            {
              found = true;
              break;
            }
          hit += wl;
        }
      if (! found)
        {
          char *n = xasprintf ("%s%s%s", missing, *missing ? " " : "", wanted_controllers[i]);
          free (missing);
          missing = n;
        }
    }
  if (*missing)
    {
      DETAIL (r, "%s is delegated, but without the controllers: %s", dir, missing);
      FIX (r, "%s", fixconf);
      return;
    }
  r->ok = true;
  DETAIL (r, "%s is delegated with cpu cpuset io memory pids", dir);
}

static void
check_dbus (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  _cleanup_free_ char *bus = xasprintf ("%s/bus", c->xdg && *c->xdg ? c->xdg : c->run_user);
  struct stat st;
  r->ok = stat (bus, &st) == 0 && S_ISSOCK (st.st_mode);
  if (r->ok)
    {
      DETAIL (r, "the systemd user bus is at %s", bus);
      return;
    }
  DETAIL (r, "no user bus at %s: the systemd cgroup driver cannot reach the user manager", bus);
  FIX (r, "apt-get install dbus-user-session, then log in again (systemctl --user must work)");
}

static void
check_linger (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  _cleanup_free_ char *f = xasprintf ("/var/lib/systemd/linger/%s", user_or_uid (c));
  r->ok = c->user && access (f, F_OK) == 0;
  if (r->ok)
    {
      DETAIL (r, "lingering is on for %s: the user manager and its containers outlive the login", c->user);
      return;
    }
  DETAIL (r, "lingering is off for %s: the user manager stops, and containers with it, at logout",
          user_or_uid (c));
  FIX (r, "loginctl enable-linger %s", user_or_uid (c));
}

static int
try_overlay (void)
{
  /* in our own mount namespace: a tmpfs on /tmp with an overlay in it */
  if (mount ("none", "/tmp", "tmpfs", 0, "mode=0700") < 0)
    return 10;
  if (mkdir ("/tmp/l", 0700) < 0 || mkdir ("/tmp/u", 0700) < 0 || mkdir ("/tmp/w", 0700) < 0
      || mkdir ("/tmp/m", 0700) < 0)
    return 11;
  if (mount ("overlay", "/tmp/m", "overlay", 0, "lowerdir=/tmp/l,upperdir=/tmp/u,workdir=/tmp/w") < 0)
    return 12;
  return 0;
}

static void
check_overlay (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  struct utsname u;
  int maj = 0, min = 0, s;
  uname (&u);
  sscanf (u.release, "%d.%d", &maj, &min);
  s = in_own_userns (CLONE_NEWNS, try_overlay);
  r->ok = s == 0;
  if (r->ok)
    {
      DETAIL (r, "an overlay mount works in a user namespace (Linux %s)", u.release);
      return;
    }
  if (maj < 5 || (maj == 5 && min < 11))
    DETAIL (r, "Linux %s: unprivileged overlay mounts need 5.11 or newer", u.release);
  else if (s < 0)
    DETAIL (r, "could not try: no user namespace (%s)", strerror (-s));
  else
    DETAIL (r, "an overlay mount in a user namespace failed (Linux %s, step %d)", u.release, s);
  FIX (r, "upgrade to Linux 5.11 or newer, or install fuse-overlayfs (apt-get install fuse-overlayfs)");
}

static void
check_ports (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  _cleanup_free_ char *v = sysctl_str ("net/ipv4/ip_unprivileged_port_start");
  long n;
  if (v == NULL)
    {
      r->ok = false;
      DETAIL (r, "net.ipv4.ip_unprivileged_port_start does not exist (Linux 4.11+): ports below 1024 need root");
      FIX (r, "upgrade the kernel, or give the port forwarder cap_net_bind_service");
      return;
    }
  n = strtol (v, NULL, 10);
  r->ok = n <= 80;
  if (r->ok)
    DETAIL (r, "net.ipv4.ip_unprivileged_port_start = %ld: ports from %ld up can be published", n, n);
  else
    {
      DETAIL (r, "net.ipv4.ip_unprivileged_port_start = %ld: ports below %ld (80, 443) cannot be published by a "
                 "user", n, n);
      FIX (r, "sysctl -w net.ipv4.ip_unprivileged_port_start=80 (and put it in /etc/sysctl.d/99-rootless.conf)");
    }
}

static void
check_ping (const struct brig_check_ctx *c, struct brig_check_result *r)
{
  _cleanup_free_ char *v = sysctl_str ("net/ipv4/ping_group_range");
  unsigned long lo, hi;
  gid_t groups[256];
  int n, i;
  bool in = false;

  if (v == NULL || sscanf (v, "%lu %lu", &lo, &hi) != 2)
    {
      r->ok = false;
      DETAIL (r, "net.ipv4.ping_group_range cannot be read");
      FIX (r, "sysctl -w \"net.ipv4.ping_group_range=0 2147483647\"");
      return;
    }
  n = getgroups (ARRAY_SIZE (groups), groups);
  in = c->gid >= lo && c->gid <= hi;
  for (i = 0; i < n && ! in; i++)
    in = groups[i] >= lo && groups[i] <= hi;
  r->ok = in;
  if (in)
    DETAIL (r, "net.ipv4.ping_group_range = %s includes your group: ping works in containers", v);
  else
    {
      DETAIL (r, "net.ipv4.ping_group_range = %s excludes your groups (gid %u): ping fails in containers", v,
              (unsigned) c->gid);
      FIX (r, "sysctl -w \"net.ipv4.ping_group_range=0 2147483647\" (and put it in "
              "/etc/sysctl.d/99-rootless.conf)");
    }
}

static const struct brig_check checks[] = {
  { "userns.max", "user namespaces enabled (user.max_user_namespaces)", check_max_userns },
  { "userns.unprivileged_clone", "unprivileged user namespaces allowed (kernel.unprivileged_userns_clone)",
    check_unpriv_clone },
  { "userns.apparmor", "AppArmor lets users make user namespaces", check_apparmor },
  { "userns.create", "a user namespace can be made", check_userns_works },
  { "newuidmap", "newuidmap installed, setuid or with cap_setuid", check_newuidmap },
  { "newgidmap", "newgidmap installed, setuid or with cap_setgid", check_newgidmap },
  { "subuid", "/etc/subuid grants at least 65536 ids", check_subuid },
  { "subgid", "/etc/subgid grants at least 65536 ids", check_subgid },
  { "xdg_runtime_dir", "XDG_RUNTIME_DIR set and yours", check_xdg },
  { "cgroup.v2", "cgroup v2", check_cgroup_v2 },
  { "cgroup.delegation", "the user's cgroup delegated by systemd", check_delegation },
  { "dbus.user_session", "a systemd user bus (dbus-user-session)", check_dbus },
  { "linger", "lingering, for containers that outlive the login", check_linger },
  { "overlay.unprivileged", "unprivileged overlay mounts (Linux 5.11+)", check_overlay },
  { "net.ip_unprivileged_port_start", "low ports can be published", check_ports },
  { "net.ping_group_range", "ping allowed for your group", check_ping },
};

const struct brig_check *
brig_checks (size_t *n)
{
  *n = ARRAY_SIZE (checks);
  return checks;
}

void
brig_check_ctx_init (struct brig_check_ctx *c)
{
  struct passwd *pw;
  memset (c, 0, sizeof (*c));
  c->uid = geteuid ();
  c->gid = getegid ();
  pw = getpwuid (c->uid);
  c->user = pw ? xstrdup (pw->pw_name) : NULL;
  c->xdg = getenv ("XDG_RUNTIME_DIR");
  c->path_env = getenv ("PATH");
  c->run_user = xasprintf ("/run/user/%u", (unsigned) c->uid);
  c->self_path = realpath ("/proc/self/exe", NULL);
}

void
brig_check_ctx_clear (struct brig_check_ctx *c)
{
  free (c->user);
  free (c->run_user);
  free (c->self_path);
}

bool
brig_checks_run (const struct brig_check_ctx *c, struct brig_check_result *res)
{
  size_t i;
  bool all = true;
  for (i = 0; i < ARRAY_SIZE (checks); i++)
    {
      memset (&res[i], 0, sizeof (res[i]));
      checks[i].run (c, &res[i]);
      if (res[i].detail == NULL)
        res[i].detail = xstrdup ("");
      all = all && res[i].ok;
    }
  return all;
}
