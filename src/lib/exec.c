#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/sched.h>

#include "cgroup.h"
#include "exec.h"
#include "log.h"
#include "namespaces.h"
#include "process.h"
#include "procfs.h"
#include "seccomp.h"
#include "state.h"
#include "sync.h"
#include "terminal.h"
#include "userns.h"
#include "utils.h"

#ifndef CLONE_INTO_CGROUP
# define CLONE_INTO_CGROUP 0x200000000ULL
#endif

static const struct
{
  const char *name;
  int flag;
} ns_kinds[] = {
  { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS },     { "net", CLONE_NEWNET },
  { "ipc", CLONE_NEWIPC },   { "uts", CLONE_NEWUTS },    { "cgroup", CLONE_NEWCGROUP },
  { "time", CLONE_NEWTIME }, { "pid", CLONE_NEWPID },
};

/* The namespaces of PID that differ from ours: those exec must join. */
static int
container_ns_flags (pid_t pid)
{
  size_t i;
  int flags = 0;
  for (i = 0; i < ARRAY_SIZE (ns_kinds); i++)
    {
      char a[64], b[64];
      struct stat sa, sb;
      snprintf (a, sizeof (a), "/proc/%d/ns/%s", (int) pid, ns_kinds[i].name);
      snprintf (b, sizeof (b), "/proc/self/ns/%s", ns_kinds[i].name);
      if (stat (a, &sa) < 0 || stat (b, &sb) < 0)
        continue;
      if (sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev)
        flags |= ns_kinds[i].flag;
    }
  return flags;
}

static void
inherit_str (char **dst, const char *src)
{
  if ((*dst == NULL || **dst == '\0') && src)
    {
      free (*dst);
      *dst = xstrdup (src);
    }
}

static int
load_process (const struct brig_exec_opts *o, const struct oci_spec *spec, struct oci_process **out,
              struct brig_error **err)
{
  struct oci_process *p;
  size_t i;

  if (o->process_file)
    {
      _cleanup_free_ char *buf = NULL;
      _cleanup_free_ char *perr = NULL;
      size_t len;
      if (brig_read_file (o->process_file, &buf, &len, 16 << 20, err) < 0)
        return brig_error_prefix (err, "--process");
      p = ocispec_parse (&oci_process_type, buf, len, &perr);
      if (p == NULL)
        return brig_error_set (err, 0, "--process `%s`: %s", o->process_file, perr);
      /* what the file leaves out stays as the container has it: a
         process.json without apparmorProfile must not run unconfined in a
         confined container (runc does the same) */
      if (spec->process)
        {
          inherit_str (&p->apparmor_profile, spec->process->apparmor_profile);
          inherit_str (&p->selinux_label, spec->process->selinux_label);
        }
    }
  else
    {
      /* the container's process, with the command and flags on top */
      char *json = ocispec_print (&oci_process_type, spec->process, false, NULL);
      _cleanup_free_ char *perr = NULL;
      p = ocispec_parse (&oci_process_type, json, strlen (json), &perr);
      free (json);
      if (p == NULL)
        return brig_error_set (err, 0, "container process: %s", perr);
      for (i = 0; i < p->args_len; i++)
        free (p->args[i]);
      free (p->args);
      p->args = xcalloc (o->n_args + 1, sizeof (char *));
      for (i = 0; i < o->n_args; i++)
        p->args[i] = xstrdup (o->args[i]);
      p->args_len = o->n_args;
      p->terminal = o->tty;
      free (p->console_size);
      p->console_size = NULL;
    }
  if (p->args_len == 0)
    {
      ocispec_free (&oci_process_type, p);
      return brig_error_set (err, 0, "exec: no command given");
    }
  if (o->tty_set)
    p->terminal = o->tty;
  if (o->cwd)
    {
      free (p->cwd);
      p->cwd = xstrdup (o->cwd);
    }
  if (o->n_env)
    {
      p->env = xrealloc (p->env, (p->env_len + o->n_env + 1) * sizeof (char *));
      for (i = 0; i < o->n_env; i++)
        p->env[p->env_len++] = xstrdup (o->env[i]);
      p->env[p->env_len] = NULL;
    }
  if (o->user)
    {
      _cleanup_free_ char *u = xstrdup (o->user);
      char *colon = strchr (u, ':');
      uint32_t uid, gid = 0;
      if (colon)
        *colon = '\0';
      if (brig_parse_u32 (u, &uid) < 0 || (colon && brig_parse_u32 (colon + 1, &gid) < 0))
        {
          ocispec_free (&oci_process_type, p);
          return brig_error_set (err, 0, "--user: expected uid[:gid], got `%s`", o->user);
        }
      p->user->uid = uid;
      if (colon)
        p->user->gid = gid;
    }
  if (o->n_extra_gids)
    {
      p->user->additional_gids = xrealloc (p->user->additional_gids,
                                           (p->user->additional_gids_len + o->n_extra_gids) * sizeof (uint32_t));
      for (i = 0; i < o->n_extra_gids; i++)
        p->user->additional_gids[p->user->additional_gids_len++] = o->extra_gids[i];
    }
  if (o->no_new_privs)
    {
      p->no_new_privileges = true;
      p->has_no_new_privileges = true;
    }
  if (o->apparmor)
    {
      free (p->apparmor_profile);
      p->apparmor_profile = xstrdup (o->apparmor);
    }
  if (o->process_label)
    {
      free (p->selinux_label);
      p->selinux_label = xstrdup (o->process_label);
    }
  if (o->n_caps)
    {
      /* --cap adds to bounding, effective and permitted, never to
         inheritable (CVE-2022-29162) */
      char ***sets[3];
      size_t *lens[3];
      size_t s;
      if (p->capabilities == NULL)
        p->capabilities = xcalloc (1, sizeof (*p->capabilities));
      sets[0] = &p->capabilities->bounding, lens[0] = &p->capabilities->bounding_len;
      sets[1] = &p->capabilities->effective, lens[1] = &p->capabilities->effective_len;
      sets[2] = &p->capabilities->permitted, lens[2] = &p->capabilities->permitted_len;
      for (s = 0; s < 3; s++)
        {
          *sets[s] = xrealloc (*sets[s], (*lens[s] + o->n_caps + 1) * sizeof (char *));
          for (i = 0; i < o->n_caps; i++)
            (*sets[s])[(*lens[s])++] = xstrdup (o->caps[i]);
          (*sets[s])[*lens[s]] = NULL;
        }
    }
  if (p->terminal && o->console_socket == NULL && o->detach)
    {
      ocispec_free (&oci_process_type, p);
      return brig_error_set (err, 0, "exec: cannot allocate a terminal for a detached process without "
                                     "--console-socket");
    }
  *out = p;
  return 0;
}

struct exec_child
{
  int pidfd;
  int ns_flags;
  bool pid_late;   /* join the pid namespace here and fork a sibling (rootless) */
  int sock;
  int preserve_fds;
  struct brig_process_plan plan;
  const struct brig_seccomp *sc;
};

static __attribute__ ((noreturn)) void
exec_child_main (struct exec_child *c)
{
  struct brig_error *err = NULL;
  int notify_fd = -1;

  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* the procfs handle for oom_score_adj, setgroups and LSM labels is
     pinned from the host's /proc before we join the container's mount
     namespace: a container that mounted over its /proc must not get
     those writes (CVE-2019-16884, CVE-2025-52881) */
  if (brig_procfs_pin (&err) < 0)
    goto fail;
  if (c->ns_flags && setns (c->pidfd, c->ns_flags & ~(c->pid_late ? 0 : CLONE_NEWPID)) < 0)
    {
      brig_error_set (&err, errno, "exec: join the container's namespaces");
      goto fail;
    }
  close (c->pidfd);
  if (c->pid_late)
    {
      /* in the container's user namespace now, so its pid namespace was
         ours to join: the process itself is a sibling born inside it,
         which the parent waits for (userns.h) */
      pid_t sib = brig_userns_fork_sibling (&err);
      if (sib < 0)
        goto fail;
      if (sib > 0)
        _exit (0);
      prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
      brig_sync_send_creds (c->sock, SYNC_INIT_PID);
    }
  /* born in the container's pid namespace: a private procfs of it, where
     the user namespace allows, else the pinned host one */
  if (brig_procfs_private (&err) < 0)
    goto fail;
  {
    /* the container's user namespace, or the runtime's own, may deny it */
    char buf[16] = "";
    int fd = brig_procfs_openat ("self/setgroups", O_RDONLY, NULL);
    if (fd >= 0)
      {
        if (read (fd, buf, sizeof (buf) - 1) > 0 && strncmp (buf, "deny", 4) == 0)
          c->plan.setgroups_denied = true;
        close (fd);
      }
  }
  if (c->plan.p->terminal)
    {
      int master = -1;
      if (brig_terminal_create (c->plan.p->console_size, c->plan.p->user->uid, false, &master, &err) < 0)
        goto fail;
      brig_sync_send (c->sock, SYNC_CONSOLE_FD, 0, NULL, 0, master);
      close (master);
    }
  if (brig_process_setup_privileged (&c->plan, &err) < 0 || brig_process_set_user (&c->plan, &err) < 0
      || brig_process_finish (&c->plan, &err) < 0)
    goto fail;
  if (c->sc && brig_seccomp_load (c->sc, &notify_fd, &err) < 0)
    goto fail;
  if (notify_fd >= 0)
    {
      /* as in init.c: the number, not the fd, and with write(2) */
      struct brig_sync_msg m;
      if (brig_sync_write (c->sock, SYNC_SECCOMP_FD, &notify_fd, sizeof (notify_fd)) < 0
          || brig_sync_read (c->sock, &m) < 0 || m.type != SYNC_FD_DONE)
        _exit (127);
      close (notify_fd);
    }
  if (brig_process_drop_extra (&c->plan, &err) < 0)
    goto fail;
  brig_cloexec_from (3 + c->preserve_fds);
  brig_reset_signals ();
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  brig_process_exec (&c->plan, &err);
fail:
  brig_sync_send_error (c->sock, err);
  _exit (127);
}

int
brig_container_exec (const struct brig_exec_opts *o, int *status, struct brig_error **err)
{
  _cleanup_close_ int dirfd = -1;
  _cleanup_close_ int pidfd = -1;
  _cleanup_free_ char *cfg = NULL;
  _cleanup_free_ char *perr = NULL;
  struct brig_state *st = NULL;
  struct oci_spec *spec = NULL;
  struct oci_process *p = NULL;
  struct brig_cgroup *cg = NULL;
  struct brig_seccomp *sc = NULL;
  struct exec_child c = { 0 };
  struct brig_sync_msg *m = NULL;
  enum brig_status sts;
  int sock[2] = { -1, -1 };
  int ret = -1, cgfd = -1, master = -1;
  size_t len;
  pid_t pid;
  struct clone_args args = { 0 };
  sigset_t all, old;
  bool blocked = false;

  *status = 0;
  /* --preserve-fds N keeps fds 3..N+2 open in the process: each must be
     one the caller passed, not one brig opened itself (runc #5474) */
  if (o->preserve_fds < 0 || o->preserve_fds > 65536)
    return brig_error_set (err, 0, "exec: --preserve-fds: invalid value %d", o->preserve_fds);
  {
    int fd;
    for (fd = 3; fd < 3 + o->preserve_fds; fd++)
      if (fcntl (fd, F_GETFD) < 0 || fd == brig_log_fd ())
        return brig_error_set (err, 0, "exec: --preserve-fds %d: fd %d was not passed to brig", o->preserve_fds,
                               fd);
  }
  if (brig_container_load (o->g, o->id, &dirfd, &st, err) < 0)
    return -1;
  sts = brig_state_status (dirfd, st);
  if (sts == BRIG_STOPPED)
    {
      brig_error_set (err, 0, "cannot exec in a stopped container: container not running: `%s`", o->id);
      goto out;
    }
  if (sts == BRIG_PAUSED && ! o->ignore_paused)
    {
      brig_error_set (err, 0, "cannot exec in a paused container: container paused: `%s`", o->id);
      goto out;
    }
  if (brig_read_file_at (dirfd, "config.json", &cfg, &len, 64 << 20, err) < 0)
    goto out;
  spec = oci_spec_parse (cfg, len, &perr);
  if (spec == NULL)
    {
      brig_error_set (err, 0, "config.json: %s", perr);
      goto out;
    }
  if (load_process (o, spec, &p, err) < 0)
    goto out;
  if (brig_process_prepare (NULL, p, "process", &c.plan, err) < 0)
    goto out;
  if (spec->linux_ && spec->linux_->seccomp)
    {
      _cleanup_free_ char *cache = xasprintf ("%s/.cache/seccomp", o->g->root);
      if (brig_seccomp_prepare (spec->linux_->seccomp, cache, &sc, err) < 0)
        goto out;
      brig_process_plan_seccomp (p, &c.plan);
    }
  pidfd = brig_state_pidfd (st);
  if (pidfd < 0)
    {
      brig_error_set (err, 0, "container not running: `%s`", o->id);
      goto out;
    }
  c.pidfd = pidfd;
  c.ns_flags = container_ns_flags (st->pid);
  c.sc = sc;
  c.preserve_fds = o->preserve_fds;
  if (brig_cgroup_load (st, &cg, NULL) == 0 && cg)
    {
      if (o->cgroup && brig_cgroup_descend (cg, o->cgroup, err) < 0)
        goto out;
      cgfd = brig_cgroup_clone_fd (cg);
    }
  else if (o->cgroup)
    {
      brig_error_set (err, 0, "--cgroup `%s`: the container has no cgroup", o->cgroup);
      goto out;
    }

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0)
    {
      brig_error_set (err, errno, "socketpair");
      goto out;
    }
  c.sock = sock[1];
  /* a pid namespace applies to our children: join it here so the new
     process is born inside, and stays our child */
  if ((c.ns_flags & CLONE_NEWPID) && setns (pidfd, CLONE_NEWPID) < 0)
    {
      /* rootless: only a process in the container's user namespace may
         join its pid namespace; the child does, and forks the process */
      if (errno != EPERM || ! (c.ns_flags & CLONE_NEWUSER))
        {
          brig_error_set (err, errno, "exec: join the container's pid namespace");
          goto out;
        }
      c.pid_late = true;
    }
  if (! o->detach)
    {
      sigfillset (&all);
      sigprocmask (SIG_BLOCK, &all, &old);
      blocked = true;
    }
  args.flags = cgfd >= 0 ? CLONE_INTO_CGROUP : 0;
  args.cgroup = cgfd >= 0 ? cgfd : 0;
  args.exit_signal = SIGCHLD;
  pid = syscall (SYS_clone3, &args, sizeof (args));
  if (pid < 0 && cgfd >= 0)
    {
      args.flags = 0;
      args.cgroup = 0;
      cgfd = -1;
      pid = syscall (SYS_clone3, &args, sizeof (args));
    }
  if (pid < 0 && errno == ENOSYS)
    pid = fork ();
  if (pid < 0)
    {
      brig_error_set (err, errno, "exec: clone");
      goto out;
    }
  if (pid == 0)
    {
      close (sock[0]);
      exec_child_main (&c);
    }
  close (sock[1]);
  sock[1] = -1;
  if (c.pid_late && brig_userns_await_sibling (sock[0], &pid, err) < 0)
    goto out;
  if (cg && brig_cgroup_enter (cg, pid, cgfd >= 0, err) < 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      goto out;
    }
  /* the socket closes on a successful execve; before that the child may
     hand over its pty, and an error message means it failed */
  m = xmalloc (sizeof (*m));
  while (brig_sync_recv (sock[0], m) == 0)
    {
      if (m->type == SYNC_CONSOLE_FD && m->fd >= 0)
        {
          int r = 0;
          if (o->console_socket)
            r = brig_terminal_send (o->console_socket, m->fd, err);
          else
            master = dup (m->fd);
          close (m->fd);
          if (r < 0)
            {
              kill (pid, SIGKILL);
              waitpid (pid, NULL, 0);
              goto out;
            }
          continue;
        }
      if (m->type == SYNC_SECCOMP_FD)
        {
          struct oci_state ps = { 0 };
          _cleanup_free_ char *state = NULL;
          int fd = brig_sync_take_fd (-1, pid, m, err);
          int r;
          ps.oci_version = (char *) BRIG_SPEC_VERSION;
          ps.id = st->id;
          ps.status = (char *) "running";
          ps.pid = pid;
          ps.has_pid = true;
          ps.bundle = st->bundle;
          ps.annotations = st->annotations;
          state = ocispec_print (&oci_state_type, &ps, false, NULL);
          r = fd < 0 ? -1 : brig_seccomp_send_listener (spec->linux_->seccomp, fd, state, err);
          if (fd >= 0)
            close (fd);
          if (r < 0)
            {
              kill (pid, SIGKILL);
              waitpid (pid, NULL, 0);
              goto out;
            }
          brig_sync_write (sock[0], SYNC_FD_DONE, NULL, 0);
          continue;
        }
      if (m->type == SYNC_ERROR)
        {
          *err = xcalloc (1, sizeof (**err));
          (*err)->errnum = m->errnum;
          (*err)->msg = xstrdup (m->data);
          waitpid (pid, NULL, 0);
          goto out;
        }
      if (m->fd >= 0)
        close (m->fd);
    }
  if (o->pid_file && brig_write_pid_file (o->pid_file, pid, err) < 0)
    goto out;
  if (o->pidfd_socket && brig_send_pidfd (o->pidfd_socket, pid, -1, o->id, err) < 0)
    goto out;
  if (o->detach)
    {
      ret = 0;
      goto out;
    }
  if (master >= 0)
    {
      _cleanup_close_ int cpidfd = syscall (SYS_pidfd_open, pid, 0);
      brig_terminal_proxy (master, cpidfd);
    }
  {
    sigset_t fwd;
    int sfd, wstatus;
    sigfillset (&fwd);
    sfd = signalfd (-1, &fwd, SFD_CLOEXEC);
    for (;;)
      {
        struct signalfd_siginfo si;
        pid_t w = waitpid (pid, &wstatus, WNOHANG);
        if (w == pid)
          break;
        if (read (sfd, &si, sizeof (si)) != sizeof (si))
          continue;
        if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGWINCH)
          kill (pid, si.ssi_signo);
      }
    close (sfd);
    *status = WIFEXITED (wstatus) ? WEXITSTATUS (wstatus) : 128 + WTERMSIG (wstatus);
  }
  ret = 0;
out:
  if (blocked)
    sigprocmask (SIG_SETMASK, &old, NULL);
  if (master >= 0)
    close (master);
  free (m);
  if (sock[0] >= 0)
    close (sock[0]);
  if (sock[1] >= 0)
    close (sock[1]);
  if (cg)
    brig_cgroup_free (cg);
  if (sc)
    brig_seccomp_free (sc);
  if (p)
    ocispec_free (&oci_process_type, p);
  if (spec)
    oci_spec_free (spec);
  ocispec_free (&brig_state_type, st);
  return ret;
}
