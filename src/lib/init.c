#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "hooks.h"
#include "inroot.h"
#include "init.h"
#include "park.h"
#include "procfs.h"
#include "rootfs.h"
#include "sync.h"
#include "terminal.h"
#include "userns.h"
#include "utils.h"

#define KEYCTL_JOIN_SESSION_KEYRING 1

static __attribute__ ((noreturn)) void
fail (struct brig_init_args *a, struct brig_error *err)
{
  brig_sync_send_error (a->sync_fd, err);
  _exit (1);
}

static int
write_time_offsets (const struct oci_linux *lx, struct brig_error **err)
{
  size_t i;
  char buf[1024];
  size_t len = 0;

  for (i = 0; i < lx->time_offsets.len; i++)
    {
      const struct oci_time_offset *o = lx->time_offsets.values[i];
      const char *clock = lx->time_offsets.keys[i];
      if (strcmp (clock, "monotonic") != 0 && strcmp (clock, "boottime") != 0)
        return brig_error_set (err, 0, "linux.timeOffsets: unknown clock `%s`", clock);
      len += snprintf (buf + len, sizeof (buf) - len, "%s %lld %u\n", clock, (long long) o->secs, o->nanosecs);
    }
  if (len == 0)
    return 0;
  return brig_procfs_write ("self/timens_offsets", buf, len, err);
}

/* The 2-stage path (sync.h): join the namespaces that have paths first,
   then make the new ones, then fork into a new pid namespace. */
static void
two_stage (struct brig_init_args *a)
{
  struct brig_error *err = NULL;
  struct brig_sync_msg *m = xmalloc (sizeof (*m));
  int flags = a->ns->new_flags & ~(CLONE_NEWUSER | CLONE_NEWTIME);
  pid_t pid;

  if (brig_ns_join (a->ns, true, false, &err) < 0)
    fail (a, err);
  if (a->ns->new_flags & CLONE_NEWUSER)
    {
      if (unshare (CLONE_NEWUSER) < 0)
        {
          brig_error_set (&err, errno, "unshare user namespace");
          brig_userns_explain (&err);
          fail (a, err);
        }
      brig_sync_send (a->sync_fd, SYNC_MAPS, 0, NULL, 0, -1);
      if (brig_sync_expect (a->sync_fd, SYNC_MAPS_DONE, m, &err) < 0)
        _exit (1);
      setresgid (0, 0, 0);
      setresuid (0, 0, 0);
    }
  if (brig_ns_join (a->ns, false, true, &err) < 0)
    fail (a, err);
  if (flags && unshare (flags) < 0)
    {
      brig_error_set (&err, errno, "unshare namespaces %#x", flags);
      fail (a, err);
    }
  free (m);
  if (! (flags & CLONE_NEWPID))
    {
      brig_sync_send_creds (a->sync_fd, SYNC_INIT_PID);
      return;
    }
  pid = fork ();
  if (pid < 0)
    {
      brig_error_set (&err, errno, "fork into the pid namespace");
      fail (a, err);
    }
  if (pid > 0)
    _exit (0); /* the parent reaps us; the init goes on */
  brig_sync_send_creds (a->sync_fd, SYNC_INIT_PID);
}

void
brig_init_main (struct brig_init_args *a)
{
  const struct oci_spec *s = a->spec;
  const struct oci_linux *lx = s->linux_;
  struct brig_error *err = NULL;
  struct brig_sync_msg *m = xmalloc (sizeof (*m));
  _cleanup_free_ char *state_json = NULL;
  struct brig_rootfs r = { 0 };
  int notify_fd = -1;
  bool in_userns;

  /* nothing of the host may be reached through this process while it
     sets the container up (CVE-2016-9962) */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  /* our copy of the parent's fd would keep its flock on the state dir */
  if (a->state_dirfd >= 0)
    close (a->state_dirfd);
  /* `run` blocks every signal to forward them: a signal sent while we set
     up must still reach (and stop) us */
  brig_reset_signals ();

  if (a->ns->two_stage)
    two_stage (a);
  else if (brig_ns_join (a->ns, false, false, &err) < 0)
    fail (a, err);

  /* the parent writes our id maps and puts us in the cgroup */
  if (brig_sync_expect (a->sync_fd, SYNC_GO, m, &err) < 0)
    _exit (1);

  /* every namespace is joined and the rootfs untouched: from here on
     /proc is reached through a handle the container cannot reach */
  if (brig_procfs_private (&err) < 0)
    fail (a, err);
  in_userns = a->ns->userns;
  {
    /* denied in the container's user namespace, or in the one the
       runtime itself runs in (podman's, rootlesskit's) */
    char buf[16] = "";
    _cleanup_close_ int fd = brig_procfs_openat ("self/setgroups", O_RDONLY, NULL);
    if (fd >= 0 && read (fd, buf, sizeof (buf) - 1) > 0 && strncmp (buf, "deny", 4) == 0)
      a->plan.setgroups_denied = true;
  }
  if (in_userns)
    {
      if (! a->ns->two_stage)
        {
          setresgid (0, 0, 0);
          setresuid (0, 0, 0);
        }
    }

  if (a->ns->new_flags & CLONE_NEWTIME)
    {
      if (unshare (CLONE_NEWTIME) < 0)
        {
          brig_error_set (&err, errno, "unshare time namespace");
          fail (a, err);
        }
      if (lx && write_time_offsets (lx, &err) < 0)
        fail (a, err);
    }
  else if (lx && lx->time_offsets.len)
    {
      brig_error_set (&err, 0, "linux.timeOffsets: needs a new time namespace");
      fail (a, err);
    }

  if (s->hostname && *s->hostname && sethostname (s->hostname, strlen (s->hostname)) < 0)
    {
      brig_error_set (&err, errno, "hostname: sethostname `%s`", s->hostname);
      fail (a, err);
    }
  if (s->domainname && *s->domainname && setdomainname (s->domainname, strlen (s->domainname)) < 0)
    {
      brig_error_set (&err, errno, "domainname: setdomainname `%s`", s->domainname);
      fail (a, err);
    }
  if (! a->no_new_keyring)
    {
      char name[128];
      snprintf (name, sizeof (name), "_ses.%s", a->id);
      if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name) < 0 && errno != ENOSYS && errno != EACCES
          && errno != EPERM)
        {
          brig_error_set (&err, errno, "join session keyring");
          fail (a, err);
        }
    }

  r.spec = s;
  r.rootfs = a->rootfs;
  r.bundle = a->bundle;
  r.userns = in_userns;
  r.new_cgroupns = (a->ns->new_flags | a->ns->join_flags) & CLONE_NEWCGROUP;
  r.new_netns = (a->ns->new_flags | a->ns->join_flags) & CLONE_NEWNET;
  r.no_pivot = a->no_pivot;
  r.idmap_fds = a->idmap_fds;
  r.rootfd = r.devnull = -1;
  if (brig_rootfs_prepare (&r, &err) < 0)
    fail (a, err);
  {
    _cleanup_close_ int cwd = brig_inroot_mkdir_all (r.rootfd, s->process->cwd, 0755, NULL);
  }

  /* the parent runs prestart and createRuntime now, and sends back the
     state the container hooks get */
  brig_sync_send (a->sync_fd, SYNC_HOOKS, 0, NULL, 0, -1);
  if (brig_sync_expect (a->sync_fd, SYNC_HOOKS_DONE, m, &err) < 0)
    _exit (1);
  state_json = xstrdup (m->data);
  if (s->hooks && brig_hooks_run (s->hooks->create_container, s->hooks->create_container_len, "createContainer",
                                  state_json, false, &err)
                      < 0)
    fail (a, err);

  if (brig_rootfs_mask (&r, &err) < 0 || brig_rootfs_pivot (&r, &err) < 0)
    fail (a, err);
  /* through the private procfs: readonlyPaths do not apply to it */
  if (brig_sysctl_apply (s, &err) < 0)
    fail (a, err);
  if (brig_rootfs_finalize (&r, &err) < 0)
    fail (a, err);
  if (r.rootfd >= 0)
    close (r.rootfd);

  if (s->process->terminal)
    {
      int master = -1;
      if (brig_terminal_create (s->process->console_size, s->process->user->uid, true, &master, &err) < 0)
        fail (a, err);
      brig_sync_send (a->sync_fd, SYNC_CONSOLE_FD, 0, NULL, 0, master);
      close (master);
      if (brig_sync_expect (a->sync_fd, SYNC_FD_DONE, m, &err) < 0)
        _exit (1);
    }

  if (brig_process_setup_privileged (&a->plan, &err) < 0)
    fail (a, err);
  if (brig_process_set_user (&a->plan, &err) < 0)
    fail (a, err);
  if (brig_process_finish (&a->plan, &err) < 0)
    fail (a, err);

  /* a notifying filter hands its fd to the parent, who passes it to the
     listener: it must be loaded while the parent is still there */
  if (a->seccomp && a->seccomp_notify)
    {
      if (brig_seccomp_load (a->seccomp, &notify_fd, &err) < 0)
        fail (a, err);
      if (notify_fd >= 0)
        {
          /* sendmsg could be a notified syscall, and nobody would answer
             it yet: write the fd's number, the parent takes the fd with
             pidfd_getfd */
          if (brig_sync_write (a->sync_fd, SYNC_SECCOMP_FD, &notify_fd, sizeof (notify_fd)) < 0
              || brig_sync_read (a->sync_fd, m) < 0 || m->type != SYNC_FD_DONE)
            _exit (1);
          close (notify_fd);
        }
    }

  /* only stdio and the fds the caller asked to pass survive execve */
  brig_cloexec_from (3 + a->preserve_fds);
  brig_procfs_reset ();

  /* the parent exits once we are parked: stop tying our life to it
     before telling it so */
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  brig_sync_send (a->sync_fd, SYNC_READY, 0, NULL, 0, -1);
  close (a->sync_fd);

  if (a->fifo_fd >= 0)
    {
      char c;
      if (brig_park_read (a->fifo_fd, &c, 1, a->parks) != 1)
        _exit (1);
      /* keep the fifo open: it closes on execve, which is how `start`
         learns that the program runs (poststart comes after that) */
    }

  if (s->hooks && s->hooks->start_container_len)
    {
      if (brig_hooks_run (s->hooks->start_container, s->hooks->start_container_len, "startContainer", state_json,
                          false, &err)
          < 0)
        goto exec_failed;
    }
  if (a->seccomp && ! a->seccomp_notify && brig_seccomp_load (a->seccomp, &notify_fd, &err) < 0)
    goto exec_failed;
  if (brig_process_drop_extra (&a->plan, &err) < 0)
    goto exec_failed;
  brig_reset_signals ();
  brig_process_exec (&a->plan, &err);

exec_failed:
  /* create has returned: the container's stderr is the only place left */
  dprintf (2, "brig: %s\n", err && err->msg ? err->msg : "exec failed");
  _exit (127);
}
