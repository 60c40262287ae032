#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <linux/sched.h>

#include "cgroup.h"
#include "config.h"
#include "container.h"
#include "hooks.h"
#include "idmap.h"
#include "init.h"
#include "log.h"
#include "namespaces.h"
#include "process.h"
#include "seccomp.h"
#include "state.h"
#include "sync.h"
#include "terminal.h"
#include "userns.h"
#include "utils.h"

#ifndef CLONE_INTO_CGROUP
# define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* ---- state JSON as the spec and engines see it ---- */

static char *
owner_name (uid_t uid)
{
  struct passwd *pw = getpwuid (uid);
  return pw ? xstrdup (pw->pw_name) : xasprintf ("%u", (unsigned) uid);
}

static struct oci_state *
public_state (const struct brig_state *st, enum brig_status status)
{
  struct oci_state *o = xcalloc (1, sizeof (*o));
  size_t i;
  o->oci_version = xstrdup (BRIG_SPEC_VERSION);
  o->id = xstrdup (st->id);
  o->status = xstrdup (brig_status_name (status));
  o->pid = (status == BRIG_STOPPED || ! st->has_pid) ? 0 : st->pid;
  o->has_pid = true;
  o->bundle = xstrdup (st->bundle ? st->bundle : "");
  o->rootfs = xstrdup (st->rootfs ? st->rootfs : "");
  o->created = xstrdup (st->created ? st->created : "");
  o->owner = owner_name (st->has_owner_uid ? st->owner_uid : 0);
  for (i = 0; i < st->annotations.len; i++)
    ocispec_strmap_set (&o->annotations, st->annotations.keys[i], st->annotations.values[i]);
  return o;
}

/* The state document handed to hooks and to the seccomp listener. */
static char *
hook_state (const struct brig_state *st, const char *status)
{
  struct oci_state o = { 0 };
  o.oci_version = (char *) BRIG_SPEC_VERSION;
  o.id = st->id;
  o.status = (char *) status;
  o.pid = st->pid;
  o.has_pid = st->has_pid && strcmp (status, "stopped") != 0;
  o.bundle = st->bundle;
  o.annotations = st->annotations;
  return ocispec_print (&oci_state_type, &o, false, NULL);
}

/* ---- create ---- */

struct create_ctx
{
  const struct brig_create_opts *o;
  struct oci_spec *spec;
  char *raw;
  size_t raw_len;
  char *bundle;
  char *rootfs;
  int dirfd;
  bool dir_made;
  struct brig_state *st;
  struct brig_cgroup *cg;
  struct brig_seccomp *sc;
  struct brig_ns_plan ns;
  int *idmap_fds;  /* id-mapped mounts made here for the init (idmap.h) */
  pid_t child;     /* what clone returned */
  pid_t pid;       /* the container's init */
  int pidfd;
  int sock[2];
  int fifo;
};

static void
create_ctx_cleanup (struct create_ctx *c, bool failed)
{
  if (failed)
    {
      if (c->pid > 0)
        kill (c->pid, SIGKILL);
      if (c->child > 0 && c->child != c->pid)
        kill (c->child, SIGKILL);
      if (c->child > 0)
        waitpid (c->child, NULL, 0);
      if (c->pid > 0 && c->pid != c->child)
        waitpid (c->pid, NULL, __WALL | WNOHANG);
      if (c->cg)
        brig_cgroup_destroy (c->cg, NULL);
      if (c->dir_made)
        brig_state_remove (c->o->g->root, c->o->id, NULL);
    }
  if (c->cg)
    brig_cgroup_free (c->cg);
  if (c->sc)
    brig_seccomp_free (c->sc);
  brig_ns_plan_close (&c->ns);
  brig_idmap_close (c->idmap_fds, c->spec ? c->spec->mounts_len : 0);
  if (c->sock[0] >= 0)
    close (c->sock[0]);
  if (c->sock[1] >= 0)
    close (c->sock[1]);
  if (c->fifo >= 0)
    close (c->fifo);
  if (c->dirfd >= 0)
    close (c->dirfd);
  if (c->pidfd >= 0)
    close (c->pidfd);
  if (c->st)
    ocispec_free (&brig_state_type, c->st);
  if (c->spec)
    oci_spec_free (c->spec);
  free (c->raw);
  free (c->bundle);
  free (c->rootfs);
}

static int
check_preserved_fds (int n, struct brig_error **err)
{
  int fd;
  /* brig's own --log fd is not one the caller passed */
  for (fd = 3; fd < 3 + n; fd++)
    if (fcntl (fd, F_GETFD) < 0 || fd == brig_log_fd ())
      return brig_error_set (err, 0, "--preserve-fds %d: fd %d was not passed to brig", n, fd);
  return 0;
}

static pid_t
do_clone (uint64_t flags, int cgroup_fd, int *pidfd)
{
  struct clone_args args = { 0 };
  pid_t pid;

  args.flags = flags | CLONE_PIDFD;
  args.exit_signal = SIGCHLD;
  args.pidfd = (uint64_t) (uintptr_t) pidfd;
  if (cgroup_fd >= 0)
    {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = cgroup_fd;
    }
  pid = syscall (SYS_clone3, &args, sizeof (args));
  if (pid < 0 && cgroup_fd >= 0 && errno != ENOSYS)
    {
      /* the cgroup refused a direct placement: clone, then migrate */
      args.flags &= ~CLONE_INTO_CGROUP;
      args.cgroup = 0;
      pid = syscall (SYS_clone3, &args, sizeof (args));
      if (pid >= 0)
        errno = EAGAIN; /* tell the caller it was not placed */
    }
  if (pid < 0 && errno == ENOSYS)
    {
      *pidfd = -1;
      pid = syscall (SYS_clone, (unsigned long) flags | SIGCHLD, NULL, NULL, NULL, NULL);
      if (pid > 0)
        errno = EAGAIN;
    }
  return pid;
}

static int
handle_messages (struct create_ctx *c, struct brig_error **err)
{
  struct brig_sync_msg *m = xmalloc (sizeof (*m));
  const struct oci_hooks *h = c->spec->hooks;
  int ret = -1;

  for (;;)
    {
      if (brig_sync_recv (c->sock[0], m) < 0)
        {
          if (errno == EPIPE)
            brig_error_set (err, 0, "container init exited during setup");
          else
            brig_error_set (err, errno, "read from container init");
          break;
        }
      if (m->type == SYNC_ERROR)
        {
          *err = xcalloc (1, sizeof (**err));
          (*err)->errnum = m->errnum;
          (*err)->msg = xstrdup (m->data);
          break;
        }
      if (m->type == SYNC_HOOKS)
        {
          _cleanup_free_ char *state = hook_state (c->st, "created");
          if (h && brig_hooks_run (h->prestart, h->prestart_len, "prestart", state, false, err) < 0)
            break;
          if (h && brig_hooks_run (h->create_runtime, h->create_runtime_len, "createRuntime", state, false, err) < 0)
            break;
          brig_sync_send (c->sock[0], SYNC_HOOKS_DONE, 0, state, strlen (state), -1);
          continue;
        }
      if (m->type == SYNC_SECCOMP_FD)
        {
          _cleanup_free_ char *state = hook_state (c->st, "creating");
          int fd = brig_sync_take_fd (c->pidfd, c->pid, m, err);
          int r = fd < 0 ? -1 : brig_seccomp_send_listener (c->spec->linux_->seccomp, fd, state, err);
          if (fd >= 0)
            close (fd);
          if (r < 0)
            break;
          brig_sync_write (c->sock[0], SYNC_FD_DONE, NULL, 0);
          continue;
        }
      if (m->type == SYNC_CONSOLE_FD)
        {
          int r = 0;
          if (c->o->console_socket)
            r = brig_terminal_send (c->o->console_socket, m->fd, err);
          if (r == 0 && c->o->console_master && ! c->o->console_socket)
            *c->o->console_master = dup (m->fd);
          close (m->fd);
          if (r < 0)
            break;
          brig_sync_send (c->sock[0], SYNC_FD_DONE, 0, NULL, 0, -1);
          continue;
        }
      if (m->type == SYNC_READY)
        {
          ret = 0;
          break;
        }
      if (m->fd >= 0)
        close (m->fd);
      brig_error_set (err, EPROTO, "unexpected message %u from container init", m->type);
      break;
    }
  free (m);
  return ret;
}

/* Everything up to a parked init.  On success the init waits on
   exec.fifo (or, in-process for `run`, on the same fifo). */
static int
create_container (struct create_ctx *c, struct brig_error **err)
{
  const struct brig_create_opts *o = c->o;
  struct brig_init_args ia = { 0 };
  struct brig_cgroup_config cc = { 0 };
  struct brig_sync_msg *m = NULL;
  int cgfd, one = 1;
  bool placed;
  uint64_t clone_flags;
  char *cwd;

  if (brig_validate_id (o->id, err) < 0)
    return -1;
  cwd = get_current_dir_name ();
  c->bundle = realpath (o->bundle ? o->bundle : cwd, NULL);
  free (cwd);
  if (c->bundle == NULL)
    return brig_error_set (err, errno, "bundle `%s`", o->bundle ? o->bundle : ".");
  if (o->preserve_fds < 0 || o->preserve_fds > 65536)
    return brig_error_set (err, 0, "--preserve-fds: invalid value %d", o->preserve_fds);
  if (check_preserved_fds (o->preserve_fds, err) < 0)
    return -1;
  if (brig_config_load (c->bundle, o->config, &c->spec, &c->raw, &c->raw_len, err) < 0)
    return -1;
  if (brig_config_validate (c->spec, err) < 0 || brig_sysctl_validate (c->spec, err) < 0)
    return -1;
  if (brig_userns_validate (c->spec, err) < 0)
    return -1;
  if (brig_config_namespace (c->spec, "mount") == NULL)
    return brig_error_set (err, 0, "linux.namespaces: a mount namespace is required");
  if (c->spec->process->terminal && o->console_socket == NULL && o->console_master == NULL)
    return brig_error_set (err, 0, "process.terminal: cannot allocate a terminal for a detached container "
                                   "without --console-socket");
  {
    const char *rp = c->spec->root->path;
    _cleanup_free_ char *p = rp[0] == '/' ? xstrdup (rp) : xasprintf ("%s/%s", c->bundle, rp);
    struct stat st;
    c->rootfs = realpath (p, NULL);
    if (c->rootfs == NULL)
      return brig_error_set (err, errno, "root.path `%s`", p);
    if (stat (c->rootfs, &st) < 0 || ! S_ISDIR (st.st_mode))
      return brig_error_set (err, ENOTDIR, "root.path `%s`", p);
  }
  if (brig_process_prepare (c->spec, c->spec->process, "process", &ia.plan, err) < 0)
    return -1;
  if (brig_ns_plan_make (c->spec, &c->ns, err) < 0)
    return -1;
  if (c->spec->linux_ && c->spec->linux_->seccomp)
    {
      _cleanup_free_ char *cache = xasprintf ("%s/.cache/seccomp", o->g->root);
      if (brig_seccomp_prepare (c->spec->linux_->seccomp, cache, &c->sc, err) < 0)
        return -1;
    }

  /* ---- from here on, failures must undo what was made ---- */
  if (brig_state_create_dir (o->g->root, o->id, &c->dirfd, err) < 0)
    return -1;
  c->dir_made = true;
  c->st = xcalloc (1, sizeof (*c->st));
  c->st->id = xstrdup (o->id);
  c->st->status = xstrdup ("creating");
  c->st->bundle = xstrdup (c->bundle);
  c->st->rootfs = xstrdup (c->rootfs);
  c->st->created = brig_now_rfc3339 ();
  c->st->owner_uid = geteuid ();
  c->st->has_owner_uid = true;
  c->st->rootless = o->g->rootless;
  c->st->has_rootless = o->g->rootless;
  c->st->systemd_cgroup = o->g->systemd_cgroup;
  c->st->has_systemd_cgroup = o->g->systemd_cgroup;
  {
    size_t i;
    for (i = 0; i < c->spec->annotations.len; i++)
      ocispec_strmap_set (&c->st->annotations, c->spec->annotations.keys[i], c->spec->annotations.values[i]);
  }
  if (brig_write_file_atomic (c->dirfd, "config.json", c->raw, c->raw_len, 0600, err) < 0
      || brig_state_write (c->dirfd, c->st, err) < 0)
    return -1;
  if (mkfifoat (c->dirfd, "exec.fifo", 0600) < 0)
    return brig_error_set (err, errno, "mkfifo exec.fifo");
  /* O_RDWR never blocks: the init holds it and waits for start's byte */
  c->fifo = openat (c->dirfd, "exec.fifo", O_RDWR | O_CLOEXEC);
  if (c->fifo < 0)
    return brig_error_set (err, errno, "open exec.fifo");

  cc.id = o->id;
  cc.cgroups_path = c->spec->linux_ ? c->spec->linux_->cgroups_path : NULL;
  cc.resources = c->spec->linux_ ? c->spec->linux_->resources : NULL;
  cc.annotations = &c->spec->annotations;
  cc.systemd = o->g->systemd_cgroup;
  cc.rootless = o->g->rootless;
  cc.disabled = o->g->cgroup_disabled;
  if (brig_cgroup_create (&cc, &c->cg, err) < 0)
    return -1;
  /* recorded at once, so that a create killed from here on leaves a
     state that `delete --force` can clean up */
  if (c->cg && (brig_cgroup_save (c->cg, c->st) < 0 || brig_state_write (c->dirfd, c->st, err) < 0))
    return -1;

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sock) < 0)
    return brig_error_set (err, errno, "socketpair");
  setsockopt (c->sock[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof (one));

  if (c->ns.pid_fd >= 0 && setns (c->ns.pid_fd, CLONE_NEWPID) < 0)
    return brig_error_set (err, errno, "linux.namespaces: join pid namespace");

  ia.spec = c->spec;
  ia.id = o->id;
  ia.rootfs = c->rootfs;
  ia.bundle = c->bundle;
  ia.ns = &c->ns;
  ia.sync_fd = c->sock[1];
  ia.fifo_fd = c->fifo;
  ia.state_dirfd = c->dirfd;
  ia.no_pivot = o->no_pivot;
  ia.no_new_keyring = o->no_new_keyring;
  ia.preserve_fds = o->preserve_fds;
  ia.seccomp = c->sc;
  ia.seccomp_notify = c->sc && brig_seccomp_uses_notify (c->sc);
  /* not under the container's notifying filter, which is loaded before the
     wait: madvise could be denied or notified, and it is brig's business */
  ia.parks = ! o->starts_at_once && ! ia.seccomp_notify;
  if (brig_idmap_prepare (c->spec, c->bundle, &c->idmap_fds, err) < 0)
    return -1;
  ia.idmap_fds = c->idmap_fds;
  if (c->sc)
    brig_process_plan_seccomp (c->spec->process, &ia.plan);

  clone_flags = c->ns.two_stage ? 0 : (uint64_t) (c->ns.new_flags & ~CLONE_NEWTIME);
  cgfd = c->cg ? brig_cgroup_clone_fd (c->cg) : -1;
  errno = 0;
  c->child = do_clone (clone_flags, cgfd, &c->pidfd);
  if (c->child < 0)
    {
      brig_error_set (err, errno, "clone the container process");
      return (clone_flags & CLONE_NEWUSER) ? brig_userns_explain (err) : -1;
    }
  if (c->child == 0)
    {
      close (c->sock[0]);
      brig_init_main (&ia); /* never returns */
    }
  placed = cgfd >= 0 && errno != EAGAIN;
  close (c->sock[1]);
  c->sock[1] = -1;
  close (c->fifo);
  c->fifo = -1;

  m = xmalloc (sizeof (*m));
  c->pid = c->child;
  if (c->ns.two_stage)
    {
      if (c->ns.new_flags & CLONE_NEWUSER)
        {
          if (brig_sync_expect (c->sock[0], SYNC_MAPS, m, err) < 0)
            goto fail;
          if (brig_userns_write_maps (c->child, c->spec->linux_, err) < 0)
            goto fail;
          brig_sync_send (c->sock[0], SYNC_MAPS_DONE, 0, NULL, 0, -1);
        }
      if (brig_sync_expect (c->sock[0], SYNC_INIT_PID, m, err) < 0)
        goto fail;
      if (m->pid <= 0)
        {
          brig_error_set (err, EPROTO, "no pid from the container init");
          goto fail;
        }
      c->pid = m->pid;
      if (c->pid != c->child)
        {
          /* the intermediate process exits once it has forked the init */
          waitpid (c->child, NULL, 0);
          c->child = 0;
          if (c->pidfd >= 0)
            close (c->pidfd);
          c->pidfd = syscall (SYS_pidfd_open, c->pid, 0);
        }
      placed = false;
    }
  else if (c->ns.new_flags & CLONE_NEWUSER)
    {
      if (brig_userns_write_maps (c->pid, c->spec->linux_, err) < 0)
        goto fail;
    }
  if (c->cg && brig_cgroup_enter (c->cg, c->pid, placed, err) < 0)
    goto fail;
  brig_sync_send (c->sock[0], SYNC_GO, 0, NULL, 0, -1);

  c->st->pid = c->pid;
  c->st->has_pid = true;
  brig_proc_start_time (c->pid, &c->st->pid_start, NULL);
  c->st->has_pid_start = true;
  if (c->cg)
    brig_cgroup_save (c->cg, c->st);
  /* the init clears its parent-death signal before it reports ready: a
     create killed (kill -9) from here on would leave it parked on
     exec.fifo with no pid on disk for delete --force to find
     (tests/security/load.sh) */
  if (brig_state_write (c->dirfd, c->st, err) < 0)
    goto fail;

  if (handle_messages (c, err) < 0)
    goto fail;

  free (c->st->status);
  c->st->status = xstrdup ("created");
  if (brig_state_write (c->dirfd, c->st, err) < 0)
    goto fail;
  if (o->pid_file && brig_write_pid_file (o->pid_file, c->pid, err) < 0)
    goto fail;
  if (o->pidfd_socket && brig_send_pidfd (o->pidfd_socket, c->pid, c->pidfd, o->id, err) < 0)
    goto fail;
  free (m);
  return 0;
fail:
  free (m);
  return -1;
}

int
brig_container_create (const struct brig_create_opts *o, pid_t *pid, struct brig_error **err)
{
  struct create_ctx c = { 0 };
  int r;

  c.o = o;
  c.dirfd = c.fifo = c.pidfd = -1;
  c.sock[0] = c.sock[1] = -1;
  c.ns.pid_fd = -1;
  r = create_container (&c, err);
  if (r == 0 && pid)
    *pid = c.pid;
  if (r == 0)
    c.child = c.pid = 0; /* keep the init */
  create_ctx_cleanup (&c, r < 0);
  return r;
}

/* ---- the commands on an existing container ---- */

int
brig_container_load (const struct brig_global *g, const char *id, int *dirfd, struct brig_state **st,
                     struct brig_error **err)
{
  if (brig_state_open (g->root, id, false, dirfd, err) < 0)
    return -1;
  if (brig_state_read (*dirfd, st, err) < 0)
    {
      close (*dirfd);
      *dirfd = -1;
      return -1;
    }
  return 0;
}

/* poststart or poststop hooks of the config the container was created
   from: a failure is a warning and the others still run (as the spec says). */
static void
run_recorded_hooks (int dirfd, const struct brig_state *st, bool poststop)
{
  _cleanup_free_ char *cfg = NULL;
  _cleanup_free_ char *perr = NULL;
  struct oci_spec *spec;
  size_t len;

  if (brig_read_file_at (dirfd, "config.json", &cfg, &len, 64 << 20, NULL) < 0
      || (spec = oci_spec_parse (cfg, len, &perr)) == NULL)
    return;
  if (spec->hooks)
    {
      struct oci_hook **hooks = poststop ? spec->hooks->poststop : spec->hooks->poststart;
      size_t n = poststop ? spec->hooks->poststop_len : spec->hooks->poststart_len;
      if (n)
        {
          _cleanup_free_ char *state = hook_state (st, poststop ? "stopped" : "running");
          struct brig_error *herr = NULL;
          if (brig_hooks_run (hooks, n, poststop ? "poststop" : "poststart", state, true, &herr) < 0)
            {
              brig_warn ("%s", herr->msg);
              brig_error_free (&herr);
            }
        }
    }
  oci_spec_free (spec);
}

int
brig_container_start (const struct brig_global *g, const char *id, struct brig_error **err)
{
  _cleanup_close_ int dirfd = -1;
  _cleanup_close_ int fifo = -1;
  struct brig_state *st = NULL;
  enum brig_status status;
  int ret = -1;

  if (brig_state_open (g->root, id, true, &dirfd, err) < 0)
    return -1;
  if (brig_state_read (dirfd, &st, err) < 0)
    return -1;
  status = brig_state_status (dirfd, st);
  if (status != BRIG_CREATED)
    {
      if (status == BRIG_STOPPED)
        brig_error_set (err, 0, "cannot start a container that has stopped: `%s`", id);
      else
        brig_error_set (err, 0, "cannot start a container in state %s: `%s`", brig_status_name (status), id);
      goto out;
    }
  /* the init holds the fifo open for reading: ENXIO means it is gone */
  fifo = openat (dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    {
      brig_error_set (err, errno == ENXIO ? 0 : errno, "start `%s`: %s", id,
                      errno == ENXIO ? "container not running" : "open exec.fifo");
      goto out;
    }
  if (write (fifo, "0", 1) != 1)
    {
      brig_error_set (err, errno, "start `%s`: write exec.fifo", id);
      goto out;
    }
  unlinkat (dirfd, "exec.fifo", 0);
  {
    /* the init holds the fifo until its execve (or death): the last
       reader going away is POLLERR on our end */
    struct pollfd p = { fifo, 0, 0 };
    while (poll (&p, 1, -1) < 0 && errno == EINTR)
      ;
  }
  free (st->status);
  st->status = xstrdup ("running");
  if (brig_state_write (dirfd, st, err) < 0)
    goto out;
  run_recorded_hooks (dirfd, st, false);
  ret = 0;
out:
  ocispec_free (&brig_state_type, st);
  return ret;
}

int
brig_container_state_json (const struct brig_global *g, const char *id, bool pretty, char **json,
                           struct brig_error **err)
{
  _cleanup_close_ int dirfd = -1;
  struct brig_state *st = NULL;
  struct oci_state *o;

  if (brig_container_load (g, id, &dirfd, &st, err) < 0)
    return -1;
  o = public_state (st, brig_state_status (dirfd, st));
  *json = ocispec_print (&oci_state_type, o, pretty, NULL);
  ocispec_free (&oci_state_type, o);
  ocispec_free (&brig_state_type, st);
  return 0;
}

int
brig_container_kill (const struct brig_global *g, const char *id, int sig, bool all, struct brig_error **err)
{
  _cleanup_close_ int dirfd = -1;
  _cleanup_close_ int pidfd = -1;
  struct brig_state *st = NULL;
  enum brig_status status;
  int ret = -1;

  if (brig_container_load (g, id, &dirfd, &st, err) < 0)
    return -1;
  status = brig_state_status (dirfd, st);
  if (status == BRIG_STOPPED)
    {
      brig_error_set (err, 0, "container not running: `%s`", id);
      goto out;
    }
  if (all)
    {
      struct brig_cgroup *cg = NULL;
      if (brig_cgroup_load (st, &cg, NULL) == 0 && cg)
        {
          int r = brig_cgroup_kill_all (cg, sig, err);
          brig_cgroup_free (cg);
          if (r < 0)
            goto out;
          ret = 0;
          goto out;
        }
    }
  pidfd = brig_state_pidfd (st);
  if (pidfd < 0)
    {
      brig_error_set (err, 0, "container not running: `%s`", id);
      goto out;
    }
  if (syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
    {
      if (errno == ESRCH)
        brig_error_set (err, 0, "container not running: `%s`", id);
      else
        brig_error_set (err, errno, "kill `%s`", id);
      goto out;
    }
  ret = 0;
out:
  ocispec_free (&brig_state_type, st);
  return ret;
}

/* Wait up to TIMEOUT_MS for PIDFD's process to exit. */
static bool
wait_exit (int pidfd, int timeout_ms)
{
  struct pollfd p = { pidfd, POLLIN, 0 };
  int r;
  do
    r = poll (&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  return r > 0;
}

int
brig_container_delete (const struct brig_global *g, const char *id, bool force, struct brig_error **err)
{
  _cleanup_close_ int dirfd = -1;
  struct brig_state *st = NULL;
  struct brig_cgroup *cg = NULL;
  enum brig_status status;
  int ret = -1;

  if (brig_state_open (g->root, id, true, &dirfd, err) < 0)
    return -1;
  if (brig_state_read (dirfd, &st, err) < 0)
    {
      /* an unreadable record can only be removed */
      if (! force)
        return -1;
      brig_error_free (err);
      return brig_state_remove (g->root, id, err);
    }
  status = brig_state_status (dirfd, st);
  if ((status == BRIG_RUNNING || status == BRIG_PAUSED) && ! force)
    {
      brig_error_set (err, 0, "cannot delete container `%s` that is not stopped: container still running", id);
      goto out;
    }
  brig_cgroup_load (st, &cg, NULL);
  if (status != BRIG_STOPPED)
    {
      /* created (never started) or forced: kill everything and wait */
      _cleanup_close_ int pidfd = brig_state_pidfd (st);
      if (cg)
        {
          if (status == BRIG_PAUSED)
            brig_cgroup_freeze (cg, false, NULL);
          brig_cgroup_kill_all (cg, SIGKILL, NULL);
        }
      if (pidfd >= 0)
        {
          syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
          wait_exit (pidfd, 10000);
        }
    }
  if (cg && brig_cgroup_destroy (cg, err) < 0)
    goto out;
  run_recorded_hooks (dirfd, st, true);
  ret = brig_state_remove (g->root, id, err);
out:
  if (cg)
    brig_cgroup_free (cg);
  ocispec_free (&brig_state_type, st);
  return ret;
}

int
brig_container_list (const struct brig_global *g, struct oci_state ***states, size_t *n,
                     struct brig_error **err)
{
  DIR *d = opendir (g->root);
  struct dirent *de;
  size_t cap = 16;

  *n = 0;
  *states = xcalloc (cap, sizeof (**states));
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return brig_error_set (err, errno, "open state root `%s`", g->root);
    }
  while ((de = readdir (d)))
    {
      int dirfd = -1;
      struct brig_state *st = NULL;
      if (de->d_name[0] == '.' || de->d_type != DT_DIR)
        continue;
      if (brig_container_load (g, de->d_name, &dirfd, &st, NULL) < 0)
        continue;
      if (*n + 1 >= cap)
        *states = xrealloc (*states, (cap *= 2) * sizeof (**states));
      (*states)[(*n)++] = public_state (st, brig_state_status (dirfd, st));
      ocispec_free (&brig_state_type, st);
      close (dirfd);
    }
  closedir (d);
  return 0;
}

/* ---- run ---- */

int
brig_container_run (const struct brig_create_opts *o, bool detach, bool keep, int *status,
                    struct brig_error **err)
{
  sigset_t all, old;
  _cleanup_close_ int sfd = -1;
  int master = -1;
  struct brig_create_opts co = *o;
  pid_t pid = 0;
  int r;

  *status = 0;
  co.starts_at_once = true;
  /* a terminal and nobody to hand it to: it becomes ours */
  if (! detach && o->console_socket == NULL)
    co.console_master = &master;
  o = &co;
  if (! detach)
    {
      /* we reap the container: with a pid namespace joined in two stages
         the init is not our child, unless we are its subreaper */
      prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
      sigfillset (&all);
      sigprocmask (SIG_BLOCK, &all, &old);
    }
  r = brig_container_create (o, &pid, err);
  if (r == 0)
    r = brig_container_start (o->g, o->id, err);
  if (r < 0)
    {
      if (pid > 0)
        brig_container_delete (o->g, o->id, true, NULL);
      return -1;
    }
  if (detach)
    return 0;

  if (master >= 0)
    {
      _cleanup_close_ int pidfd = syscall (SYS_pidfd_open, pid, 0);
      brig_terminal_proxy (master, pidfd);
      close (master);
    }

  /* forward signals to the container and wait for its init */
  {
    sigset_t fwd;
    sigfillset (&fwd);
    sigdelset (&fwd, SIGKILL);
    sigdelset (&fwd, SIGSTOP);
    sfd = signalfd (-1, &fwd, SFD_CLOEXEC);
  }
  for (;;)
    {
      struct signalfd_siginfo si;
      int wstatus;
      pid_t w;
      while ((w = waitpid (-1, &wstatus, WNOHANG)) > 0)
        if (w == pid)
          {
            if (WIFEXITED (wstatus))
              *status = WEXITSTATUS (wstatus);
            else if (WIFSIGNALED (wstatus))
              *status = 128 + WTERMSIG (wstatus);
            goto done;
          }
      if (w < 0 && errno == ECHILD)
        break;
      if (read (sfd, &si, sizeof (si)) != sizeof (si))
        continue;
      if (si.ssi_signo == SIGCHLD)
        continue;
      if (si.ssi_signo == SIGWINCH || si.ssi_signo == SIGURG)
        continue;
      kill (pid, si.ssi_signo);
    }
done:
  /* the rest of the container (a shared pid namespace) goes too */
  if (! keep)
    brig_container_delete (o->g, o->id, true, NULL);
  sigprocmask (SIG_SETMASK, &old, NULL);
  return 0;
}
