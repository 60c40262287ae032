/* Unit tests for src/lib/seccomp.c: profiles are parsed with ocispec_parse,
 * compiled with brig_seccomp_prepare and loaded with brig_seccomp_load in a
 * forked child, which then makes raw syscalls and reports what it saw
 * (mostly: the errno, as its exit status).
 *
 * Output: "ok - ..." / "not ok - ..." lines; exit status 1 on a failure.
 * Needs root (unshare, ptrace, CAP_SYS_ADMIN checks).  The data files
 * are found through $srcdir (automake sets it), next to the binary, or in
 * tests/data/seccomp under the current directory. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ocispec.h"
#include "seccomp.h"
#include "utils.h"

static int failures;
static char tmpdir[PATH_MAX];

static void __attribute__ ((format (printf, 2, 3)))
check (bool ok, const char *fmt, ...)
{
  va_list ap;
  printf ("%s - ", ok ? "ok" : "not ok");
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
  fflush (stdout);
  if (! ok)
    failures++;
}

static void __attribute__ ((format (printf, 1, 2)))
skip (const char *fmt, ...)
{
  va_list ap;
  printf ("ok - ");
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  putchar ('\n');
  fflush (stdout);
}

static double
now_ms (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* ---- building filters ---- */

static struct oci_seccomp *
parse (const char *json)
{
  char *e = NULL;
  struct oci_seccomp *s = ocispec_parse (&oci_seccomp_type, json, strlen (json), &e);
  if (s == NULL)
    {
      printf ("# parse error: %s\n", e);
      free (e);
    }
  return s;
}

static void
free_profile (struct oci_seccomp *s)
{
  if (s)
    ocispec_free (&oci_seccomp_type, s);
}

/* Parse and prepare JSON; NULL (and a "# ..." line) on failure. */
static struct brig_seccomp *
prep (const char *json, const char *cache_dir)
{
  struct oci_seccomp *s = parse (json);
  struct brig_seccomp *sc = NULL;
  struct brig_error *e = NULL;

  if (s == NULL)
    return NULL;
  if (brig_seccomp_prepare (s, cache_dir, &sc, &e) < 0)
    {
      printf ("# prepare error: %s\n", e ? e->msg : "?");
      brig_error_free (&e);
      sc = NULL;
    }
  free_profile (s);
  return sc;
}

/* The error message prepare gives for JSON ("" when it succeeds). */
static char *
prep_error (const char *json)
{
  struct oci_seccomp *s = parse (json);
  struct brig_seccomp *sc = NULL;
  struct brig_error *e = NULL;
  char *msg;

  if (s == NULL)
    return strdup ("(parse failed)");
  if (brig_seccomp_prepare (s, NULL, &sc, &e) < 0)
    msg = strdup (e && e->msg ? e->msg : "?");
  else
    msg = strdup ("");
  brig_error_free (&e);
  brig_seccomp_free (sc);
  free_profile (s);
  return msg;
}

static void
expect_error (const char *what, const char *json, const char *needle1, const char *needle2)
{
  char *msg = prep_error (json);
  bool ok = *msg && strstr (msg, needle1) && (needle2 == NULL || strstr (msg, needle2));
  check (ok, "%s: error names the field (%s)", what, msg);
  free (msg);
}

/* ---- running a child under a filter ---- */

struct call
{
  long nr;
  long a[6];
};

typedef int (*child_fn) (void *arg);

/* Fork; the child sets no_new_privs (NNP), loads SC and returns FN (ARG)
   as its exit status.  Returns the wait status. */
static int
run_child (const struct brig_seccomp *sc, bool nnp, child_fn pre, child_fn fn, void *arg)
{
  pid_t pid;
  int st = 0;

  fflush (stdout);
  pid = fork ();
  if (pid < 0)
    abort ();
  if (pid == 0)
    {
      struct brig_error *e = NULL;
      int nfd = -1;
      if (pre && pre (arg) != 0)
        _exit (120);
      if (nnp && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        _exit (121);
      if (brig_seccomp_load (sc, &nfd, &e) < 0)
        _exit (122);
      _exit (fn (arg));
    }
  while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
    ;
  return st;
}

/* The syscall's errno, 0 when it succeeded. */
static int
do_call (void *arg)
{
  struct call *c = arg;
  long r = syscall (c->nr, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5]);
  return r < 0 ? errno : 0;
}

static const char *
status_str (int st)
{
  static char buf[64];
  if (WIFEXITED (st))
    snprintf (buf, sizeof (buf), "exit %d", WEXITSTATUS (st));
  else if (WIFSIGNALED (st))
    snprintf (buf, sizeof (buf), "signal %d", WTERMSIG (st));
  else
    snprintf (buf, sizeof (buf), "status %#x", st);
  return buf;
}

/* Under SC, syscall C gives errno WANT (0: success). */
static void
expect_call (const char *what, const struct brig_seccomp *sc, struct call c, int want)
{
  int st;
  if (sc == NULL)
    {
      check (false, "%s (no filter)", what);
      return;
    }
  st = run_child (sc, true, NULL, do_call, &c);
  check (WIFEXITED (st) && WEXITSTATUS (st) == want, "%s (want errno %d, got %s)", what, want,
         status_str (st));
}

static void
expect_signal (const char *what, const struct brig_seccomp *sc, struct call c, int sig)
{
  int st;
  if (sc == NULL)
    {
      check (false, "%s (no filter)", what);
      return;
    }
  st = run_child (sc, true, NULL, do_call, &c);
  check (WIFSIGNALED (st) && WTERMSIG (st) == sig, "%s (want signal %d, got %s)", what, sig,
         status_str (st));
}

static char *
tmp_path (const char *name)
{
  return xasprintf ("%s/%s", tmpdir, name);
}

/* ---- the tests ---- */

static void
test_null (void)
{
  struct brig_seccomp *sc = (void *) 1;
  struct brig_error *e = NULL;
  int nfd = 7;
  check (brig_seccomp_prepare (NULL, NULL, &sc, &e) == 0 && sc == NULL, "no seccomp section: nothing to load");
  check (brig_seccomp_load (NULL, &nfd, &e) == 0 && nfd == -1, "loading no filter is a no-op");
  check (! brig_seccomp_uses_notify (NULL), "no filter does not notify");
}

static void
test_errno (void)
{
  _cleanup_free_ char *dir = tmp_path ("blocked");
  _cleanup_free_ char *json = xasprintf (
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
      "{\"names\":[\"mkdir\",\"mkdirat\",\"unshare\"],\"action\":\"SCMP_ACT_ERRNO\"},"
      "{\"names\":[\"rmdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38},"
      "{\"names\":[\"brig_no_such_syscall\",\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":122}]}");
  struct brig_seccomp *sc = prep (json, NULL);

  check (sc != NULL, "prepare a profile with an unknown syscall name (skipped)");
  check (sc && ! brig_seccomp_uses_notify (sc), "a profile without SCMP_ACT_NOTIFY does not notify");
  expect_call ("mkdir is blocked with EPERM", sc, (struct call){ SYS_mkdir, { (long) dir, 0700 } }, EPERM);
  check (access (dir, F_OK) < 0, "the blocked mkdir created nothing");
  expect_call ("mkdirat is blocked with EPERM", sc, (struct call){ SYS_mkdirat, { AT_FDCWD, (long) dir, 0700 } },
               EPERM);
  expect_call ("unshare is blocked with EPERM", sc, (struct call){ SYS_unshare, { CLONE_NEWUTS } }, EPERM);
  expect_call ("errnoRet 38 on rmdir", sc, (struct call){ SYS_rmdir, { (long) "/brig-nonexistent" } }, 38);
  expect_call ("the known name next to an unknown one is still filtered (errnoRet 122)", sc,
               (struct call){ SYS_getppid }, 122);
  expect_call ("other syscalls are allowed", sc, (struct call){ SYS_getpid }, 0);
  /* control: without the filter mkdir succeeds and rmdir says ENOENT */
  {
    struct call c = { SYS_rmdir, { (long) "/brig-nonexistent" } };
    check (do_call (&c) == ENOENT, "control: rmdir without the filter gives ENOENT");
  }
  brig_seccomp_free (sc);
}

/* What a child needs to leave under a deny-by-default profile (sanitizer
   builds intercept _exit and make a few more syscalls). */
#define ALLOW_EXIT                                                                                 \
  "{\"names\":[\"exit_group\",\"exit\",\"sigaltstack\",\"gettid\",\"mmap\",\"munmap\",\"write\","           \
  "\"rt_sigprocmask\",\"rt_sigaction\",\"madvise\",\"brk\",\"getpid\",\"futex\"],\"action\":\"SCMP_ACT_ALLOW\"}"

static void
test_default_errno (void)
{
  const char *allow_exit = ALLOW_EXIT;
  _cleanup_free_ char *j1 = xasprintf (
      "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":77,\"syscalls\":[%s]}", allow_exit);
  _cleanup_free_ char *j2 = xasprintf ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[%s]}", allow_exit);
  struct brig_seccomp *sc1 = prep (j1, NULL), *sc2 = prep (j2, NULL);

  expect_call ("defaultErrnoRet 77 for a syscall not listed", sc1, (struct call){ SYS_getppid }, 77);
  expect_call ("defaultAction SCMP_ACT_ERRNO without defaultErrnoRet gives EPERM", sc2,
               (struct call){ SYS_getppid }, EPERM);
  brig_seccomp_free (sc1);
  brig_seccomp_free (sc2);
}

static void
test_personality (void)
{
  struct brig_seccomp *sc
      = prep ("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[" ALLOW_EXIT ","
              "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
              "\"args\":[{\"index\":0,\"value\":4294967295,\"op\":\"SCMP_CMP_EQ\"}]}]}",
              NULL);
  expect_call ("args: personality(0xffffffff) is allowed", sc,
               (struct call){ SYS_personality, { 0xffffffffL } }, 0);
  expect_call ("args: personality(PER_LINUX32) is not (EPERM)", sc, (struct call){ SYS_personality, { 0x0008 } },
               EPERM);
  expect_call ("args: personality(0) is not (EPERM)", sc, (struct call){ SYS_personality, { 0 } }, EPERM);
  brig_seccomp_free (sc);
}

/* close(fd) on fds that are not open: EBADF when allowed, 42 when the
   rule matched. */
static void
test_ops (void)
{
  static const struct
  {
    const char *op;
    unsigned long value, value_two;
    long hit, miss;
  } t[] = {
    { "SCMP_CMP_NE", 900, 0, 901, 900 },
    { "SCMP_CMP_LT", 900, 0, 899, 900 },
    { "SCMP_CMP_LE", 900, 0, 900, 901 },
    { "SCMP_CMP_EQ", 900, 0, 900, 901 },
    { "SCMP_CMP_GE", 900, 0, 900, 899 },
    { "SCMP_CMP_GT", 900, 0, 901, 900 },
    { "SCMP_CMP_MASKED_EQ", 0xff0, 0x380, 0x385, 0x395 },
  };
  size_t i;

  for (i = 0; i < ARRAY_SIZE (t); i++)
    {
      _cleanup_free_ char *json = xasprintf (
          "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"close\"],"
          "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42,\"args\":[{\"index\":0,\"value\":%lu,"
          "\"valueTwo\":%lu,\"op\":\"%s\"}]}]}",
          t[i].value, t[i].value_two, t[i].op);
      struct brig_seccomp *sc = prep (json, NULL);
      _cleanup_free_ char *w1 = xasprintf ("%s %#lx: close(%#lx) matches", t[i].op, t[i].value, t[i].hit);
      _cleanup_free_ char *w2 = xasprintf ("%s %#lx: close(%#lx) does not", t[i].op, t[i].value, t[i].miss);
      expect_call (w1, sc, (struct call){ SYS_close, { t[i].hit } }, 42);
      expect_call (w2, sc, (struct call){ SYS_close, { t[i].miss } }, EBADF);
      brig_seccomp_free (sc);
    }

  /* two conditions on one argument: one rule each (OR), as runc does */
  {
    struct brig_seccomp *sc = prep (
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"close\"],"
        "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42,\"args\":["
        "{\"index\":0,\"value\":900,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":901,\"op\":\"SCMP_CMP_EQ\"}]}]}",
        NULL);
    expect_call ("same argument twice: first value matches", sc, (struct call){ SYS_close, { 900 } }, 42);
    expect_call ("same argument twice: second value matches", sc, (struct call){ SYS_close, { 901 } }, 42);
    expect_call ("same argument twice: other values do not", sc, (struct call){ SYS_close, { 902 } }, EBADF);
    brig_seccomp_free (sc);
  }
  /* conditions on different arguments: all must hold (AND) */
  {
    struct brig_seccomp *sc = prep (
        "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"fcntl\"],"
        "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":42,\"args\":["
        "{\"index\":0,\"value\":900,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
        NULL);
    expect_call ("two arguments: both match", sc, (struct call){ SYS_fcntl, { 900, F_GETFD } }, 42);
    expect_call ("two arguments: only the first matches", sc, (struct call){ SYS_fcntl, { 900, F_GETFL } }, EBADF);
    expect_call ("two arguments: only the second matches", sc, (struct call){ SYS_fcntl, { 901, F_GETFD } }, EBADF);
    brig_seccomp_free (sc);
  }
}

static void
test_kill (void)
{
  static const char *acts[] = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD" };
  size_t i;
  for (i = 0; i < ARRAY_SIZE (acts); i++)
    {
      _cleanup_free_ char *json = xasprintf (
          "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"%s\"}]}",
          acts[i]);
      _cleanup_free_ char *what = xasprintf ("%s kills the process with SIGSYS", acts[i]);
      struct brig_seccomp *sc = prep (json, NULL);
      expect_signal (what, sc, (struct call){ SYS_getppid }, SIGSYS);
      brig_seccomp_free (sc);
    }
}

static volatile sig_atomic_t trapped_nr = -1, trapped_code = -1;

static void
on_sigsys (int sig, siginfo_t *si, void *uc)
{
  trapped_nr = si->si_syscall;
  trapped_code = si->si_code;
}

static int
trap_pre (void *arg)
{
  struct sigaction sa = { 0 };
  sa.sa_sigaction = on_sigsys;
  sa.sa_flags = SA_SIGINFO;
  return sigaction (SIGSYS, &sa, NULL);
}

static int
trap_child (void *arg)
{
  long r = syscall (SYS_getppid);
  if (trapped_nr != SYS_getppid)
    return 1;
  if (trapped_code != 1 /* SYS_SECCOMP */)
    return 2;
  (void) r; /* not run; what it returns is the handler's business */
  return 0;
}

static void
test_trap_log (void)
{
  struct brig_seccomp *sc = prep (
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_TRAP\"}]}",
      NULL);
  int st = sc ? run_child (sc, true, trap_pre, trap_child, NULL) : -1;
  check (sc && WIFEXITED (st) && WEXITSTATUS (st) == 0,
         "SCMP_ACT_TRAP delivers SIGSYS with si_syscall = getppid (%s)", status_str (st));
  brig_seccomp_free (sc);

  sc = prep ("{\"defaultAction\":\"SCMP_ACT_LOG\",\"syscalls\":["
             "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_LOG\"},"
             "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
             NULL);
  expect_call ("SCMP_ACT_LOG allows the syscall", sc, (struct call){ SYS_getppid }, 0);
  expect_call ("SCMP_ACT_LOG as defaultAction allows the rest", sc, (struct call){ SYS_getpid }, 0);
  expect_call ("... while an ERRNO rule still blocks", sc, (struct call){ SYS_mkdir, { (long) "/brig-x", 0700 } },
               EPERM);
  brig_seccomp_free (sc);
}

static int
trace_child (void *arg)
{
  pid_t expected = *(pid_t *) arg;
  /* the tracer lets it through: the syscall runs */
  return syscall (SYS_getppid) == expected ? 0 : 1;
}

static void
test_trace (void)
{
  struct brig_seccomp *sc = prep ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getppid\"],"
                                  "\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":1234}]}",
                                  NULL);
  unsigned long msg = 0;
  int st = 0, events = 0;
  pid_t me = getpid (), pid;

  /* no tracer: the syscall fails with ENOSYS */
  expect_call ("SCMP_ACT_TRACE without a tracer gives ENOSYS", sc, (struct call){ SYS_getppid }, ENOSYS);
  if (sc == NULL)
    return;

  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      struct brig_error *e = NULL;
      int nfd;
      if (ptrace (PTRACE_TRACEME, 0, 0, 0) < 0)
        _exit (120);
      raise (SIGSTOP);
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || brig_seccomp_load (sc, &nfd, &e) < 0)
        _exit (121);
      _exit (trace_child (&me));
    }
  waitpid (pid, &st, 0);
  if (WIFSTOPPED (st))
    {
      ptrace (PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL);
      ptrace (PTRACE_CONT, pid, 0, 0);
      for (;;)
        {
          if (waitpid (pid, &st, 0) < 0 || WIFEXITED (st) || WIFSIGNALED (st))
            break;
          if (WIFSTOPPED (st) && (st >> 8) == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8)))
            {
              events++;
              ptrace (PTRACE_GETEVENTMSG, pid, 0, &msg);
              ptrace (PTRACE_CONT, pid, 0, 0);
            }
          else
            ptrace (PTRACE_CONT, pid, 0, WIFSTOPPED (st) && WSTOPSIG (st) != SIGTRAP ? WSTOPSIG (st) : 0);
        }
    }
  check (events == 1 && msg == 1234, "SCMP_ACT_TRACE stops in the tracer with errnoRet as the event message "
         "(%d events, msg %lu)", events, msg);
  check (WIFEXITED (st) && WEXITSTATUS (st) == 0, "the traced syscall then runs (%s)", status_str (st));
  brig_seccomp_free (sc);
}

/* ---- SCMP_ACT_NOTIFY with an agent in the test ---- */

static int
send_fd (int sock, int fd)
{
  char c = 'f';
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { &c, 1 };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof (u.buf) };
  struct cmsghdr *cm = CMSG_FIRSTHDR (&m);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &fd, sizeof (int));
  return sendmsg (sock, &m, 0) == 1 ? 0 : -1;
}

/* Receive up to LEN bytes and one fd. */
static ssize_t
recv_fd (int sock, char *buf, size_t len, int *fd)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { buf, len };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof (u.buf) };
  struct cmsghdr *cm;
  ssize_t n = recvmsg (sock, &m, MSG_CMSG_CLOEXEC);

  *fd = -1;
  if (n < 0)
    return -1;
  cm = CMSG_FIRSTHDR (&m);
  if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
    memcpy (fd, CMSG_DATA (cm), sizeof (int));
  return n;
}

/* Read a whole stream (the first recv brings the fd). */
static ssize_t
recv_all_fd (int sock, char *buf, size_t len, int *fd)
{
  ssize_t n = recv_fd (sock, buf, len - 1, fd), m;
  if (n < 0)
    return -1;
  while ((size_t) n < len - 1 && (m = read (sock, buf + n, len - 1 - n)) > 0)
    n += m;
  buf[n] = '\0';
  return n;
}

static int
listen_unix (const char *path)
{
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  int s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (strlen (path) < sizeof (a.sun_path))
    strcpy (a.sun_path, path);
  else
    {
      /* long path: bind through the directory */
      _cleanup_free_ char *dir = xstrdup (path);
      char *slash = strrchr (dir, '/');
      int old = open (".", O_PATH | O_DIRECTORY);
      *slash = '\0';
      if (chdir (dir) < 0)
        return -1;
      strcpy (a.sun_path, slash + 1);
      if (bind (s, (struct sockaddr *) &a, sizeof (a)) < 0 || listen (s, 4) < 0)
        s = -1;
      if (fchdir (old) < 0)
        abort ();
      close (old);
      return s;
    }
  unlink (path);
  if (bind (s, (struct sockaddr *) &a, sizeof (a)) < 0 || listen (s, 4) < 0)
    return -1;
  return s;
}

static void
test_notify (void)
{
  _cleanup_free_ char *sock_path = tmp_path ("agent.sock");
  _cleanup_free_ char *dir = tmp_path ("notified");
  _cleanup_free_ char *json = xasprintf (
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"%s\",\"listenerMetadata\":\"brig \\\"test\\\"\","
      "\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
      "\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
      sock_path);
  struct oci_seccomp *s = parse (json);
  struct brig_seccomp *sc = NULL;
  struct brig_error *e = NULL;
  int sp[2], lsock, nfd = -1, afd = -1, conn, st = 0;
  char buf[4096];
  _cleanup_free_ char *state = NULL;
  pid_t pid;
  bool answered = false;
  ssize_t n;
  int r;

  if (s == NULL || brig_seccomp_prepare (s, NULL, &sc, &e) < 0)
    {
      check (false, "prepare a SCMP_ACT_NOTIFY profile: %s", e ? e->msg : "parse error");
      brig_error_free (&e);
      free_profile (s);
      return;
    }
  check (brig_seccomp_uses_notify (sc), "a SCMP_ACT_NOTIFY profile notifies");
  lsock = listen_unix (sock_path);
  socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);

  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      int fd = -1;
      close (sp[0]);
      if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || brig_seccomp_load (sc, &fd, &e) < 0)
        _exit (120);
      if (fd < 0)
        _exit (121);
      if (send_fd (sp[1], fd) < 0)
        _exit (122);
      close (fd);
      /* the agent answers: success, without creating anything */
      if (syscall (SYS_mkdir, dir, 0700) != 0)
        _exit (123);
      if (access (dir, F_OK) == 0)
        _exit (124);
      _exit (0);
    }
  close (sp[1]);
  if (recv_fd (sp[0], buf, 1, &nfd) != 1 || nfd < 0)
    check (false, "the child hands over the notify fd");
  close (sp[0]);

  state = xasprintf ("{\"ociVersion\":\"1.3.0\",\"id\":\"ctr-notify\",\"status\":\"creating\",\"pid\":%d,"
                     "\"bundle\":\"/bundle\",\"annotations\":{\"k\":\"v\"}}",
                     (int) pid);
  r = brig_seccomp_send_listener (s, nfd, state, &e);
  check (r == 0, "send_listener sends the fd to listenerPath%s%s", e ? ": " : "", e ? e->msg : "");
  brig_error_free (&e);
  close (nfd);

  conn = accept4 (lsock, NULL, NULL, SOCK_CLOEXEC);
  n = conn >= 0 ? recv_all_fd (conn, buf, sizeof (buf), &afd) : -1;
  if (conn >= 0)
    close (conn);
  {
    _cleanup_free_ char *pidstr = xasprintf ("\"pid\":%d", (int) pid);
    check (n > 0 && afd >= 0, "the agent gets one message with an fd (%zd bytes)", n);
    check (n > 0 && strstr (buf, "\"fds\":[\"seccompFd\"]") && strstr (buf, "\"metadata\":\"brig \\\"test\\\"\"")
               && strstr (buf, "\"id\":\"ctr-notify\"") && strstr (buf, pidstr)
               && strstr (buf, "\"state\":{") && strstr (buf, "\"annotations\":{\"k\":\"v\"}"),
           "the message is the container process state: %s", n > 0 ? buf : "");
  }

  if (afd >= 0)
    {
      struct seccomp_notif req;
      struct seccomp_notif_resp resp;
      memset (&req, 0, sizeof (req));
      if (ioctl (afd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0)
        {
          memset (&resp, 0, sizeof (resp));
          resp.id = req.id;
          resp.val = 0;
          resp.error = 0;
          answered = req.data.nr == SYS_mkdir && req.pid == (unsigned) pid
                     && ioctl (afd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0;
        }
      close (afd);
    }
  check (answered, "the agent sees mkdir from the container process and answers it");
  waitpid (pid, &st, 0);
  check (WIFEXITED (st) && WEXITSTATUS (st) == 0,
         "mkdir in the child gets the agent's success, and no directory exists (%s)", status_str (st));
  close (lsock);
  brig_seccomp_free (sc);
  free_profile (s);
}

/* send_listener alone: a long listenerPath (beyond sun_path) and a state
   that is already a container process state. */
static void
test_send_listener (void)
{
  char longdir[PATH_MAX + 128];
  int pfd[2], lsock, conn, afd = -1;
  struct oci_seccomp *s;
  struct brig_error *e = NULL;
  char buf[2048];
  _cleanup_free_ char *json = NULL, *sock_path = NULL;
  const char *cps = "{\"ociVersion\":\"1.3.0\",\"fds\":[\"seccompFd\"],\"pid\":42,\"metadata\":\"m\","
                    "\"state\":{\"ociVersion\":\"1.3.0\",\"id\":\"x\",\"status\":\"running\",\"pid\":42}}";
  ssize_t n;
  int r;

  snprintf (longdir, sizeof (longdir), "%s/%s", tmpdir,
            "a-directory-name-long-enough-to-push-the-socket-path-past-the-108-bytes-of-sun_path-xxxxxxxxxxxxxxxxx");
  mkdir (longdir, 0700);
  sock_path = xasprintf ("%s/agent.sock", longdir);
  json = xasprintf ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"%s\"}", sock_path);
  s = parse (json);
  lsock = listen_unix (sock_path);
  if (pipe2 (pfd, O_CLOEXEC) < 0 || s == NULL || lsock < 0)
    {
      check (false, "set up the long-path listener");
      return;
    }
  r = brig_seccomp_send_listener (s, pfd[1], cps, &e);
  check (r == 0, "send_listener to a %zu-byte listenerPath%s%s", strlen (sock_path), e ? ": " : "",
         e ? e->msg : "");
  brig_error_free (&e);
  conn = accept4 (lsock, NULL, NULL, SOCK_CLOEXEC);
  n = conn >= 0 ? recv_all_fd (conn, buf, sizeof (buf), &afd) : -1;
  check (n > 0 && strcmp (buf, cps) == 0, "a complete container process state is sent as it is");
  check (afd >= 0 && write (afd, "z", 1) == 1 && read (pfd[0], buf, 1) == 1 && buf[0] == 'z',
         "the fd that arrives is the one sent");
  if (conn >= 0)
    close (conn);
  if (afd >= 0)
    close (afd);
  close (pfd[0]);

  r = brig_seccomp_send_listener (s, pfd[1], "{\"nonsense\":1}", &e);
  check (r < 0 && e, "a bad state is an error (%s)", e ? e->msg : "");
  brig_error_free (&e);
  close (lsock);
  unlink (sock_path);
  r = brig_seccomp_send_listener (s, pfd[1], cps, &e);
  check (r < 0 && e && strstr (e->msg, "listenerPath"), "no agent listening is an error naming listenerPath (%s)",
         e ? e->msg : "");
  brig_error_free (&e);
  close (pfd[1]);
  free_profile (s);
}

static int
status_child (void *arg)
{
  char *buf = NULL;
  size_t len;
  struct brig_error *e = NULL;
  if (brig_read_file ("/proc/self/status", &buf, &len, 0, &e) < 0)
    return 1;
  if (! strstr (buf, "\nSeccomp:\t2\n"))
    return 2;
  if (strstr (buf, "Seccomp_filters:") && ! strstr (buf, "\nSeccomp_filters:\t1\n"))
    return 3;
  return 0;
}

static void
test_flags (void)
{
  struct brig_seccomp *sc
      = prep ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\","
              "\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"],"
              "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
              NULL);
  int st = sc ? run_child (sc, true, NULL, status_child, NULL) : -1;
  check (sc && WIFEXITED (st) && WEXITSTATUS (st) == 0,
         "flags TSYNC, LOG, SPEC_ALLOW: one filter loaded in mode 2 (%s)", status_str (st));
  expect_call ("... and it filters", sc, (struct call){ SYS_mkdir, { (long) "/brig-x", 0700 } }, EPERM);
  brig_seccomp_free (sc);

  /* WAIT_KILLABLE_RECV without a listener is dropped (the kernel refuses it) */
  sc = prep ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
             "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
             NULL);
  expect_call ("WAIT_KILLABLE_RECV without SCMP_ACT_NOTIFY loads", sc,
               (struct call){ SYS_mkdir, { (long) "/brig-x", 0700 } }, EPERM);
  brig_seccomp_free (sc);

  /* TSYNC with a listener needs TSYNC_ESRCH, added by prepare */
  sc = prep ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\","
             "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
             "\"syscalls\":[{\"names\":[\"mkdirat\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
             NULL);
  if (sc)
    {
      pid_t pid;
      fflush (stdout);
      pid = fork ();
      if (pid == 0)
        {
          struct brig_error *e = NULL;
          int fd = -1;
          if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || brig_seccomp_load (sc, &fd, &e) < 0)
            _exit (120);
          _exit (fd >= 0 ? 0 : 121);
        }
      waitpid (pid, &st, 0);
    }
  check (sc && WIFEXITED (st) && WEXITSTATUS (st) == 0,
         "TSYNC + WAIT_KILLABLE_RECV with SCMP_ACT_NOTIFY load and give a listener fd (%s)", status_str (st));
  brig_seccomp_free (sc);
}

static int
drop_sys_admin (void *arg)
{
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  if (syscall (SYS_capget, &h, d) < 0)
    return -1;
  d[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
  return syscall (SYS_capset, &h, d) < 0 ? -1 : 0;
}

static void
test_privileges (void)
{
  struct brig_seccomp *sc = prep (
      "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
      NULL);
  struct call c = { SYS_mkdir, { (long) "/brig-x", 0700 } };
  int st;
  pid_t pid;

  if (sc == NULL)
    {
      check (false, "prepare for the privilege tests");
      return;
    }
  st = run_child (sc, false, NULL, do_call, &c);
  check (WIFEXITED (st) && WEXITSTATUS (st) == EPERM, "without no_new_privs, CAP_SYS_ADMIN loads (%s)",
         status_str (st));

  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      struct brig_error *e = NULL;
      int fd;
      if (drop_sys_admin (NULL) < 0)
        _exit (120);
      if (brig_seccomp_load (sc, &fd, &e) == 0)
        _exit (121);
      _exit (e && e->errnum == EACCES && strstr (e->msg, "noNewPrivileges") ? 0 : 122);
    }
  waitpid (pid, &st, 0);
  check (WIFEXITED (st) && WEXITSTATUS (st) == 0,
         "without no_new_privs and CAP_SYS_ADMIN load fails with EACCES and says why (%s)", status_str (st));
  brig_seccomp_free (sc);
}

static void
test_errors (void)
{
  struct oci_seccomp *s;
  char *perr = NULL;
  const char *j;

  expect_error ("unknown architecture",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\","
                "\"SCMP_ARCH_FOO\"]}",
                "linux.seccomp.architectures[2]", "SCMP_ARCH_FOO");
  expect_error ("architecture without the SCMP_ARCH_ prefix",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"x86_64\"]}",
                "linux.seccomp.architectures[0]", "x86_64");
  expect_error ("unknown flag",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\","
                "\"SECCOMP_FILTER_FLAG_BOGUS\"]}",
                "linux.seccomp.flags[1]", "SECCOMP_FILTER_FLAG_BOGUS");
  expect_error ("errnoRet with SCMP_ACT_ALLOW",
                "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"getpid\"],"
                "\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"errnoRet\":1}]}",
                "linux.seccomp.syscalls[1].errnoRet", "SCMP_ACT_ALLOW");
  expect_error ("defaultErrnoRet with SCMP_ACT_KILL",
                "{\"defaultAction\":\"SCMP_ACT_KILL\",\"defaultErrnoRet\":1}", "linux.seccomp.defaultErrnoRet",
                "SCMP_ACT_KILL");
  expect_error ("errnoRet out of range",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":70000}]}",
                "linux.seccomp.syscalls[0].errnoRet", "70000");
  expect_error ("argument index 6",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                "\"action\":\"SCMP_ACT_ERRNO\"},{\"names\":[\"write\"],\"action\":\"SCMP_ACT_ERRNO\","
                "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
                "linux.seccomp.syscalls[1].args[0].index", NULL);
  expect_error ("no syscall names",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}]}",
                "linux.seccomp.syscalls[0].names", NULL);
  expect_error ("SCMP_ACT_NOTIFY as defaultAction", "{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}",
                "linux.seccomp.defaultAction", "SCMP_ACT_NOTIFY");
  expect_error ("SCMP_ACT_NOTIFY on write",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\",\"syscalls\":[{\"names\":"
                "[\"read\",\"write\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
                "linux.seccomp.syscalls[0]", "write");
  expect_error ("listenerMetadata without listenerPath",
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerMetadata\":\"x\"}",
                "linux.seccomp.listenerMetadata", NULL);

  /* the parser checks the action and op enums itself ... */
  j = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_FOO\"}]}";
  s = ocispec_parse (&oci_seccomp_type, j, strlen (j), &perr);
  check (s == NULL && perr && strstr (perr, "syscalls[0].action"), "the parser refuses an unknown action (%s)",
         perr ? perr : "accepted");
  free (perr);
  perr = NULL;
  free_profile (s);
  j = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
      "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_FOO\"}]}]}";
  s = ocispec_parse (&oci_seccomp_type, j, strlen (j), &perr);
  check (s == NULL && perr && strstr (perr, "args[0].op"), "the parser refuses an unknown op (%s)",
         perr ? perr : "accepted");
  free (perr);
  free_profile (s);

  /* ... and prepare does too, for a section built some other way */
  s = parse ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\","
             "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}");
  if (s)
    {
      struct brig_seccomp *sc = NULL;
      struct brig_error *e = NULL;
      char *saved = s->syscalls[0]->action;
      int r;
      s->syscalls[0]->action = (char *) "SCMP_ACT_BOGUS";
      r = brig_seccomp_prepare (s, NULL, &sc, &e);
      check (r < 0 && e && strstr (e->msg, "linux.seccomp.syscalls[0].action") && strstr (e->msg, "SCMP_ACT_BOGUS"),
             "prepare refuses an unknown action (%s)", e ? e->msg : "accepted");
      brig_error_free (&e);
      s->syscalls[0]->action = saved;
      saved = s->syscalls[0]->args[0]->op;
      s->syscalls[0]->args[0]->op = (char *) "SCMP_CMP_BOGUS";
      r = brig_seccomp_prepare (s, NULL, &sc, &e);
      check (r < 0 && e && strstr (e->msg, "linux.seccomp.syscalls[0].args[0].op") && strstr (e->msg, "SCMP_CMP_BOGUS"),
             "prepare refuses an unknown op (%s)", e ? e->msg : "accepted");
      brig_error_free (&e);
      s->syscalls[0]->args[0]->op = saved;
      saved = s->default_action;
      s->default_action = (char *) "SCMP_ACT_NOPE";
      r = brig_seccomp_prepare (s, NULL, &sc, &e);
      check (r < 0 && e && strstr (e->msg, "linux.seccomp.defaultAction"),
             "prepare refuses an unknown defaultAction (%s)", e ? e->msg : "accepted");
      brig_error_free (&e);
      s->default_action = saved;
      free_profile (s);
    }
}

/* ---- real profiles ---- */

static char *data_dir;

static void
find_data_dir (void)
{
  char exe[PATH_MAX], *slash;
  const char *srcdir = getenv ("srcdir");
  ssize_t n;
  struct stat st;
  char *p;

  if (srcdir)
    {
      p = xasprintf ("%s/tests/data/seccomp", srcdir);
      if (stat (p, &st) == 0)
        {
          data_dir = p;
          return;
        }
      free (p);
    }
  n = readlink ("/proc/self/exe", exe, sizeof (exe) - 1);
  if (n > 0)
    {
      exe[n] = '\0';
      slash = strrchr (exe, '/');
      if (slash)
        {
          *slash = '\0';
          p = xasprintf ("%s/../data/seccomp", exe);
          if (stat (p, &st) == 0)
            {
              data_dir = p;
              return;
            }
          free (p);
        }
    }
  if (stat ("tests/data/seccomp", &st) == 0)
    data_dir = xstrdup ("tests/data/seccomp");
}

/* PROFILE (Docker/containers-common format) as the linux.seccomp section an
   engine would pass on this arch with the given caps, through to-oci.jq. */
static char *
convert (const char *profile, const char *caps)
{
  _cleanup_free_ char *cmd = NULL;
  const char *arch = NULL, *scmp = NULL;
  char *out = NULL;
  size_t len = 0;
  FILE *f;

#if defined(__x86_64__)
  arch = "amd64", scmp = "SCMP_ARCH_X86_64";
#elif defined(__aarch64__)
  arch = "arm64", scmp = "SCMP_ARCH_AARCH64";
#endif
  if (arch == NULL || data_dir == NULL)
    return NULL;
  cmd = xasprintf ("jq -c -f '%s/to-oci.jq' --arg arch %s --arg scmp %s --argjson caps '%s' "
                   "--arg kernel \"$(uname -r | cut -d- -f1)\" '%s' 2>/dev/null",
                   data_dir, arch, scmp, caps, profile);
  f = popen (cmd, "r");
  if (f == NULL)
    return NULL;
  if (getdelim (&out, &len, '\0', f) < 0)
    {
      free (out);
      out = NULL;
    }
  if (pclose (f) != 0)
    {
      free (out);
      out = NULL;
    }
  return out;
}

struct sh_arg
{
  int out;
  const char *script;
};

static int
sh_child (void *arg)
{
  struct sh_arg *a = arg;
  char *argv[] = { (char *) "busybox", (char *) "sh", (char *) "-c", (char *) a->script, NULL };
  char *envp[] = { (char *) "PATH=/bin:/usr/bin", NULL };
  dup2 (a->out, 1);
  dup2 (a->out, 2);
  execve ("/bin/busybox", argv, envp);
  return 127;
}

/* Run a busybox shell under SC; its output in OUT. */
static int
run_shell (const struct brig_seccomp *sc, const char *script, char *out, size_t len)
{
  int p[2], st;
  ssize_t n, total = 0;
  struct sh_arg a;

  if (pipe (p) < 0)
    return -1;
  a.out = p[1];
  a.script = script;
  st = run_child (sc, true, NULL, sh_child, &a);
  close (p[1]);
  while (total < (ssize_t) len - 1 && (n = read (p[0], out + total, len - 1 - total)) > 0)
    total += n;
  out[total] = '\0';
  close (p[0]);
  /* one line, for the "ok - ..." report */
  while (total > 0 && out[total - 1] == '\n')
    out[--total] = '\0';
  for (n = 0; n < total; n++)
    if (out[n] == '\n')
      out[n] = '|';
  return st;
}

static int
clone_newuser_child (void *arg)
{
  long r = syscall (SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (r == 0)
    _exit (0); /* allowed after all: the clone child leaves at once */
  if (r > 0)
    {
      waitpid (r, NULL, 0);
      return 0;
    }
  return errno;
}

static void
test_real_profile (const char *name, const char *path, bool podman)
{
  const char *caps = "[\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FOWNER\",\"CAP_FSETID\",\"CAP_KILL\","
                     "\"CAP_NET_BIND_SERVICE\",\"CAP_SETFCAP\",\"CAP_SETGID\",\"CAP_SETPCAP\",\"CAP_SETUID\","
                     "\"CAP_SYS_CHROOT\",\"CAP_AUDIT_WRITE\"]";
  _cleanup_free_ char *json = NULL, *dir = NULL, *script = NULL;
  struct brig_seccomp *sc;
  char out[4096];
  double t0, t1;
  struct stat st_;
  int st;

  if (stat (path, &st_) < 0)
    {
      skip ("%s profile # SKIP %s not found", name, path);
      return;
    }
  json = convert (path, caps);
  if (json == NULL)
    {
      skip ("%s profile # SKIP jq (or tests/data/seccomp/to-oci.jq) not available", name);
      return;
    }
  t0 = now_ms ();
  sc = prep (json, NULL);
  t1 = now_ms ();
  check (sc != NULL, "%s's default profile prepares (%.2f ms, 3 arches)", name, t1 - t0);
  if (sc == NULL)
    return;

  dir = tmp_path (podman ? "podman-dir" : "docker-dir");
  script = xasprintf ("echo hello from busybox; mkdir %s && ls -d %s && cat /proc/self/status | grep '^Seccomp:'",
                      dir, dir);
  st = run_shell (sc, script, out, sizeof (out));
  check (WIFEXITED (st) && WEXITSTATUS (st) == 0 && strstr (out, "hello from busybox") && strstr (out, dir)
             && strstr (out, "Seccomp:\t2"),
         "a busybox shell runs under %s's profile (%s): %s", name, status_str (st), out);

  if (podman)
    {
      expect_call ("podman: swapoff gives EPERM", sc, (struct call){ SYS_swapoff, { (long) "/nonexistent" } },
                   EPERM);
      expect_call ("podman: a syscall not listed gives defaultErrnoRet ENOSYS (add_key)", sc,
                   (struct call){ SYS_add_key, { 0 } }, ENOSYS);
      expect_call ("podman: sethostname without CAP_SYS_ADMIN gives EPERM", sc,
                   (struct call){ SYS_sethostname, { (long) "x", 1 } }, EPERM);
      expect_call ("podman: personality(0x400008), not in the list, gives ENOSYS", sc,
                   (struct call){ SYS_personality, { 0x0008 | 0x0400000 } }, ENOSYS);
      expect_call ("podman: personality(0xffffffff) is allowed", sc,
                   (struct call){ SYS_personality, { 0xffffffffL } }, 0);
    }
  else
    {
      expect_call ("docker: unshare gives EPERM", sc, (struct call){ SYS_unshare, { CLONE_NEWUSER } }, EPERM);
      expect_call ("docker: mount gives EPERM", sc,
                   (struct call){ SYS_mount, { (long) "x", (long) "/mnt", (long) "tmpfs", 0, 0 } }, EPERM);
      expect_call ("docker: keyctl gives EPERM", sc, (struct call){ SYS_keyctl, { 0 } }, EPERM);
      expect_call ("docker: clone3 gives ENOSYS", sc, (struct call){ SYS_clone3, { 0, 0 } }, ENOSYS);
      st = run_child (sc, true, NULL, clone_newuser_child, NULL);
      check (WIFEXITED (st) && WEXITSTATUS (st) == EPERM,
             "docker: clone(CLONE_NEWUSER) is refused by the MASKED_EQ rule (%s)", status_str (st));
      expect_call ("docker: personality(0xffffffff) is allowed", sc,
                   (struct call){ SYS_personality, { 0xffffffffL } }, 0);
      expect_call ("docker: personality(0x4) is not", sc, (struct call){ SYS_personality, { 4 } }, EPERM);
    }
  brig_seccomp_free (sc);
}

/* ---- the cache ---- */

static bool
prepare_only (const struct oci_seccomp *s, const char *cache_dir)
{
  struct brig_seccomp *sc = NULL;
  struct brig_error *e = NULL;
  if (brig_seccomp_prepare (s, cache_dir, &sc, &e) < 0)
    {
      printf ("# prepare error: %s\n", e ? e->msg : "?");
      brig_error_free (&e);
      return false;
    }
  brig_seccomp_free (sc);
  return true;
}

static int
count_entries (const char *dir, char *name, size_t len)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  int n = 0;
  if (d == NULL)
    return -1;
  while ((de = readdir (d)))
    if (strlen (de->d_name) > 4 && strcmp (de->d_name + strlen (de->d_name) - 4, ".bpf") == 0)
      {
        n++;
        if (name)
          snprintf (name, len, "%s/%s", dir, de->d_name);
      }
  closedir (d);
  return n;
}

static void
test_cache (void)
{
  _cleanup_free_ char *cache = tmp_path ("cache/seccomp");
  const char *p1 = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
                   "\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":99}]}";
  const char *p1b = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
                    "\"listenerPath\":\"/somewhere/else\",\"listenerMetadata\":\"other\",\"syscalls\":[{\"names\":"
                    "[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":99}]}";
  const char *p2 = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
                   "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":98}]}";
  struct call mk = { SYS_mkdir, { (long) "/brig-cache-x", 0700 } };
  char entry[PATH_MAX] = "";
  struct stat a, b;
  struct brig_seccomp *sc;
  int fd;

  sc = prep (p1, cache);
  check (sc && count_entries (cache, entry, sizeof (entry)) == 1,
         "first prepare compiles and writes one cache entry (mkdir -p of the cache dir)");
  expect_call ("the compiled filter works (errnoRet 99)", sc, mk, 99);
  brig_seccomp_free (sc);
  if (stat (entry, &a) < 0)
    {
      check (false, "cache entry exists");
      return;
    }
  check ((a.st_mode & 0777) == 0600, "the cache entry is 0600 (%o)", a.st_mode & 0777);

  sc = prep (p1, cache);
  check (sc && stat (entry, &b) == 0 && a.st_ino == b.st_ino && count_entries (cache, NULL, 0) == 1,
         "second prepare of the same profile hits the cache (entry not rewritten)");
  expect_call ("the cached filter works (errnoRet 99)", sc, mk, 99);
  brig_seccomp_free (sc);

  sc = prep (p1b, cache);
  check (sc && stat (entry, &b) == 0 && a.st_ino == b.st_ino && count_entries (cache, NULL, 0) == 1,
         "listenerPath/listenerMetadata do not change the key");
  brig_seccomp_free (sc);

  sc = prep (p2, cache);
  check (sc && count_entries (cache, NULL, 0) == 2, "another profile gets another entry");
  expect_call ("... with its own filter (errnoRet 98)", sc, mk, 98);
  brig_seccomp_free (sc);

  /* corrupt the program: one byte near the end */
  fd = open (entry, O_WRONLY);
  if (fd >= 0)
    {
      if (pwrite (fd, "\x5a", 1, a.st_size - 3) != 1)
        abort ();
      close (fd);
    }
  sc = prep (p1, cache);
  check (sc && stat (entry, &b) == 0 && a.st_ino != b.st_ino && b.st_size == a.st_size,
         "a corrupt entry is ignored and rewritten");
  expect_call ("... and the filter is right (errnoRet 99)", sc, mk, 99);
  brig_seccomp_free (sc);

  /* truncated */
  stat (entry, &a);
  if (truncate (entry, a.st_size / 2) < 0)
    abort ();
  sc = prep (p1, cache);
  check (sc && stat (entry, &b) == 0 && a.st_ino != b.st_ino && b.st_size == a.st_size,
         "a truncated entry is ignored and rewritten");
  expect_call ("... and the filter is right (errnoRet 99)", sc, mk, 99);
  brig_seccomp_free (sc);

  /* garbage of the right size */
  stat (entry, &a);
  fd = open (entry, O_WRONLY);
  if (fd >= 0)
    {
      char *junk = xmalloc (a.st_size);
      memset (junk, 0x41, a.st_size);
      if (write (fd, junk, a.st_size) != a.st_size)
        abort ();
      free (junk);
      close (fd);
    }
  sc = prep (p1, cache);
  check (sc && stat (entry, &b) == 0 && a.st_ino != b.st_ino, "a garbage entry is ignored and rewritten");
  expect_call ("... and the filter is right (errnoRet 99)", sc, mk, 99);
  brig_seccomp_free (sc);

  /* a cache dir others can write is not trusted */
  {
    _cleanup_free_ char *open_dir = tmp_path ("cache-777");
    struct brig_seccomp *sc2;
    mkdir (open_dir, 0777);
    chmod (open_dir, 0777);
    sc2 = prep (p1, open_dir);
    check (sc2 && count_entries (open_dir, NULL, 0) == 0, "a group/world-writable cache dir is not used");
    expect_call ("... the filter is compiled all the same (errnoRet 99)", sc2, mk, 99);
    brig_seccomp_free (sc2);
  }

  /* an unwritable cache dir is not an error */
  {
    struct brig_seccomp *sc2 = prep (p2, "/proc/brig-no-such-dir/cache");
    check (sc2 != NULL, "an unusable cache dir only costs the cache");
    brig_seccomp_free (sc2);
  }

  /* the time it saves, with podman's profile */
  {
    _cleanup_free_ char *json = NULL;
    _cleanup_free_ char *cache2 = tmp_path ("cache2");
    struct stat st_;
    double t0, t1, t2, compile_ms, hit_ms;
    struct oci_seccomp *prof;
    bool ok = true;
    int i, n = 10;
    if (stat ("/usr/share/containers/seccomp.json", &st_) == 0)
      json = convert ("/usr/share/containers/seccomp.json", "[\"CAP_KILL\",\"CAP_AUDIT_WRITE\"]");
    if (json == NULL && data_dir)
      {
        _cleanup_free_ char *p = xasprintf ("%s/docker-default.json", data_dir);
        json = convert (p, "[\"CAP_KILL\",\"CAP_AUDIT_WRITE\"]");
      }
    if (json == NULL)
      {
        skip ("cache speed # SKIP no real profile (jq missing?)");
        return;
      }
    prof = parse (json);
    if (prof == NULL)
      {
        check (false, "parse the real profile");
        return;
      }
    t0 = now_ms ();
    for (i = 0; i < n; i++)
      ok = ok && prepare_only (prof, NULL);
    t1 = now_ms ();
    ok = ok && prepare_only (prof, cache2);
    t2 = now_ms ();
    for (i = 0; i < n; i++)
      ok = ok && prepare_only (prof, cache2);
    hit_ms = (now_ms () - t2) / n;
    compile_ms = (t1 - t0) / n;
    free_profile (prof);
    printf ("# real profile: prepare %.3f ms compiling, %.3f ms from the cache\n", compile_ms, hit_ms);
    check (ok, "prepare the real profile %d times", 2 * n + 1);
    check (hit_ms < compile_ms, "a cache hit is faster than compiling (%.3f ms vs %.3f ms)", hit_ms, compile_ms);
  }
}

int
main (void)
{
  char tmpl[] = "/tmp/brig-test-seccomp.XXXXXX";
  _cleanup_free_ char *rm = NULL, *docker = NULL;

  setvbuf (stdout, NULL, _IOLBF, 0);
  if (geteuid () != 0)
    {
      printf ("ok - seccomp unit tests # SKIP need root\n");
      return 0;
    }
  if (mkdtemp (tmpl) == NULL)
    return 1;
  snprintf (tmpdir, sizeof (tmpdir), "%s", tmpl);
  find_data_dir ();

  test_null ();
  test_errno ();
  test_default_errno ();
  test_personality ();
  test_ops ();
  test_kill ();
  test_trap_log ();
  test_trace ();
  test_notify ();
  test_send_listener ();
  test_flags ();
  test_privileges ();
  test_errors ();
  test_real_profile ("podman", "/usr/share/containers/seccomp.json", true);
  if (data_dir)
    {
      docker = xasprintf ("%s/docker-default.json", data_dir);
      test_real_profile ("Docker", docker, false);
    }
  else
    skip ("Docker profile # SKIP tests/data/seccomp not found");
  test_cache ();

  rm = xasprintf ("rm -rf '%s'", tmpdir);
  if (system (rm) != 0)
    printf ("# could not remove %s\n", tmpdir);
  return failures ? 1 : 0;
}
