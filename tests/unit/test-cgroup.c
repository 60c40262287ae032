/* Unit test of the cgroup layer (src/lib/cgroup*.c), driving the library
 * directly: create a cgroup from a config with resources, fork children and
 * put them in it, read every value back from the controller files, freeze
 * and thaw (a frozen child makes no progress), list pids, pids.max stops
 * forks, device rules act, update, OOM notification, stats JSON, kill_all,
 * save/load through the state record, destroy removes every directory.
 *
 * Runs on cgroup v1/hybrid hosts (v1 checks) and on pure cgroup v2 (v2
 * checks; tests/vm/run.sh runs it in a QEMU guest).  Cgroups are made only
 * below the test's own cgroup (relative cgroupsPath); on v2, when the own
 * cgroup is not the root (it has processes, so no controller could be
 * enabled below it), an absolute path is used instead.  Every directory
 * made is removed at exit, pass or fail.
 *
 * Environment:
 *   BRIG_TEST_SYSTEMD=1    also test the systemd driver (default: when PID 1
 *                          is systemd)
 *   BRIG_TEST_ROOTLESS=1   run as an unprivileged user: systemd driver on
 *                          the user bus, and (with BRIG_TEST_DELEGATED=1,
 *                          inside a Delegate=yes scope) cgroupfs in the
 *                          delegated subtree
 *   BRIG_TEST_NO_CGROUPFS=1 skip the cgroupfs driver checks
 *
 * Output: "ok - ..." / "not ok - ..." lines (TAP-like); exit 1 on failure.
 *
 * Build (no config.h needed):
 *   gcc -DHAVE_SYSTEMD=1 -I libocispec -I src/lib tests/unit/test-cgroup.c \
 *     src/lib/cgroup*.c libocispec/ocispec.c src/lib/error.c src/lib/utils.c \
 *     -lyajl -ldl -lm -o test-cgroup */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "cgroup.h"
#include "ocispec.h"
#include "utils.h"

#ifndef CLONE_INTO_CGROUP
# define CLONE_INTO_CGROUP 0x200000000ULL
#endif

static int failures, checks;
static enum brig_cgroup_mode mode;
static char base[256];       /* cgroupsPath prefix of everything we make */
static bool absolute_paths;
static bool rootless;

static void
ok (bool cond, const char *fmt, ...)
{
  va_list ap;
  checks++;
  if (! cond)
    failures++;
  printf ("%s - ", cond ? "ok" : "not ok");
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
  fflush (stdout);
}

/* ok() with the error of the call appended; the call is made first */
static void
ok_err (bool cond, struct brig_error *e, const char *fmt, ...)
{
  va_list ap;
  char *m = NULL;
  va_start (ap, fmt);
  if (vasprintf (&m, fmt, ap) < 0)
    m = NULL;
  va_end (ap);
  ok (cond, "%s%s%s", m ? m : fmt, e ? ": " : "", e ? e->msg : "");
  free (m);
}

#define CHECK0(expr, ...)                    \
  do                                         \
    {                                        \
      int _r = (expr);                       \
      ok_err (_r == 0, e, __VA_ARGS__);      \
      brig_error_free (&e);                  \
    }                                        \
  while (0)

static void
skip (const char *what, const char *why)
{
  printf ("ok - %s # SKIP %s\n", what, why);
  fflush (stdout);
}

static void
diag (const char *fmt, ...)
{
  va_list ap;
  printf ("# ");
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  printf ("\n");
  fflush (stdout);
}

static char *
readf (const char *dir, const char *file)
{
  char p[4096];
  char *buf = NULL;
  size_t len = 0;
  struct brig_error *e = NULL;
  snprintf (p, sizeof (p), "%s/%s", dir ? dir : "", file);
  if (brig_read_file (dir ? p : file, &buf, &len, 0, &e) < 0)
    {
      brig_error_free (&e);
      return xstrdup ("<unreadable>");
    }
  while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
    buf[--len] = '\0';
  return buf;
}

/* value of DIR/FILE equals WANT */
static void
expect_file (const char *dir, const char *file, const char *want, const char *what)
{
  char *got = readf (dir, file);
  ok (strcmp (got, want) == 0, "%s: %s = %s%s%s%s", what, file, want, strcmp (got, want) ? " (got `" : "",
      strcmp (got, want) ? got : "", strcmp (got, want) ? "`)" : "");
  free (got);
}

static void
expect_contains (const char *dir, const char *file, const char *needle, const char *what)
{
  char *got = readf (dir, file);
  ok (strstr (got, needle) != NULL, "%s: %s contains `%s`%s%s%s", what, file, needle, strstr (got, needle) ? "" : " (got `",
      strstr (got, needle) ? "" : got, strstr (got, needle) ? "" : "`)");
  free (got);
}

static struct oci_resources *
res (const char *json)
{
  char *perr = NULL;
  struct oci_resources *r = ocispec_parse (&oci_resources_type, json, strlen (json), &perr);
  if (r == NULL)
    {
      fprintf (stderr, "bad resources JSON in the test: %s\n%s\n", perr, json);
      exit (2);
    }
  return r;
}

static char *
cpath (const char *leaf)
{
  return xasprintf ("%s/%s", base, leaf);
}

/* ---- children ---- */

struct child
{
  pid_t pid;
  int go;   /* write a byte: the child starts its job */
  int done; /* the child writes its result here */
};

enum job
{
  JOB_WAIT,     /* block until killed */
  JOB_SPIN,     /* increment *counter forever */
  JOB_FORKS,    /* fork up to 8 sleeping children, report how many */
  JOB_DEVICES,  /* report open() results for /dev/null and /dev/kmsg */
  JOB_EAT,      /* allocate and touch 256 MiB */
};

static volatile uint64_t *counter;

static void
child_main (enum job job, int go, int done)
{
  char c;
  if (read (go, &c, 1) != 1)
    _exit (3);
  switch (job)
    {
    case JOB_WAIT:
      for (;;)
        pause ();
    case JOB_SPIN:
      {
        /* memory charged to the new cgroup (v2 does not move charges) */
        size_t sz = 1u << 20;
        volatile char *m = mmap (NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m != MAP_FAILED)
          for (size_t i = 0; i < sz; i += 4096)
            m[i] = 1;
        for (;;)
          (*counter)++;
      }
    case JOB_FORKS:
      {
        int n = 0;
        for (int i = 0; i < 8; i++)
          {
            pid_t p = fork ();
            if (p == 0)
              {
                for (;;)
                  pause ();
              }
            if (p < 0)
              break;
            n++;
          }
        c = (char) n;
        (void) ! write (done, &c, 1);
        for (;;)
          pause ();
      }
    case JOB_DEVICES:
      {
        int a = open ("/dev/null", O_RDWR | O_CLOEXEC);
        int b = open ("/dev/kmsg", O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        char r[2] = { a >= 0 ? 'y' : (errno == EPERM ? 'p' : 'e'), b >= 0 ? 'y' : (errno == EPERM ? 'p' : 'e') };
        (void) ! write (done, r, 2);
        _exit (0);
      }
    case JOB_EAT:
      {
        size_t sz = 256u << 20;
        char *m = mmap (NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
          _exit (4);
        for (size_t i = 0; i < sz; i += 4096)
          m[i] = 1;
        _exit (0);
      }
    }
  _exit (0);
}

static struct child
spawn (enum job job)
{
  int g[2], d[2];
  struct child ch;
  if (pipe2 (g, O_CLOEXEC) < 0 || pipe2 (d, O_CLOEXEC) < 0)
    exit (2);
  ch.pid = fork ();
  if (ch.pid < 0)
    exit (2);
  if (ch.pid == 0)
    {
      close (g[1]);
      close (d[0]);
      child_main (job, g[0], d[1]);
    }
  close (g[0]);
  close (d[1]);
  ch.go = g[1];
  ch.done = d[0];
  return ch;
}

/* clone3 (CLONE_INTO_CGROUP) child that blocks until killed */
static pid_t
spawn_into (int cgfd)
{
  struct clone_args a;
  long r;
  memset (&a, 0, sizeof (a));
  a.flags = CLONE_INTO_CGROUP;
  a.exit_signal = SIGCHLD;
  a.cgroup = (uint64_t) cgfd;
  r = syscall (SYS_clone3, &a, sizeof (a));
  if (r == 0)
    {
      for (;;)
        pause ();
    }
  return (pid_t) r;
}

static void
go (struct child *ch)
{
  (void) ! write (ch->go, "x", 1);
}

static int
wait_byte (struct child *ch, char *buf, size_t n, int ms)
{
  struct pollfd p = { ch->done, POLLIN, 0 };
  size_t got = 0;
  while (got < n)
    {
      ssize_t r;
      if (poll (&p, 1, ms) <= 0)
        return -1;
      r = read (ch->done, buf + got, n - got);
      if (r <= 0)
        return -1;
      got += (size_t) r;
    }
  return 0;
}

static void
reap (struct child *ch)
{
  if (ch->pid > 0)
    {
      kill (ch->pid, SIGKILL);
      waitpid (ch->pid, NULL, 0);
      ch->pid = 0;
    }
  if (ch->go >= 0)
    close (ch->go);
  if (ch->done >= 0)
    close (ch->done);
  ch->go = ch->done = -1;
}

static void
reap_orphans (void)
{
  while (waitpid (-1, NULL, WNOHANG) > 0)
    ;
}

static bool
in_cgroup (pid_t pid, const char *needle)
{
  char p[64];
  char *s;
  bool r;
  snprintf (p, sizeof (p), "/proc/%d/cgroup", (int) pid);
  s = readf (NULL, p);
  r = strstr (s, needle) != NULL;
  free (s);
  return r;
}

static bool
pid_listed (struct brig_cgroup *cg, pid_t pid)
{
  pid_t *pids = NULL;
  size_t n = 0;
  bool found = false;
  struct brig_error *e = NULL;
  if (brig_cgroup_pids (cg, &pids, &n, &e) < 0)
    {
      brig_error_free (&e);
      return false;
    }
  for (size_t i = 0; i < n; i++)
    found |= pids[i] == pid;
  free (pids);
  return found;
}

/* ---- state ---- */

static struct brig_state *
state_roundtrip (struct brig_cgroup *cg)
{
  struct brig_state *st = xcalloc (1, sizeof (*st)), *st2;
  size_t len;
  char *js, *perr = NULL;
  st->id = xstrdup ("ctr");
  st->status = xstrdup ("created");
  brig_cgroup_save (cg, st);
  js = ocispec_print (&brig_state_type, st, false, &len);
  ocispec_free (&brig_state_type, st);
  st2 = ocispec_parse (&brig_state_type, js, len, &perr);
  if (st2 == NULL)
    {
      fprintf (stderr, "state: %s\n%s\n", perr, js);
      exit (2);
    }
  free (js);
  return st2;
}

/* every directory recorded in the state record is gone */
static bool
all_gone (const struct brig_state *st)
{
  bool gone = true;
  for (size_t i = 0; i < st->cgroup_paths.len; i++)
    if (st->cgroup_paths.values[i][0] == '/' && access (st->cgroup_paths.values[i], F_OK) == 0)
      {
        diag ("left behind: %s", st->cgroup_paths.values[i]);
        gone = false;
      }
  if (st->cgroup_path && access (st->cgroup_path, F_OK) == 0)
    gone = false;
  return gone;
}

/* ---- cleanup: remove the whole test base in every hierarchy ---- */

static void
cleanup_base (void)
{
  struct brig_cgroup_config c = { 0 };
  struct brig_cgroup *cg = NULL;
  struct brig_error *e = NULL;
  static bool done;
  if (done || base[0] == '\0')
    return;
  done = true;
  c.id = "cleanup";
  c.cgroups_path = base;
  c.rootless = rootless;
  if (brig_cgroup_create (&c, &cg, &e) == 0 && cg)
    {
      if (brig_cgroup_destroy_full (cg, true, &e) < 0)
        {
          fprintf (stderr, "cleanup: %s\n", e->msg);
          brig_error_free (&e);
        }
      brig_cgroup_free (cg);
    }
  brig_error_free (&e);
  reap_orphans ();
}

static void
on_signal (int sig)
{
  cleanup_base ();
  signal (sig, SIG_DFL);
  raise (sig);
}

/* ---- the checks ---- */

static struct brig_cgroup *
make (const char *leaf, const char *resources_json, struct brig_error **err)
{
  struct brig_cgroup_config c = { 0 };
  struct brig_cgroup *cg = NULL;
  struct oci_resources *r = resources_json ? res (resources_json) : NULL;
  char *p = leaf ? cpath (leaf) : NULL;
  c.id = "ctr";
  c.cgroups_path = p;
  c.resources = r;
  c.rootless = rootless;
  if (brig_cgroup_create (&c, &cg, err) < 0)
    cg = NULL;
  if (r)
    ocispec_free (&oci_resources_type, r);
  free (p);
  return cg;
}

static const char *
v1dir (struct brig_cgroup *cg, const char *ctrl, struct brig_state *st)
{
  (void) cg;
  return ocispec_strmap_get (&st->cgroup_paths, ctrl);
}

static void
test_paths (void)
{
  struct brig_cgroup_config c = { 0 };
  struct brig_cgroup *cg = (void *) 1;
  struct brig_error *e = NULL;
  int r;

  c.id = "ctr";
  r = brig_cgroup_create (&c, &cg, &e);
  ok (r == 0 && cg == NULL, "no cgroupsPath and no resources: no cgroup");
  brig_error_free (&e);

  c.cgroups_path = "../escape";
  r = brig_cgroup_create (&c, &cg, &e);
  ok (r < 0 && e && strstr (e->msg, "linux.cgroupsPath") && strstr (e->msg, "escapes"),
      "a cgroupsPath leaving the hierarchy is refused (%s)", e ? e->msg : "no error");
  brig_error_free (&e);

  c.cgroups_path = "a/../../b";
  r = brig_cgroup_create (&c, &cg, &e);
  ok (r < 0 && e && strstr (e->msg, "escapes"), "a/../../b is refused too");
  brig_error_free (&e);

  c.cgroups_path = "/";
  r = brig_cgroup_create (&c, &cg, &e);
  ok (r < 0 && e, "cgroupsPath `/` (the root itself) is refused");
  brig_error_free (&e);

  c.cgroups_path = NULL;
  c.disabled = true;
  c.resources = res ("{\"pids\":{\"limit\":5}}");
  r = brig_cgroup_create (&c, &cg, &e);
  ok (r == 0 && cg == NULL, "--cgroup-manager=disabled: no cgroup");
  ocispec_free (&oci_resources_type, (void *) c.resources);
  brig_error_free (&e);
}

/* cgroupsPath without resources still makes the cgroup */
static void
test_path_only (void)
{
  struct brig_error *e = NULL;
  struct brig_cgroup *cg = make ("pathonly", NULL, &e);
  struct brig_state *st;
  ok (cg != NULL, "cgroupsPath without resources: the cgroup is made%s%s", e ? ": " : "", e ? e->msg : "");
  brig_error_free (&e);
  if (cg == NULL)
    return;
  ok (access (brig_cgroup_path (cg), F_OK) == 0, "  %s exists", brig_cgroup_path (cg));
  st = state_roundtrip (cg);
  CHECK0 (brig_cgroup_destroy (cg, &e), "  destroy");
  ok (all_gone (st), "  destroy removed every directory");
  ocispec_free (&brig_state_type, st);
  brig_cgroup_free (cg);
}

static void
test_unsupported (void)
{
  struct {
    const char *json, *field, *why;
    enum brig_cgroup_mode only; /* 0 = all */
  } cases[] = {
    { "{\"memory\":{\"kernelTCP\":1048576}}", "linux.resources.memory.kernelTCP", "no kmem on v2", BRIG_CGROUP_V2 },
    { "{\"memory\":{\"swappiness\":10}}", "linux.resources.memory.swappiness", "no swappiness on v2", BRIG_CGROUP_V2 },
    { "{\"memory\":{\"disableOOMKiller\":true}}", "linux.resources.memory.disableOOMKiller", "v2", BRIG_CGROUP_V2 },
    { "{\"cpu\":{\"realtimeRuntime\":1000}}", "linux.resources.cpu.realtimeRuntime", "v2", BRIG_CGROUP_V2 },
    { "{\"network\":{\"classID\":1}}", "linux.resources.network.classID", "net_cls", 0 },
    { "{\"blockIO\":{\"leafWeight\":100}}", "linux.resources.blockIO.leafWeight", "leaf weights", 0 },
    { "{\"memory\":{\"swappiness\":1000}}", "linux.resources.memory.swappiness", "range", BRIG_CGROUP_HYBRID },
    { "{\"memory\":{\"limit\":1048576,\"swap\":1024}}", "linux.resources.memory.swap", "swap < limit",
      BRIG_CGROUP_V2 },
    { "{\"unified\":{\"memory.nosuchfile\":\"1\"}}", "linux.resources.unified", "unknown unified key", 0 },
    { "{\"hugepageLimits\":[{\"pageSize\":\"3MB\",\"limit\":0}]}", "linux.resources.hugepageLimits", "bad size", 0 },
    { "{\"devices\":[{\"allow\":true,\"type\":\"x\",\"access\":\"r\"}]}", "linux.resources.devices[0].type",
      "bad device type", 0 },
  };
  for (size_t i = 0; i < ARRAY_SIZE (cases); i++)
    {
      struct brig_error *e = NULL;
      struct brig_cgroup *cg;
      char leaf[32];
      if (cases[i].only && cases[i].only != mode && ! (cases[i].only == BRIG_CGROUP_HYBRID && mode == BRIG_CGROUP_V1))
        continue;
      /* on v1 hosts where net_cls or blkio leaf weights exist these apply */
      if (strstr (cases[i].field, "network") && mode != BRIG_CGROUP_V2 && access ("/sys/fs/cgroup/net_cls", F_OK) == 0)
        continue;
      if (strstr (cases[i].field, "leafWeight") && mode != BRIG_CGROUP_V2)
        {
          char *bl = xasprintf ("%s/blkio.leaf_weight", "/sys/fs/cgroup/blkio");
          bool has = access (bl, F_OK) == 0;
          free (bl);
          if (has)
            continue;
        }
      snprintf (leaf, sizeof (leaf), "bad%zu", i);
      cg = make (leaf, cases[i].json, &e);
      ok (cg == NULL && e && strstr (e->msg, cases[i].field), "refused with the field named: %s (%s)", cases[i].json,
          e ? e->msg : "no error");
      if (cg)
        {
          struct brig_error *e2 = NULL;
          brig_cgroup_destroy (cg, &e2);
          brig_error_free (&e2);
          brig_cgroup_free (cg);
        }
      brig_error_free (&e);
    }
  /* a failed create leaves nothing behind */
  {
    struct brig_cgroup_config c = { 0 };
    struct brig_cgroup *cg = NULL;
    struct brig_error *e = NULL;
    char *p = cpath ("bad0");
    c.id = "probe";
    c.cgroups_path = p;
    c.rootless = rootless;
    if (brig_cgroup_create (&c, &cg, &e) == 0 && cg)
      {
        struct brig_state *st = state_roundtrip (cg);
        /* the probe had to make the leaf: the failed creates left none */
        const char *d = ocispec_strmap_get (&st->cgroup_paths, "@created");
        ok (d && atoi (d) >= 1, "failed creates left no directory behind (a new create made `bad0` again)");
        brig_cgroup_destroy (cg, &e);
        brig_cgroup_free (cg);
        ocispec_free (&brig_state_type, st);
      }
    brig_error_free (&e);
    free (p);
  }
}

static const char *FULL_V1
    = "{\"memory\":{\"limit\":67108864,\"reservation\":33554432,\"swap\":134217728,\"kernelTCP\":16777216,"
      "\"swappiness\":10,\"disableOOMKiller\":true},"
      "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"burst\":1000,\"realtimeRuntime\":10000,"
      "\"realtimePeriod\":1000000,\"cpus\":\"0\",\"mems\":\"0\"},"
      "\"pids\":{\"limit\":100},"
      "\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":%u,\"minor\":%u,\"rate\":1048576}],"
      "\"throttleWriteIOPSDevice\":[{\"major\":%u,\"minor\":%u,\"rate\":500}]},"
      "\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]"
      "%s}";

static const char *FULL_V2
    = "{\"memory\":{\"limit\":67108864,\"reservation\":33554432,\"swap\":134217728},"
      "\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"burst\":1000,\"cpus\":\"0\",\"mems\":\"0\"},"
      "\"pids\":{\"limit\":100},"
      "\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
      "\"unified\":{\"memory.high\":\"104857600\"},"
      "\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]"
      "%s}";

static bool
find_block_device (unsigned *maj, unsigned *min, const char **name)
{
  static const char *const cand[] = { "/dev/nullb0", "/dev/vda", "/dev/sda", "/dev/loop0", NULL };
  for (size_t i = 0; cand[i]; i++)
    {
      struct stat s;
      if (stat (cand[i], &s) == 0 && S_ISBLK (s.st_mode))
        {
          *maj = major (s.st_rdev);
          *min = minor (s.st_rdev);
          *name = cand[i];
          return true;
        }
    }
  return false;
}

static bool
json_u64 (yajl_val root, const char *const *path, uint64_t *out)
{
  yajl_val v = yajl_tree_get (root, (const char **) path, yajl_t_number);
  if (v == NULL)
    return false;
  *out = (uint64_t) strtoull (YAJL_GET_NUMBER (v), NULL, 10);
  return true;
}

static void
check_stats (struct brig_cgroup *cg, const char *label)
{
  char *js = NULL;
  struct brig_error *e = NULL;
  char ebuf[256];
  yajl_val root;
  uint64_t v = 0;
  static const char *const p_type[] = { "type", NULL };
  static const char *const p_mem[] = { "data", "memory", "usage", "usage", NULL };
  static const char *const p_pids[] = { "data", "pids", "current", NULL };
  static const char *const p_cpu[] = { "data", "cpu", "usage", "total", NULL };
  static const char *const p_lim[] = { "data", "memory", "usage", "limit", NULL };

  {
    int sr = brig_cgroup_stats (cg, "ctr", &js, &e);
    ok (sr == 0 && js, "%s: stats%s%s", label, e ? ": " : "", e ? e->msg : "");
  }
  brig_error_free (&e);
  if (js == NULL)
    return;
  root = yajl_tree_parse (js, ebuf, sizeof (ebuf));
  ok (root != NULL, "%s: stats is valid JSON%s%s", label, root ? "" : ": ", root ? "" : ebuf);
  if (root)
    {
      yajl_val t = yajl_tree_get (root, (const char **) p_type, yajl_t_string);
      const char *ts = t ? YAJL_GET_STRING (t) : NULL;
      ok (ts && strcmp (ts, "stats") == 0, "%s: stats type is \"stats\"", label);
      bool f;
      f = json_u64 (root, p_mem, &v);
      ok (f && v > 0, "%s: stats memory.usage.usage = %" PRIu64, label, v);
      v = 0;
      f = json_u64 (root, p_pids, &v);
      ok (f && v >= 1, "%s: stats pids.current = %" PRIu64, label, v);
      v = 0;
      f = json_u64 (root, p_cpu, &v);
      ok (f && v > 0, "%s: stats cpu.usage.total = %" PRIu64 " ns", label, v);
      v = 0;
      f = json_u64 (root, p_lim, &v);
      ok (f && v > 0, "%s: stats memory.usage.limit = %" PRIu64, label, v);
      yajl_tree_free (root);
    }
  if (getenv ("BRIG_TEST_VERBOSE"))
    diag ("%s", js);
  free (js);
}

static void
check_freeze (struct brig_cgroup *cg, const char *label)
{
  struct brig_error *e = NULL;
  bool frozen = true;
  uint64_t a, b;
  int r;

  ok (brig_cgroup_is_frozen (cg, &frozen, &e) == 0 && ! frozen, "%s: not frozen at first", label);
  brig_error_free (&e);
  r = brig_cgroup_freeze (cg, true, &e);
  ok (r == 0, "%s: freeze%s%s", label, e ? ": " : "", e ? e->msg : "");
  brig_error_free (&e);
  ok (brig_cgroup_is_frozen (cg, &frozen, &e) == 0 && frozen, "%s: is_frozen says frozen", label);
  brig_error_free (&e);
  a = *counter;
  usleep (300000);
  b = *counter;
  ok (a == b, "%s: a frozen child makes no progress (%" PRIu64 " -> %" PRIu64 ")", label, a, b);
  r = brig_cgroup_freeze (cg, false, &e);
  ok (r == 0, "%s: thaw%s%s", label, e ? ": " : "", e ? e->msg : "");
  brig_error_free (&e);
  for (int i = 0; i < 100 && *counter == b; i++)
    usleep (20000);
  ok (*counter > b, "%s: the thawed child runs again", label);
  ok (brig_cgroup_is_frozen (cg, &frozen, &e) == 0 && ! frozen, "%s: is_frozen says thawed", label);
  brig_error_free (&e);
}

static void
test_full (void)
{
  struct brig_error *e = NULL;
  struct brig_cgroup *cg, *cg2 = NULL;
  struct brig_state *st;
  struct child spin, waiter = { 0, -1, -1 };
  unsigned maj = 0, min = 0;
  const char *bdev = NULL;
  char *json, extra[256] = "";
  const char *dir;
  pid_t cloned = -1;
  bool v2 = mode == BRIG_CGROUP_V2;
  bool have_blk = find_block_device (&maj, &min, &bdev);

  if (! have_blk)
    {
      maj = 1;
      min = 3; /* not a block device: the throttle rules are left out */
    }
  if (mode == BRIG_CGROUP_HYBRID)
    snprintf (extra, sizeof (extra), ",\"unified\":{\"cgroup.max.descendants\":\"7\"}");
  if (v2)
    {
      char blk[256] = "";
      if (have_blk)
        snprintf (blk, sizeof (blk),
                  ",\"blockIO\":{\"weight\":500,\"throttleReadBpsDevice\":[{\"major\":%u,\"minor\":%u,\"rate\":1048576}],"
                  "\"throttleWriteIOPSDevice\":[{\"major\":%u,\"minor\":%u,\"rate\":500}]}",
                  maj, min, maj, min);
      json = xasprintf (FULL_V2, blk);
    }
  else
    json = xasprintf (FULL_V1, maj, min, maj, min, extra);
  if (! have_blk && ! v2)
    {
      /* no block device: drop blockIO */
      char *p = strstr (json, "\"blockIO\"");
      char *q = strstr (json, "\"devices\"");
      memmove (p, q, strlen (q) + 1);
    }
  if (! v2 && access ("/sys/fs/cgroup/cpu/cpu.rt_period_us", F_OK) < 0)
    {
      /* a kernel without CONFIG_RT_GROUP_SCHED (Debian's): no realtime */
      char *p = strstr (json, "\"realtimeRuntime\"");
      char *q = strstr (json, "\"cpus\"");
      if (p && q)
        memmove (p, q, strlen (q) + 1);
    }
  if (rootless)
    {
      /* only what a delegated subtree offers */
      free (json);
      json = xstrdup ("{\"memory\":{\"limit\":67108864},\"pids\":{\"limit\":100},\"cpu\":{\"shares\":512,\"quota\":50000}}");
    }
  cg = make ("full", json, &e);
  ok (cg != NULL, "create with resources%s%s", e ? ": " : "", e ? e->msg : "");
  brig_error_free (&e);
  free (json);
  if (cg == NULL)
    return;
  diag ("cgroup: %s", brig_cgroup_path (cg));
  st = state_roundtrip (cg);

  spin = spawn (JOB_SPIN);
  CHECK0 (brig_cgroup_enter (cg, spin.pid, false, &e), "enter (fork child)");
  go (&spin);

  if (v2)
    {
      dir = brig_cgroup_path (cg);
      ok (in_cgroup (spin.pid, dir + strlen ("/sys/fs/cgroup")), "child is in %s", dir);
      if (! rootless)
        {
          expect_file (dir, "memory.max", "67108864", "memory.limit");
          expect_file (dir, "memory.swap.max", "67108864", "memory.swap (swap - limit)");
          expect_file (dir, "memory.low", "33554432", "memory.reservation");
          expect_file (dir, "cpu.weight", "20", "cpu.shares 512 -> weight");
          expect_file (dir, "cpu.max", "50000 100000", "cpu.quota/period");
          expect_file (dir, "cpu.max.burst", "1000", "cpu.burst");
          expect_file (dir, "cpuset.cpus", "0", "cpu.cpus");
          expect_file (dir, "cpuset.mems", "0", "cpu.mems");
          expect_file (dir, "pids.max", "100", "pids.limit");
          expect_file (dir, "hugetlb.2MB.max", "4194304", "hugepageLimits 2MB");
          expect_file (dir, "memory.high", "104857600", "unified memory.high");
          if (have_blk)
            {
              char want[64];
              snprintf (want, sizeof (want), "%u:%u rbps=1048576", maj, min);
              expect_contains (dir, "io.max", want, "blockIO.throttleReadBpsDevice");
              snprintf (want, sizeof (want), "wiops=500");
              expect_contains (dir, "io.max", want, "blockIO.throttleWriteIOPSDevice");
              if (access ("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
                {
                  char *p1 = xasprintf ("%s/io.bfq.weight", dir);
                  if (access (p1, F_OK) == 0)
                    expect_contains (dir, "io.bfq.weight", "500", "blockIO.weight (bfq)");
                  else
                    {
                      char *p2 = xasprintf ("%s/io.weight", dir);
                      if (access (p2, F_OK) == 0)
                        expect_contains (dir, "io.weight", "default 4950", "blockIO.weight 500 -> io.weight (1 + (w - 10) * 9999 / 990)");
                      else
                        skip ("blockIO.weight read back", "no io.weight or io.bfq.weight here");
                      free (p2);
                    }
                  free (p1);
                }
              diag ("block device %s (%u:%u)", bdev, maj, min);
            }
          else
            skip ("blockIO throttling (io.max)", "no block device (modprobe null_blk)");
        }
      else
        {
          expect_file (dir, "memory.max", "67108864", "memory.limit");
          expect_file (dir, "pids.max", "100", "pids.limit");
          expect_file (dir, "cpu.weight", "20", "cpu.shares 512 -> weight");
          expect_file (dir, "cpu.max", "50000 100000", "cpu.quota (default period)");
        }
    }
  else
    {
      const char *d;
      char needle[512];
      snprintf (needle, sizeof (needle), "%s", brig_cgroup_path (cg) + strlen ("/sys/fs/cgroup/pids"));
      /* every hierarchy the state lists has the child */
      for (size_t i = 0; i < st->cgroup_paths.len; i++)
        {
          const char *k = st->cgroup_paths.keys[i], *v = st->cgroup_paths.values[i];
          char *procs;
          char pid[16];
          if (k[0] == '@')
            continue;
          procs = readf (v, "cgroup.procs");
          snprintf (pid, sizeof (pid), "%d", (int) spin.pid);
          ok (strstr (procs, pid) != NULL, "child is in the %s hierarchy (%s)", k, v);
          free (procs);
        }
      ok (ocispec_strmap_get (&st->cgroup_paths, "name=systemd") != NULL || access ("/sys/fs/cgroup/systemd", F_OK) < 0,
          "named hierarchy name=systemd joined");
      if (mode == BRIG_CGROUP_HYBRID)
        ok (ocispec_strmap_get (&st->cgroup_paths, "unified") != NULL, "hybrid: the unified hierarchy joined too");
      d = v1dir (cg, "memory", st);
      expect_file (d, "memory.limit_in_bytes", "67108864", "memory.limit");
      expect_file (d, "memory.memsw.limit_in_bytes", "134217728", "memory.swap");
      expect_file (d, "memory.soft_limit_in_bytes", "33554432", "memory.reservation");
      expect_file (d, "memory.kmem.tcp.limit_in_bytes", "16777216", "memory.kernelTCP");
      expect_file (d, "memory.swappiness", "10", "memory.swappiness");
      expect_contains (d, "memory.oom_control", "oom_kill_disable 1", "memory.disableOOMKiller");
      d = v1dir (cg, "cpu", st);
      expect_file (d, "cpu.shares", "512", "cpu.shares");
      expect_file (d, "cpu.cfs_quota_us", "50000", "cpu.quota");
      expect_file (d, "cpu.cfs_period_us", "100000", "cpu.period");
      expect_file (d, "cpu.cfs_burst_us", "1000", "cpu.burst");
      if (access ("/sys/fs/cgroup/cpu/cpu.rt_period_us", F_OK) == 0)
        {
          expect_file (d, "cpu.rt_runtime_us", "10000", "cpu.realtimeRuntime");
          expect_file (d, "cpu.rt_period_us", "1000000", "cpu.realtimePeriod");
        }
      else
        skip ("cpu.realtimeRuntime/realtimePeriod", "no CONFIG_RT_GROUP_SCHED");
      d = v1dir (cg, "cpuset", st);
      expect_file (d, "cpuset.cpus", "0", "cpu.cpus");
      expect_file (d, "cpuset.mems", "0", "cpu.mems");
      d = v1dir (cg, "pids", st);
      expect_file (d, "pids.max", "100", "pids.limit");
      if (have_blk)
        {
          char want[64];
          d = v1dir (cg, "blkio", st);
          snprintf (want, sizeof (want), "%u:%u 1048576", maj, min);
          expect_file (d, "blkio.throttle.read_bps_device", want, "blockIO.throttleReadBpsDevice");
          snprintf (want, sizeof (want), "%u:%u 500", maj, min);
          expect_file (d, "blkio.throttle.write_iops_device", want, "blockIO.throttleWriteIOPSDevice");
        }
      d = v1dir (cg, "devices", st);
      expect_contains (d, "devices.list", "c 1:3 rwm", "devices (default allow list)");
      expect_contains (d, "devices.list", "c 136:* rwm", "devices (pts)");
      expect_contains (d, "devices.list", "c *:* m", "devices (mknod)");
      {
        char *l = readf (d, "devices.list");
        ok (strstr (l, "a *:* rwm") == NULL, "devices: default deny (no `a *:* rwm`)");
        free (l);
      }
      if (mode == BRIG_CGROUP_HYBRID)
        expect_file (ocispec_strmap_get (&st->cgroup_paths, "unified"), "cgroup.max.descendants", "7",
                     "hybrid: unified cgroup.max.descendants");
      (void) needle;
    }

  /* clone3 into the cgroup (v2 and hybrid: the unified hierarchy) */
  if (brig_cgroup_clone_fd (cg) >= 0)
    {
      cloned = spawn_into (brig_cgroup_clone_fd (cg));
      ok (cloned > 0, "clone3 CLONE_INTO_CGROUP%s", cloned > 0 ? "" : strerror (errno));
      if (cloned > 0)
        {
          CHECK0 (brig_cgroup_enter (cg, cloned, true, &e), "enter after clone3 (the other hierarchies)");
          ok (pid_listed (cg, cloned), "the clone3 child is listed in the cgroup's pids");
        }
    }
  else
    skip ("clone3 CLONE_INTO_CGROUP", "no cgroup2 hierarchy");

  ok (pid_listed (cg, spin.pid), "pids lists the child");

  check_freeze (cg, "cgroupfs");

  /* the state record round trip gives a working handle */
  {
    struct brig_cgroup *l = NULL;
    int lr = brig_cgroup_load (st, &l, &e);
    ok (lr == 0 && l, "load from the state record%s%s", e ? ": " : "", e ? e->msg : "");
    brig_error_free (&e);
    if (l)
      {
        ok (strcmp (brig_cgroup_path (l), brig_cgroup_path (cg)) == 0, "loaded handle has the same path (%s)",
            brig_cgroup_path (l));
        ok (pid_listed (l, spin.pid), "loaded handle lists the child");
        if (brig_cgroup_clone_fd (cg) >= 0)
          {
            /* as exec does: clone3 into the cgroup from a loaded handle */
            pid_t x = brig_cgroup_clone_fd (l) >= 0 ? spawn_into (brig_cgroup_clone_fd (l)) : -1;
            ok (x > 0, "loaded handle: clone3 CLONE_INTO_CGROUP");
            if (x > 0)
              {
                int er = brig_cgroup_enter (l, x, true, &e);
                ok (er == 0 && pid_listed (l, x), "loaded handle: the clone3 child joined");
                brig_error_free (&e);
                kill (x, SIGKILL);
                waitpid (x, NULL, 0);
              }
          }
        cg2 = l;
      }
  }

  /* update (through the loaded handle, as `brig update` would) */
  if (cg2)
    {
      struct oci_resources *u
          = res (rootless ? "{\"memory\":{\"limit\":50331648},\"pids\":{\"limit\":50},\"cpu\":{\"shares\":1024,\"quota\":20000}}"
                          : "{\"memory\":{\"limit\":50331648},\"pids\":{\"limit\":50},\"cpu\":{\"shares\":1024,\"quota\":20000}}");
      int r = brig_cgroup_update (cg2, u, &e);
      ok (r == 0, "update memory/pids/cpu%s%s", e ? ": " : "", e ? e->msg : "");
      brig_error_free (&e);
      ocispec_free (&oci_resources_type, u);
      if (v2)
        {
          dir = brig_cgroup_path (cg2);
          expect_file (dir, "memory.max", "50331648", "update memory.limit");
          if (! rootless)
            expect_file (dir, "memory.swap.max", "67108864", "update keeps memory.swap.max");
          expect_file (dir, "pids.max", "50", "update pids.limit");
          expect_file (dir, "cpu.weight", "39", "update cpu.shares 1024 -> weight");
          expect_file (dir, "cpu.max", "20000 100000", "update cpu.quota keeps the period");
        }
      else
        {
          expect_file (v1dir (cg, "memory", st), "memory.limit_in_bytes", "50331648", "update memory.limit");
          expect_file (v1dir (cg, "pids", st), "pids.max", "50", "update pids.limit");
          expect_file (v1dir (cg, "cpu", st), "cpu.shares", "1024", "update cpu.shares");
          expect_file (v1dir (cg, "cpu", st), "cpu.cfs_quota_us", "20000", "update cpu.quota");
        }
      u = res ("{\"memory\":{\"limit\":4096,\"checkBeforeUpdate\":true}}");
      r = brig_cgroup_update (cg2, u, &e);
      ok (r < 0 && e && strstr (e->msg, "linux.resources.memory.limit"),
          "update below usage with checkBeforeUpdate is refused (%s)", e ? e->msg : "accepted!");
      brig_error_free (&e);
      ocispec_free (&oci_resources_type, u);
    }

  check_stats (cg2 ? cg2 : cg, "cgroupfs");

  /* kill_all (cgroup.kill where present) */
  CHECK0 (brig_cgroup_kill_all (cg2 ? cg2 : cg, SIGKILL, &e), "kill_all SIGKILL");
  {
    int status = 0;
    pid_t w = waitpid (spin.pid, &status, 0);
    ok (w == spin.pid && WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL, "the child died of SIGKILL");
    spin.pid = 0;
    if (cloned > 0)
      {
        w = waitpid (cloned, &status, 0);
        ok (w == cloned && WIFSIGNALED (status), "the clone3 child died too");
      }
  }
  reap (&spin);
  (void) waiter;

  CHECK0 (brig_cgroup_destroy (cg2 ? cg2 : cg, &e), "destroy");
  ok (all_gone (st), "destroy removed every directory");
  ocispec_free (&brig_state_type, st);
  brig_cgroup_free (cg);
  brig_cgroup_free (cg2);
}

static void
test_pids_limit (void)
{
  struct brig_error *e = NULL;
  struct brig_cgroup *cg = make ("forkbomb", "{\"pids\":{\"limit\":4}}", &e);
  struct child ch;
  char n = -1;
  ok (cg != NULL, "create with pids.limit 4%s%s", e ? ": " : "", e ? e->msg : "");
  brig_error_free (&e);
  if (cg == NULL)
    return;
  ch = spawn (JOB_FORKS);
  CHECK0 (brig_cgroup_enter (cg, ch.pid, false, &e), "enter");
  go (&ch);
  {
    int wr = wait_byte (&ch, &n, 1, 30000);
    ok (wr == 0 && n == 3, "pids.max stops forks: 3 of 8 forks succeed (got %d)", n);
  }
  {
    pid_t *pids = NULL;
    size_t np = 0;
    brig_cgroup_pids (cg, &pids, &np, &e);
    ok (np == 4, "pids lists 4 processes (%zu)", np);
    free (pids);
    brig_error_free (&e);
  }
  CHECK0 (brig_cgroup_destroy_full (cg, true, &e), "destroy with kill of the remaining processes");
  ch.pid = ch.pid > 0 ? ch.pid : 0;
  reap (&ch);
  reap_orphans ();
  brig_cgroup_free (cg);
}

static void
test_devices (void)
{
  struct brig_error *e = NULL;
  struct brig_cgroup *cg;
  struct child ch;
  char r[2] = { 0, 0 };
  struct oci_resources *u;

  if (rootless)
    {
      skip ("device rules", "rootless: no device cgroup (as runc)");
      return;
    }
  if (access ("/dev/kmsg", F_OK) < 0)
    {
      skip ("device rules", "no /dev/kmsg to probe");
      return;
    }
  cg = make ("devices", "{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}", &e);
  ok (cg != NULL, "create with default device rules%s%s", e ? ": " : "", e ? e->msg : "");
  brig_error_free (&e);
  if (cg == NULL)
    return;
  ch = spawn (JOB_DEVICES);
  brig_cgroup_enter (cg, ch.pid, false, &e);
  brig_error_free (&e);
  go (&ch);
  wait_byte (&ch, r, 2, 30000);
  ok (r[0] == 'y', "devices: /dev/null (default allow list) opens (%c)", r[0]);
  ok (r[1] == 'p', "devices: /dev/kmsg (1:11) is denied with EPERM (%c)", r[1]);
  waitpid (ch.pid, NULL, 0);
  ch.pid = 0;
  reap (&ch);

  u = res ("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":11,"
           "\"access\":\"r\"}]}");
  CHECK0 (brig_cgroup_update (cg, u, &e), "update device rules: allow c 1:11 r");
  ocispec_free (&oci_resources_type, u);
  ch = spawn (JOB_DEVICES);
  brig_cgroup_enter (cg, ch.pid, false, &e);
  brig_error_free (&e);
  go (&ch);
  r[0] = r[1] = 0;
  wait_byte (&ch, r, 2, 30000);
  ok (r[1] == 'y', "devices: after the update /dev/kmsg opens for reading (%c)", r[1]);
  ok (r[0] == 'y', "devices: /dev/null still opens (%c)", r[0]);
  waitpid (ch.pid, NULL, 0);
  ch.pid = 0;
  reap (&ch);
  CHECK0 (brig_cgroup_destroy (cg, &e), "destroy");
  brig_cgroup_free (cg);
}

static void
test_oom (void)
{
  struct brig_error *e = NULL;
  struct brig_cgroup *cg;
  struct brig_cgroup_oom *o = NULL;
  struct child ch;
  int status = 0;
  uint64_t count = 0, total = 0;

  cg = make ("oom", "{\"memory\":{\"limit\":33554432,\"swap\":33554432}}", &e);
  ok (cg != NULL, "create with a 32 MiB memory limit%s%s", e ? ": " : "", e ? e->msg : "");
  brig_error_free (&e);
  if (cg == NULL)
    return;
  CHECK0 (brig_cgroup_oom_open (cg, &o, &e), "OOM watch");
  ch = spawn (JOB_EAT);
  brig_cgroup_enter (cg, ch.pid, false, &e);
  brig_error_free (&e);
  go (&ch);
  waitpid (ch.pid, &status, 0);
  ch.pid = 0;
  ok (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL, "a memory hog over the limit is OOM-killed");
  if (o)
    {
      struct pollfd p = { brig_cgroup_oom_fd (o), POLLIN, 0 };
      for (int i = 0; i < 20 && total == 0; i++)
        {
          if (poll (&p, 1, 500) > 0 && brig_cgroup_oom_read (o, &count, &e) == 0)
            total += count;
          brig_error_free (&e);
        }
      ok (total >= 1, "the OOM watch reports it (%" PRIu64 ")", total);
      brig_cgroup_oom_free (o);
    }
  reap (&ch);
  CHECK0 (brig_cgroup_destroy (cg, &e), "destroy");
  brig_cgroup_free (cg);
}

static void
test_idle_kernel (void)
{
  struct brig_error *e = NULL;
  struct brig_cgroup *cg;
  if (rootless)
    return;
  cg = make ("idle", "{\"cpu\":{\"idle\":1}}", &e);
  ok (cg != NULL, "create with cpu.idle 1%s%s", e ? ": " : "", e ? e->msg : "");
  brig_error_free (&e);
  if (cg)
    {
      struct brig_state *st = state_roundtrip (cg);
      const char *d = mode == BRIG_CGROUP_V2 ? brig_cgroup_path (cg) : ocispec_strmap_get (&st->cgroup_paths, "cpu");
      expect_file (d, "cpu.idle", "1", "cpu.idle");
      brig_cgroup_destroy (cg, &e);
      brig_error_free (&e);
      brig_cgroup_free (cg);
      ocispec_free (&brig_state_type, st);
    }
  if (mode != BRIG_CGROUP_V2)
    {
      /* kernel memory: applied where the kernel still has it, else refused
         with the field named (never silently ignored) */
      cg = make ("kmem", "{\"memory\":{\"kernel\":67108864}}", &e);
      ok (cg != NULL || (e && strstr (e->msg, "linux.resources.memory.kernel")),
          "memory.kernel applied or refused naming the field (%s)", cg ? "applied" : e ? e->msg : "?");
      brig_error_free (&e);
      if (cg)
        {
          struct brig_state *st = state_roundtrip (cg);
          expect_file (ocispec_strmap_get (&st->cgroup_paths, "memory"), "memory.kmem.limit_in_bytes", "67108864",
                       "memory.kernel");
          ocispec_free (&brig_state_type, st);
          brig_cgroup_destroy (cg, &e);
          brig_error_free (&e);
          brig_cgroup_free (cg);
        }
    }
}

/* ---- systemd driver ---- */

static char *
run_out (const char *fmt, ...)
{
  va_list ap;
  char *cmd = NULL, buf[4096];
  FILE *f;
  size_t n;
  va_start (ap, fmt);
  if (vasprintf (&cmd, fmt, ap) < 0)
    exit (2);
  va_end (ap);
  f = popen (cmd, "r");
  free (cmd);
  if (f == NULL)
    return xstrdup ("");
  n = fread (buf, 1, sizeof (buf) - 1, f);
  pclose (f);
  buf[n] = '\0';
  while (n && buf[n - 1] == '\n')
    buf[--n] = '\0';
  for (size_t i = 0; i < n; i++)
    if (buf[i] == '\n')
      buf[i] = ' ';
  return xstrdup (buf);
}

/* cgroup v1/hybrid: the scope's directory in every hierarchy brig
   recorded (systemd's and brig's own, e.g. cpuset, freezer), and the child
   in each of them */
static void
check_systemd_v1 (struct brig_cgroup *cg, pid_t pid, const char *unit)
{
  struct brig_state *st = state_roundtrip (cg);
  char *want = xasprintf ("/system.slice/%s", unit), p[64], *s, *line, *save = NULL;
  size_t wl = strlen (want), n = 0, in = 0, lines = 0;
  const char *d;

  for (size_t i = 0; i < st->cgroup_paths.len; i++)
    {
      const char *v = st->cgroup_paths.values[i];
      size_t vl = strlen (v);
      n++;
      ok (vl > wl && strcmp (v + vl - wl, want) == 0 && access (v, F_OK) == 0, "systemd v1: %s cgroup %s",
          st->cgroup_paths.keys[i], v);
    }
  ok (n >= 5, "systemd v1: %zu hierarchies recorded", n);
  snprintf (p, sizeof (p), "/proc/%d/cgroup", (int) pid);
  s = readf (NULL, p);
  for (line = strtok_r (s, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *path = strchr (line, ':') ? strchr (strchr (line, ':') + 1, ':') : NULL;
      /* named hierarchies other than name=systemd are not joined (runc) */
      if (path == NULL || (strstr (line, ":name=") && ! strstr (line, ":name=systemd:")))
        continue;
      lines++;
      if (strcmp (path + 1, want) == 0)
        in++;
      else
        diag ("not in the scope: %s", line);
    }
  ok (lines > 0 && in == lines, "systemd v1: the child is in %s in all %zu hierarchies of /proc/PID/cgroup (%zu)",
      want, lines, in);
  free (s);
  if ((d = ocispec_strmap_get (&st->cgroup_paths, "memory")))
    {
      char *sw = xasprintf ("%s/memory.memsw.limit_in_bytes", d);
      expect_file (d, "memory.limit_in_bytes", "67108864", "systemd v1: MemoryLimit");
      if (access (sw, F_OK) == 0)
        expect_file (d, "memory.memsw.limit_in_bytes", "134217728", "systemd v1: swap (cgroupfs)");
      free (sw);
    }
  if ((d = ocispec_strmap_get (&st->cgroup_paths, "cpu")))
    {
      expect_file (d, "cpu.shares", "512", "systemd v1: CPUShares");
      expect_file (d, "cpu.cfs_quota_us", "50000", "systemd v1: CPUQuota");
      expect_file (d, "cpu.cfs_period_us", "100000", "systemd v1: CPUQuotaPeriod");
    }
  if ((d = ocispec_strmap_get (&st->cgroup_paths, "pids")))
    expect_file (d, "pids.max", "64", "systemd v1: TasksMax");
  if ((d = ocispec_strmap_get (&st->cgroup_paths, "cpuset")))
    expect_file (d, "cpuset.cpus", "0", "systemd v1: cpuset.cpus (cgroupfs: systemd does not manage cpuset on v1)");
  if ((d = ocispec_strmap_get (&st->cgroup_paths, "hugetlb")))
    expect_file (d, "hugetlb.2MB.limit_in_bytes", "2097152", "systemd v1: hugetlb (cgroupfs)");
  if ((d = ocispec_strmap_get (&st->cgroup_paths, "devices")))
    {
      s = readf (d, "devices.list");
      for (char *q = s; *q; q++)
        if (*q == '\n')
          *q = ' ';
      ok (strstr (s, "a *:* rwm") == NULL && strstr (s, "c 1:3 rwm") != NULL,
          "systemd v1: devices.list is the container's allow list, not systemd's allow-all (%.40s...)", s);
      free (s);
    }
  free (want);
  ocispec_free (&brig_state_type, st);
}

static void
test_systemd (void)
{
  struct brig_cgroup_config c = { 0 };
  struct brig_cgroup *cg = NULL, *l = NULL;
  struct brig_error *e = NULL;
  struct oci_resources *r;
  struct ocispec_strmap ann = { 0 };
  struct brig_state *st;
  struct child spin;
  char path[128], unit[128];
  const char *dir;
  /* systemd's memory property: MemoryLimit on v1 */
  const char *memprop = mode == BRIG_CGROUP_V2 ? "MemoryMax" : "MemoryLimit";
  char *s;
  int rr;

  snprintf (path, sizeof (path), "%s:brigunit:t%d", rootless ? "" : "system.slice", (int) getpid ());
  snprintf (unit, sizeof (unit), "brigunit-t%d.scope", (int) getpid ());
  r = res (rootless ? "{\"memory\":{\"limit\":67108864},\"pids\":{\"limit\":64},\"cpu\":{\"shares\":512,\"quota\":50000,"
                      "\"period\":100000}}"
                    : "{\"memory\":{\"limit\":67108864,\"swap\":134217728},\"pids\":{\"limit\":64},\"cpu\":{\"shares\":512,"
                      "\"quota\":50000,\"period\":100000,\"cpus\":\"0\"},\"hugepageLimits\":[{\"pageSize\":\"2MB\","
                      "\"limit\":2097152}],\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]}");
  ocispec_strmap_set (&ann, "org.systemd.property.CollectMode", "'inactive-or-failed'");
  ocispec_strmap_set (&ann, "org.systemd.property.TimeoutStopSec", "15");
  ocispec_strmap_set (&ann, "unrelated.annotation", "x");
  c.id = "ctr";
  c.cgroups_path = path;
  c.resources = r;
  c.annotations = &ann;
  c.systemd = true;
  c.rootless = rootless;
  rr = brig_cgroup_create (&c, &cg, &e);
  ok (rr == 0 && cg, "systemd: create (%s)%s%s", path, e ? ": " : "", e ? e->msg : "");
  brig_error_free (&e);
  if (cg == NULL)
    goto out;
  ok (brig_cgroup_clone_fd (cg) < 0, "systemd: no clone3 fd (the scope starts with the pid)");
  spin = spawn (JOB_SPIN);
  rr = brig_cgroup_enter (cg, spin.pid, false, &e);
  ok (rr == 0, "systemd: enter starts %s with the pid%s%s", unit, e ? ": " : "", e ? e->msg : "");
  brig_error_free (&e);
  go (&spin);
  if (rr < 0)
    {
      reap (&spin);
      goto out;
    }
  ok (in_cgroup (spin.pid, unit), "systemd: the child is in %s", unit);
  ok (brig_cgroup_unit (cg) && strcmp (brig_cgroup_unit (cg), unit) == 0, "systemd: unit name %s", unit);
  dir = brig_cgroup_path (cg);
  diag ("scope cgroup: %s", dir);
  if (mode != BRIG_CGROUP_V2)
    check_systemd_v1 (cg, spin.pid, unit);
  else
    {
      expect_file (dir, "memory.max", "67108864", "systemd: MemoryMax");
      expect_file (dir, "pids.max", "64", "systemd: TasksMax");
      expect_file (dir, "cpu.weight", "20", "systemd: CPUWeight (shares 512)");
      expect_file (dir, "cpu.max", "50000 100000", "systemd: CPUQuota");
      if (! rootless)
        {
          expect_file (dir, "memory.swap.max", "67108864", "systemd: MemorySwapMax");
          expect_file (dir, "cpuset.cpus", "0", "systemd: AllowedCPUs");
          expect_file (dir, "hugetlb.2MB.max", "2097152", "systemd: hugetlb (not a systemd property: cgroupfs)");
        }
    }
  if (! rootless)
    {
      s = run_out ("systemctl show -p %s -p Delegate -p CollectMode -p TimeoutStopUSec -p TasksMax %s", memprop, unit);
      ok (strstr (s, "=67108864") != NULL, "systemd: systemctl shows %s=67108864", memprop);
      ok (strstr (s, "Delegate=yes") != NULL, "systemd: Delegate=yes");
      ok (strstr (s, "TasksMax=64") != NULL, "systemd: TasksMax=64");
      ok (strstr (s, "CollectMode=inactive-or-failed") != NULL, "systemd: annotation org.systemd.property.CollectMode");
      ok (strstr (s, "TimeoutStopUSec=15s") != NULL, "systemd: annotation TimeoutStopSec=15 -> TimeoutStopUSec");
      if (getenv ("BRIG_TEST_VERBOSE"))
        diag ("%s", s);
      free (s);
    }

  st = state_roundtrip (cg);
  ok (st->systemd_cgroup && st->systemd_unit && strcmp (st->systemd_unit, unit) == 0,
      "systemd: the state record has the unit");
  rr = brig_cgroup_load (st, &l, &e);
  ok (rr == 0 && l, "systemd: load%s%s", e ? ": " : "", e ? e->msg : "");
  brig_error_free (&e);
  if (l)
    {
      check_freeze (l, "systemd");
      struct oci_resources *u = res ("{\"memory\":{\"limit\":100663296},\"cpu\":{\"shares\":512},\"pids\":{\"limit\":64}}");
      rr = brig_cgroup_update (l, u, &e);
      ocispec_free (&oci_resources_type, u);
      ok (rr == 0, "systemd: update (SetUnitProperties + files)%s%s", e ? ": " : "", e ? e->msg : "");
      brig_error_free (&e);
      if (mode == BRIG_CGROUP_V2)
        expect_file (dir, "memory.max", "100663296", "systemd: update MemoryMax");
      else
        expect_file (v1dir (l, "memory", st), "memory.limit_in_bytes", "100663296", "systemd v1: update MemoryLimit");
      if (! rootless)
        {
          s = run_out ("systemctl show -p %s %s", memprop, unit);
          ok (strcmp (strchr (s, '=') ? strchr (s, '=') : s, "=100663296") == 0,
              "systemd: systemctl shows the updated %s (%s)", memprop, s);
          free (s);
        }
      check_stats (l, "systemd");
      CHECK0 (brig_cgroup_kill_all (l, SIGKILL, NULL), "systemd: kill_all (err NULL, as delete -f calls it)");
      waitpid (spin.pid, NULL, 0);
      spin.pid = 0;
      rr = brig_cgroup_destroy (l, &e);
      ok (rr == 0, "systemd: destroy stops the unit%s%s", e ? ": " : "", e ? e->msg : "");
      brig_error_free (&e);
      ok (access (dir, F_OK) < 0, "systemd: the scope's cgroup is gone");
      ok (all_gone (st), "systemd: no directory of the scope left in any hierarchy");
      if (! rootless)
        {
          s = run_out ("systemctl show -p LoadState -p ActiveState %s", unit);
          ok (strstr (s, "LoadState=not-found") != NULL || strstr (s, "ActiveState=inactive") != NULL,
              "systemd: no unit left behind (%s)", s);
          free (s);
        }
      else
        {
          s = run_out ("systemctl --user show -p LoadState %s", unit);
          ok (strstr (s, "LoadState=not-found") != NULL || s[0] == '\0', "systemd (user): no unit left behind (%s)", s);
          free (s);
        }
      brig_cgroup_free (l);
    }
  reap (&spin);
  ocispec_free (&brig_state_type, st);

  /* a bad cgroupsPath for systemd */
  {
    struct brig_cgroup *bad = NULL;
    c.cgroups_path = "no-colons";
    rr = brig_cgroup_create (&c, &bad, &e);
    ok (rr < 0 && e && strstr (e->msg, "slice:prefix:name"), "systemd: cgroupsPath not slice:prefix:name is refused");
    brig_error_free (&e);
    brig_cgroup_free (bad);
  }
out:
  brig_cgroup_free (cg);
  ocispec_free (&oci_resources_type, r);
  ocispec_strmap_clear (&ann);
}

/* ---- main ---- */

static char *
own_v2 (void)
{
  char *s = readf (NULL, "/proc/self/cgroup"), *p = strstr (s, "0::");
  char *r = NULL;
  if (p)
    r = strndup (p + 3, strcspn (p + 3, "\n"));
  free (s);
  return r;
}

int
main (void)
{
  bool want_systemd;
  const char *env;

  setvbuf (stdout, NULL, _IOLBF, 0);
  mode = brig_cgroup_detect ();
  rootless = getenv ("BRIG_TEST_ROOTLESS") && strcmp (getenv ("BRIG_TEST_ROOTLESS"), "1") == 0;
  printf ("# cgroup layout: %s%s\n", brig_cgroup_mode_name (mode), rootless ? " (rootless)" : "");
  if (mode == BRIG_CGROUP_NONE)
    {
      skip ("cgroup tests", "no cgroup filesystem at /sys/fs/cgroup");
      return 0;
    }
  if (geteuid () != 0 && ! rootless)
    {
      skip ("cgroup tests", "needs root (or BRIG_TEST_ROOTLESS=1 in a delegated cgroup)");
      return 0;
    }
  prctl (PR_SET_CHILD_SUBREAPER, 1);
  counter = mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

  if (mode == BRIG_CGROUP_V2)
    {
      char *own = own_v2 ();
      if (rootless && getenv ("BRIG_TEST_DELEGATED"))
        {
          /* inside a Delegate=yes scope: move into a leaf so the scope can
             enable controllers for its children, work below the scope */
          char *leaf = xasprintf ("/sys/fs/cgroup%s/test-self", own);
          char *procs = xasprintf ("%s/cgroup.procs", leaf);
          char pid[16];
          int fd;
          mkdir (leaf, 0755);
          fd = open (procs, O_WRONLY);
          snprintf (pid, sizeof (pid), "%d", (int) getpid ());
          if (fd < 0 || write (fd, pid, strlen (pid)) < 0)
            fprintf (stderr, "cannot move into %s: %s\n", leaf, strerror (errno));
          if (fd >= 0)
            close (fd);
          snprintf (base, sizeof (base), "%s/brig-unit-%d", own, (int) getpid ());
          absolute_paths = true;
          free (leaf);
          free (procs);
        }
      else if (own && strcmp (own, "/") != 0)
        {
          /* our cgroup has processes: controllers cannot be enabled below
             it; use a cgroup of its own at the root (a test guest only) */
          snprintf (base, sizeof (base), "/brig-unit-%d", (int) getpid ());
          absolute_paths = true;
        }
      free (own);
    }
  if (base[0] == '\0')
    snprintf (base, sizeof (base), "brig-unit-%d", (int) getpid ());
  printf ("# cgroupsPath base: %s\n", base);
  atexit (cleanup_base);
  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);
  signal (SIGALRM, on_signal);
  alarm (900);

  env = getenv ("BRIG_TEST_SYSTEMD");
  want_systemd = env ? strcmp (env, "1") == 0 : access ("/run/systemd/system", F_OK) == 0;

  test_paths ();
  if (getenv ("BRIG_TEST_NO_CGROUPFS") == NULL && (! rootless || getenv ("BRIG_TEST_DELEGATED")))
    {
      test_path_only ();
      test_unsupported ();
      test_full ();
      test_pids_limit ();
      test_devices ();
      test_oom ();
      test_idle_kernel ();
    }
  else
    skip ("cgroupfs driver", rootless ? "rootless without a delegated scope (BRIG_TEST_DELEGATED)" : "disabled");
  if (want_systemd)
    test_systemd ();
  else
    skip ("systemd driver", env ? "BRIG_TEST_SYSTEMD=0" : "systemd is not PID 1 here");

  cleanup_base ();
  printf ("# %d checks, %d failed\n", checks, failures);
  return failures ? 1 : 0;
}
