/* linux.seccomp through libseccomp.
 *
 * Split in two halves so that the container process does no libseccomp
 * work at all:
 *
 *   brig_seccomp_prepare   (runtime parent) checks the section, compiles it
 *                          with libseccomp and exports the classic-BPF
 *                          program (seccomp_export_bpf into a memfd), or
 *                          takes it from the compiled-filter cache.
 *   brig_seccomp_load      (container process) one seccomp(2) call:
 *                          SECCOMP_SET_MODE_FILTER with the profile's flags
 *                          (+ SECCOMP_FILTER_FLAG_NEW_LISTENER when the
 *                          profile uses SCMP_ACT_NOTIFY).  No allocation,
 *                          no libseccomp, nothing but that syscall on
 *                          success.
 *   brig_seccomp_send_listener (runtime parent) hands the notify fd and the
 *                          container process state to listenerPath.
 *
 * How the runtime calls it
 *   - prepare before forking the container process (errors reach the user;
 *     the same compiled filter serves `exec` processes too).
 *   - load as the last step before the exec.fifo wait and execve: after
 *     setgroups/setresgid/setresuid, capabilities and PR_SET_NO_NEW_PRIVS.
 *   - The kernel lets a process install a filter only with no_new_privs
 *     set or with CAP_SYS_ADMIN in its user namespace.  With
 *     process.noNewPrivileges false and no CAP_SYS_ADMIN in the final
 *     capability sets the caller must arrange it: either load before
 *     dropping capabilities/uid (what runc does; the rest of the setup then
 *     runs under the filter), or keep CAP_SYS_ADMIN in the effective and
 *     permitted sets until after load and drop it with one capset(2) right
 *     after.  load fails with EACCES and says so otherwise.
 *   - With SCMP_ACT_NOTIFY, load returns the listener fd in the container
 *     process.  Until the agent has it, every notified syscall blocks, so
 *     the child must hand it over with a syscall the profile cannot notify:
 *     like runc we refuse SCMP_ACT_NOTIFY as defaultAction and for `write`,
 *     so the child writes the fd number to its sync pipe and the parent
 *     takes the fd with pidfd_getfd(2) and calls send_listener before
 *     letting the child go on.
 *
 * Policy, as runc and crun: syscall names this libseccomp does not know
 * are skipped (a newer profile still loads); a rule whose action equals
 * the default action is redundant and skipped; several conditions on the
 * same argument become one rule per condition (OR), else all conditions
 * are one rule (AND); for SCMP_CMP_MASKED_EQ value is the mask and
 * valueTwo the datum.  SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD; ERRNO and
 * TRACE default to EPERM; errnoRet on another action is an error (the
 * spec says so).  A bad action, op, arch, flag, argument index or errnoRet
 * is an error naming the field.
 *
 * Flags: TSYNC, LOG, SPEC_ALLOW and WAIT_KILLABLE_RECV are passed to
 * seccomp(2) as they are, after a probe that the kernel knows them (an
 * error otherwise); WAIT_KILLABLE_RECV is dropped when nothing notifies
 * (the kernel refuses it without a listener); TSYNC with a listener gets
 * TSYNC_ESRCH.  listenerPath missing with SCMP_ACT_NOTIFY is found by
 * send_listener, so that a caller may have another receiver.
 *
 * The filter is a binary tree by syscall number (libseccomp optimize level
 * 2): the same verdicts as the default layout (checked for every syscall
 * number, three arches and a spread of arguments with podman's and
 * Docker's profiles), and shorter paths.  The kernel runs a new filter for
 * every syscall number when it loads it (the action cache), so this takes
 * ~0.4 ms of kernel time off each container start with those profiles.
 *
 * Cache: compiling podman's default profile for x86_64+x86+x32 takes
 * ~12 ms of CPU here, far more than a tenth of a ~5 ms container start,
 * so with a CACHE_DIR the program is kept in CACHE_DIR/<hash>.bpf (a hit
 * costs ~0.08 ms).  The key is the canonical JSON of the section
 * (ocispec_print, listenerPath/listenerMetadata left out), the native
 * arch, the libseccomp version, the kernel release, the optimize level and
 * this file's format version.  The hash (two FNV-1a 64) only names the
 * file: the whole key is stored in the entry and compared byte for byte,
 * so a collision cannot hand out another profile's filter.  A bad entry
 * (truncated, wrong magic, checksum, key) is ignored and rewritten;
 * entries are written atomically (temp + rename).  The directory is made
 * 0700 and used only when it is ours and not group/world-writable (its
 * entries decide what containers may do).  When it holds more than
 * CACHE_MAX entries the least recently used one goes.  Failing to read or
 * write the cache is never an error. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#ifndef SCMP_VER_MAJOR
/* libseccomp's header has the name of brig's own: with src/lib on the -I
   path (rather than -iquote) <seccomp.h> found ours.  Reach libseccomp's
   through its include directory instead. */
#include <../include/seccomp.h>
#endif
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "seccomp.h"
#include "utils.h"

#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC (1UL << 0)
#endif
#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_SET_MODE_FILTER
#define SECCOMP_SET_MODE_FILTER 1
#endif

#define CACHE_MAGIC "BRIGBPF\n"
#define CACHE_FORMAT 1u
#define CACHE_MAX 64
#define OPTIMIZE_LEVEL 2
#define MAX_INSNS 4096 /* BPF_MAXINSNS: the kernel's limit for one filter */

struct brig_seccomp
{
  unsigned int flags; /* for seccomp(2), NEW_LISTENER included */
  bool notify;
  unsigned short len;
  struct sock_filter insns[];
};

/* ---- the names of the spec ---- */

static const struct
{
  const char *name;
  uint32_t action;
  bool takes_errno;
} actions[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD, false },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (0), true },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE (0), true },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false },
};

static const struct
{
  const char *name;
  enum scmp_compare op;
} ops[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const struct
{
  const char *name;
  unsigned int flag;
} flag_names[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

/* The action for NAME with ERRNO_RET (has_errno: errnoRet given).
   ACTION_FIELD and ERRNO_FIELD name the JSON fields for errors. */
static int
resolve_action (const char *name, bool has_errno, uint32_t errno_ret, const char *action_field,
                const char *errno_field, uint32_t *out, struct brig_error **err)
{
  size_t i;
  for (i = 0; i < ARRAY_SIZE (actions); i++)
    if (name && strcmp (name, actions[i].name) == 0)
      break;
  if (i == ARRAY_SIZE (actions))
    return brig_error_set (err, 0, "%s: unknown action `%s`", action_field, name ? name : "");
  if (! actions[i].takes_errno)
    {
      if (has_errno)
        return brig_error_set (err, 0,
                               "%s: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not `%s`",
                               errno_field, name);
      *out = actions[i].action;
      return 0;
    }
  if (! has_errno)
    errno_ret = EPERM;
  if (errno_ret > 0xffff)
    return brig_error_set (err, 0, "%s: %" PRIu32 " out of range (0-65535)", errno_field, errno_ret);
  *out = actions[i].action | errno_ret;
  return 0;
}

static int
resolve_op (const char *name, enum scmp_compare *out)
{
  size_t i;
  for (i = 0; i < ARRAY_SIZE (ops); i++)
    if (name && strcmp (name, ops[i].name) == 0)
      {
        *out = ops[i].op;
        return 0;
      }
  return -1;
}

/* "SCMP_ARCH_X86_64" -> the libseccomp token, 0 when unknown. */
static uint32_t
resolve_arch (const char *name)
{
  char low[32];
  size_t i, n;

  if (name == NULL || ! brig_str_has_prefix (name, "SCMP_ARCH_"))
    return 0;
  name += strlen ("SCMP_ARCH_");
  n = strlen (name);
  if (n == 0 || n >= sizeof (low))
    return 0;
  for (i = 0; i <= n; i++)
    low[i] = (name[i] >= 'A' && name[i] <= 'Z') ? name[i] - 'A' + 'a' : name[i];
  return seccomp_arch_resolve_name (low);
}

/* Whether the kernel knows FLAGS: with a NULL program it fails with EFAULT
   once the flags passed its checks, EINVAL when it does not know them. */
static bool
kernel_has_flags (unsigned int flags)
{
  static unsigned int known, unknown;
  bool ok;

  if ((known & flags) == flags)
    return true;
  if (unknown & flags)
    return false;
  ok = syscall (__NR_seccomp, SECCOMP_SET_MODE_FILTER, flags, NULL) < 0 && errno == EFAULT;
  if (ok)
    known |= flags;
  else if (__builtin_popcount (flags) == 1)
    unknown |= flags;
  return ok;
}

/* ---- checking the section (cheap; done on cache hits too) ---- */

struct checked
{
  uint32_t default_action;
  unsigned int flags;
  bool notify;
};

static int
check_profile (const struct oci_seccomp *s, struct checked *c, struct brig_error **err)
{
  size_t i, j, k;

  memset (c, 0, sizeof (*c));
  if (resolve_action (s->default_action, s->has_default_errno_ret, s->default_errno_ret,
                      "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet", &c->default_action,
                      err)
      < 0)
    return -1;
  if (c->default_action == SCMP_ACT_NOTIFY)
    return brig_error_set (err, 0,
                           "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default action");

  for (i = 0; i < s->architectures_len; i++)
    if (resolve_arch (s->architectures[i]) == 0)
      return brig_error_set (err, 0, "linux.seccomp.architectures[%zu]: unknown architecture `%s`",
                             i, s->architectures[i]);

  for (i = 0; i < s->syscalls_len; i++)
    {
      const struct oci_seccomp_syscall *sc = s->syscalls[i];
      char field[64], afield[80], efield[80];
      uint32_t act;

      snprintf (field, sizeof (field), "linux.seccomp.syscalls[%zu]", i);
      snprintf (afield, sizeof (afield), "%s.action", field);
      snprintf (efield, sizeof (efield), "%s.errnoRet", field);
      if (resolve_action (sc->action, sc->has_errno_ret, sc->errno_ret, afield, efield, &act, err) < 0)
        return -1;
      if (sc->names_len == 0)
        return brig_error_set (err, 0, "%s.names: must name at least one syscall", field);
      for (j = 0; j < sc->names_len; j++)
        if (sc->names[j] == NULL || sc->names[j][0] == '\0')
          return brig_error_set (err, 0, "%s.names[%zu]: empty syscall name", field, j);
      if (act == SCMP_ACT_NOTIFY)
        {
          c->notify = true;
          for (j = 0; j < sc->names_len; j++)
            if (strcmp (sc->names[j], "write") == 0)
              return brig_error_set (err, 0,
                                     "%s: SCMP_ACT_NOTIFY cannot be used for `write` (the runtime "
                                     "needs it to hand the notify fd over)", field);
        }
      for (k = 0; k < sc->args_len; k++)
        {
          const struct oci_seccomp_arg *a = sc->args[k];
          enum scmp_compare op;
          if (a->index > 5)
            return brig_error_set (err, 0, "%s.args[%zu].index: %" PRIu32
                                   " out of range (a syscall has 6 arguments, 0-5)", field, k, a->index);
          if (resolve_op (a->op, &op) < 0)
            return brig_error_set (err, 0, "%s.args[%zu].op: unknown operator `%s`", field, k,
                                   a->op ? a->op : "");
        }
    }

  for (i = 0; i < s->flags_len; i++)
    {
      unsigned int f = 0, probe;
      for (j = 0; j < ARRAY_SIZE (flag_names); j++)
        if (s->flags[i] && strcmp (s->flags[i], flag_names[j].name) == 0)
          f = flag_names[j].flag;
      if (f == 0)
        return brig_error_set (err, 0, "linux.seccomp.flags[%zu]: unknown flag `%s`", i,
                               s->flags[i] ? s->flags[i] : "");
      /* WAIT_KILLABLE_RECV only means something with a listener (and the
         kernel refuses it without one) */
      probe = f == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ? f | SECCOMP_FILTER_FLAG_NEW_LISTENER : f;
      if (! kernel_has_flags (probe))
        return brig_error_set (err, 0, "linux.seccomp.flags[%zu]: `%s` is not supported by this kernel",
                               i, s->flags[i]);
      c->flags |= f;
    }

  if (s->listener_metadata && ! s->listener_path)
    return brig_error_set (err, 0, "linux.seccomp.listenerMetadata: set without listenerPath");

  if (c->notify)
    {
      c->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
      if (c->flags & SECCOMP_FILTER_FLAG_TSYNC)
        {
          if (! kernel_has_flags (SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_NEW_LISTENER
                                  | SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
            return brig_error_set (err, 0, "linux.seccomp.flags: SECCOMP_FILTER_FLAG_TSYNC with "
                                   "SCMP_ACT_NOTIFY needs SECCOMP_FILTER_FLAG_TSYNC_ESRCH (Linux 5.7)");
          c->flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
        }
    }
  else
    c->flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  return 0;
}

/* ---- compiling ---- */

/* For MASKED_EQ, value is the mask and valueTwo the datum, as in runc. */
static struct scmp_arg_cmp
make_cond (const struct oci_seccomp_arg *a)
{
  enum scmp_compare op = SCMP_CMP_EQ;
  resolve_op (a->op, &op); /* checked already */
  return (struct scmp_arg_cmp){ .arg = a->index, .op = op, .datum_a = a->value, .datum_b = a->value_two };
}

static int
add_rules (scmp_filter_ctx ctx, const struct oci_seccomp *s, uint32_t default_action,
           struct brig_error **err)
{
  size_t i, j, k;

  for (i = 0; i < s->syscalls_len; i++)
    {
      const struct oci_seccomp_syscall *sc = s->syscalls[i];
      struct scmp_arg_cmp conds[6];
      unsigned int nconds = 0, seen = 0;
      bool same_arg = false;
      uint32_t act;

      if (resolve_action (sc->action, sc->has_errno_ret, sc->errno_ret, "", "", &act, err) < 0)
        return -1;
      if (act == default_action)
        continue;

      if (sc->args_len > ARRAY_SIZE (conds))
        same_arg = true; /* 7+ conditions on 6 arguments: some share one */
      for (k = 0; k < sc->args_len && ! same_arg; k++)
        {
          const struct oci_seccomp_arg *a = sc->args[k];
          if (seen & (1u << a->index))
            same_arg = true;
          seen |= 1u << a->index;
        }
      if (! same_arg)
        for (k = 0; k < sc->args_len; k++)
          {
            conds[nconds++] = make_cond (sc->args[k]);
          }

      for (j = 0; j < sc->names_len; j++)
        {
          int nr = seccomp_syscall_resolve_name (sc->names[j]);
          int ret = 0;
          if (nr == __NR_SCMP_ERROR)
            continue; /* unknown to this libseccomp: skipped, as runc and crun do */
          if (! same_arg)
            ret = seccomp_rule_add_array (ctx, act, nr, nconds, conds);
          else
            for (k = 0; k < sc->args_len && ret == 0; k++)
              {
                struct scmp_arg_cmp one = make_cond (sc->args[k]);
                ret = seccomp_rule_add_array (ctx, act, nr, 1, &one);
              }
          if (ret < 0)
            return brig_error_set (err, -ret, "linux.seccomp.syscalls[%zu]: add rule for `%s`", i,
                                   sc->names[j]);
        }
    }
  return 0;
}

static int
compile (const struct oci_seccomp *s, const struct checked *c, struct brig_seccomp **out,
         struct brig_error **err)
{
  scmp_filter_ctx ctx;
  _cleanup_close_ int fd = -1;
  struct brig_seccomp *sc;
  struct stat st;
  size_t i, n;
  int ret;

  ctx = seccomp_init (c->default_action);
  if (ctx == NULL)
    return brig_error_set (err, 0, "linux.seccomp.defaultAction: libseccomp refused `%s`",
                           s->default_action);
  /* a binary tree by syscall number: the same verdicts (checked for every
     syscall of the real profiles), shorter paths; the kernel runs the
     filter for every syscall number when it loads it (the action cache),
     so this takes ~0.4 ms off each container start with Docker's or
     podman's profile.  Not fatal where libseccomp lacks it. */
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_OPTIMIZE, OPTIMIZE_LEVEL);
  for (i = 0; i < s->architectures_len; i++)
    {
      ret = seccomp_arch_add (ctx, resolve_arch (s->architectures[i]));
      if (ret < 0 && ret != -EEXIST)
        {
          seccomp_release (ctx);
          return brig_error_set (err, -ret, "linux.seccomp.architectures[%zu]: add `%s`", i,
                                 s->architectures[i]);
        }
    }
  if (add_rules (ctx, s, c->default_action, err) < 0)
    {
      seccomp_release (ctx);
      return -1;
    }

  fd = memfd_create ("brig-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    {
      seccomp_release (ctx);
      return brig_error_set (err, errno, "memfd_create");
    }
  ret = seccomp_export_bpf (ctx, fd);
  seccomp_release (ctx);
  if (ret < 0)
    return brig_error_set (err, -ret, "linux.seccomp: export the compiled filter");
  if (fstat (fd, &st) < 0)
    return brig_error_set (err, errno, "linux.seccomp: fstat the compiled filter");
  if (st.st_size <= 0 || st.st_size % sizeof (struct sock_filter))
    return brig_error_set (err, 0, "linux.seccomp: libseccomp exported %lld bytes",
                           (long long) st.st_size);
  n = st.st_size / sizeof (struct sock_filter);
  if (n > MAX_INSNS)
    return brig_error_set (err, 0,
                           "linux.seccomp: the compiled filter has %zu instructions, the kernel takes %d",
                           n, MAX_INSNS);
  sc = xmalloc (sizeof (*sc) + n * sizeof (struct sock_filter));
  if (pread (fd, sc->insns, st.st_size, 0) != st.st_size)
    {
      free (sc);
      return brig_error_set (err, errno ? errno : EIO, "linux.seccomp: read the compiled filter");
    }
  sc->len = n;
  sc->flags = c->flags;
  sc->notify = c->notify;
  *out = sc;
  return 0;
}

/* ---- the cache ---- */

struct cache_header
{
  char magic[8];
  uint32_t format;
  uint32_t key_len;
  uint32_t insns;
  uint32_t reserved;
  uint64_t sum; /* FNV-1a 64 over key and program */
};

static uint64_t
fnv1a (uint64_t h, const void *data, size_t len)
{
  const unsigned char *p = data;
  while (len--)
    h = (h ^ *p++) * 0x100000001b3ULL;
  return h;
}

#define FNV_BASIS 0xcbf29ce484222325ULL
#define FNV_BASIS2 0x6c62272e07bb0142ULL /* the 128-bit basis' low half */

/* The key: what the compiled program depends on. */
static char *
cache_key (const struct oci_seccomp *s, size_t *len)
{
  struct oci_seccomp copy = *s;
  const struct scmp_version *v = seccomp_version ();
  _cleanup_free_ char *json = NULL;
  struct utsname u;
  char *key;

  copy.listener_path = NULL; /* where the fd goes does not change the program */
  copy.listener_metadata = NULL;
  json = ocispec_print (&oci_seccomp_type, &copy, false, NULL);
  if (uname (&u) < 0)
    strcpy (u.release, "?");
  key = xasprintf ("brig-seccomp %u optimize %d\narch %08" PRIx32 "\nlibseccomp %u.%u.%u\nkernel %s\n%s",
                   CACHE_FORMAT, OPTIMIZE_LEVEL, seccomp_arch_native (), v ? v->major : 0, v ? v->minor : 0,
                   v ? v->micro : 0, u.release, json ? json : "");
  *len = strlen (key);
  return key;
}

/* The cache directory, or -1.  Its entries decide what the containers may
   do, so it is used only when it belongs to us and nobody else can write
   it (brig creates it 0700). */
static int
cache_dirfd (const char *cache_dir, bool create)
{
  struct stat st;
  int fd = open (cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT && create)
    {
      struct brig_error *e = NULL;
      if (brig_mkdir_p (cache_dir, 0700, &e) < 0)
        {
          brig_error_free (&e);
          return -1;
        }
      fd = open (cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (fd >= 0 && (fstat (fd, &st) < 0 || st.st_uid != geteuid () || (st.st_mode & 022)))
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* A valid entry NAME for KEY, or NULL. */
static struct brig_seccomp *
cache_read (int dirfd, const char *name, const char *key, size_t key_len)
{
  _cleanup_close_ int fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  _cleanup_free_ char *buf = NULL;
  struct cache_header h;
  struct brig_seccomp *sc;
  struct stat st;
  size_t size, prog;

  if (fd < 0 || fstat (fd, &st) < 0 || ! S_ISREG (st.st_mode) || st.st_uid != geteuid ())
    return NULL;
  size = sizeof (h) + key_len;
  if ((size_t) st.st_size <= size || (size_t) st.st_size > size + MAX_INSNS * sizeof (struct sock_filter))
    return NULL;
  prog = st.st_size - size;
  if (prog % sizeof (struct sock_filter))
    return NULL;
  buf = xmalloc (st.st_size);
  if (pread (fd, buf, st.st_size, 0) != st.st_size)
    return NULL;
  memcpy (&h, buf, sizeof (h));
  if (memcmp (h.magic, CACHE_MAGIC, sizeof (h.magic)) || h.format != CACHE_FORMAT || h.key_len != key_len
      || h.insns != prog / sizeof (struct sock_filter)
      || memcmp (buf + sizeof (h), key, key_len)
      || h.sum != fnv1a (FNV_BASIS, buf + sizeof (h), st.st_size - sizeof (h)))
    return NULL;

  /* in use: refresh the mtime the eviction goes by, at most once a minute */
  if (time (NULL) - st.st_mtime > 60)
    futimens (fd, NULL);

  sc = xmalloc (sizeof (*sc) + prog);
  memcpy (sc->insns, buf + size, prog);
  sc->len = h.insns;
  return sc;
}

/* Keep at most CACHE_MAX entries: drop the least recently used. */
static void
cache_evict (int dirfd)
{
  DIR *d;
  struct dirent *de;
  char oldest[NAME_MAX + 1] = "";
  time_t oldest_t = 0;
  int n = 0, dfd = dup (dirfd);

  if (dfd < 0 || (d = fdopendir (dfd)) == NULL)
    {
      if (dfd >= 0)
        close (dfd);
      return;
    }
  while ((de = readdir (d)))
    {
      struct stat st;
      size_t l = strlen (de->d_name);
      if (l != 36 || strcmp (de->d_name + 32, ".bpf") != 0)
        continue;
      if (fstatat (dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      n++;
      if (oldest[0] == '\0' || st.st_mtime < oldest_t)
        {
          oldest_t = st.st_mtime;
          strcpy (oldest, de->d_name);
        }
    }
  closedir (d);
  if (n > CACHE_MAX && oldest[0])
    unlinkat (dirfd, oldest, 0);
}

static void
cache_write (int dirfd, const char *name, const char *key, size_t key_len, const struct brig_seccomp *sc)
{
  size_t prog = sc->len * sizeof (struct sock_filter);
  size_t size = sizeof (struct cache_header) + key_len + prog;
  _cleanup_free_ char *buf = xmalloc (size);
  struct cache_header h = { .format = CACHE_FORMAT, .key_len = key_len, .insns = sc->len };
  struct brig_error *e = NULL;

  memcpy (h.magic, CACHE_MAGIC, sizeof (h.magic));
  memcpy (buf + sizeof (h), key, key_len);
  memcpy (buf + sizeof (h) + key_len, sc->insns, prog);
  h.sum = fnv1a (FNV_BASIS, buf + sizeof (h), size - sizeof (h));
  memcpy (buf, &h, sizeof (h));
  /* the cache only saves time: failing to write it is not an error */
  if (brig_write_file_atomic (dirfd, name, buf, size, 0600, &e) < 0)
    brig_error_free (&e);
  else
    cache_evict (dirfd);
}

/* ---- API ---- */

int
brig_seccomp_prepare (const struct oci_seccomp *s, const char *cache_dir, struct brig_seccomp **out,
                      struct brig_error **err)
{
  _cleanup_free_ char *key = NULL;
  _cleanup_close_ int dirfd = -1;
  struct brig_seccomp *sc = NULL;
  struct checked c;
  char name[40];
  size_t key_len = 0;

  *out = NULL;
  if (s == NULL)
    return 0;
  if (check_profile (s, &c, err) < 0)
    return -1;

  if (cache_dir && *cache_dir)
    {
      key = cache_key (s, &key_len);
      snprintf (name, sizeof (name), "%016" PRIx64 "%016" PRIx64 ".bpf", fnv1a (FNV_BASIS, key, key_len),
                fnv1a (FNV_BASIS2, key, key_len));
      dirfd = cache_dirfd (cache_dir, false);
      if (dirfd >= 0)
        sc = cache_read (dirfd, name, key, key_len);
      if (sc)
        {
          sc->flags = c.flags;
          sc->notify = c.notify;
          *out = sc;
          return 0;
        }
    }

  if (compile (s, &c, &sc, err) < 0)
    return -1;
  if (key)
    {
      if (dirfd < 0)
        dirfd = cache_dirfd (cache_dir, true);
      if (dirfd >= 0)
        cache_write (dirfd, name, key, key_len, sc);
    }
  *out = sc;
  return 0;
}

int
brig_seccomp_load (const struct brig_seccomp *sc, int *notify_fd, struct brig_error **err)
{
  struct sock_fprog prog;
  long ret;

  if (notify_fd)
    *notify_fd = -1;
  if (sc == NULL)
    return 0;
  prog.len = sc->len;
  prog.filter = (struct sock_filter *) sc->insns;
  ret = syscall (__NR_seccomp, SECCOMP_SET_MODE_FILTER, sc->flags, &prog);
  if (ret < 0)
    {
      if (errno == EACCES)
        return brig_error_set (err, errno, "load the seccomp filter (without noNewPrivileges this "
                                           "needs CAP_SYS_ADMIN)");
      return brig_error_set (err, errno, "load the seccomp filter");
    }
  if (sc->notify)
    {
      if (notify_fd)
        *notify_fd = ret;
      else
        close (ret);
    }
  else if (ret > 0) /* TSYNC: the thread that could not be synchronized */
    return brig_error_set (err, 0, "load the seccomp filter: thread %ld could not be synchronized", ret);
  return 0;
}

bool
brig_seccomp_uses_notify (const struct brig_seccomp *sc)
{
  return sc && sc->notify;
}

/* The container process state (config-linux.md "The Container Process
   State"), printed with the generic ocispec printer from a local table. */
struct process_state
{
  char *oci_version;
  char **fds;
  size_t fds_len;
  int32_t pid;
  bool has_pid;
  char *metadata;
  struct oci_state *state;
};

static const struct ocispec_field *
process_state_fields (void)
{
  typedef struct process_state S;
  static const struct ocispec_field f[] = {
    { "ociVersion", OCISPEC_STR, offsetof (S, oci_version), 0, true, NULL, NULL },
    { "fds", OCISPEC_STRARR, offsetof (S, fds), offsetof (S, fds_len), false, NULL, NULL },
    { "pid", OCISPEC_I32, offsetof (S, pid), offsetof (S, has_pid), true, NULL, NULL },
    { "metadata", OCISPEC_STR, offsetof (S, metadata), 0, false, NULL, NULL },
    { "state", OCISPEC_OBJPTR, offsetof (S, state), 0, true, &oci_state_type, NULL },
    { NULL, 0, 0, 0, false, NULL, NULL },
  };
  return f;
}

static const struct ocispec_type process_state_type = { "process_state", sizeof (struct process_state),
                                                        process_state_fields };

static int
send_all_with_fd (int sock, const char *buf, size_t len, int fd)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { (void *) buf, len };
  struct msghdr msg = { 0 };
  struct cmsghdr *cm;
  ssize_t n;

  memset (&u, 0, sizeof (u));
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = u.buf;
  msg.msg_controllen = sizeof (u.buf);
  cm = CMSG_FIRSTHDR (&msg);
  cm->cmsg_level = SOL_SOCKET;
  cm->cmsg_type = SCM_RIGHTS;
  cm->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (cm), &fd, sizeof (int));
  do
    n = sendmsg (sock, &msg, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -1;
  /* the fd went with the first part; the rest, if any, is plain payload */
  while ((size_t) n < len)
    {
      ssize_t w = send (sock, buf + n, len - n, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        return -1;
      n += w;
    }
  return 0;
}

int
brig_seccomp_send_listener (const struct oci_seccomp *s, int notify_fd, const char *state_json,
                            struct brig_error **err)
{
  _cleanup_close_ int sock = -1, dirfd = -1;
  _cleanup_free_ char *payload = NULL, *perr = NULL, *proc_path = NULL;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  struct oci_state *state;
  const char *path;

  if (notify_fd < 0)
    return 0;
  if (s == NULL || s->listener_path == NULL || s->listener_path[0] == '\0')
    return brig_error_set (err, 0, "linux.seccomp.listenerPath: not set but the profile uses "
                                        "SCMP_ACT_NOTIFY");
  if (state_json == NULL)
    return brig_error_set (err, 0, "seccomp listener: no container state");

  /* STATE_JSON is the container state (runtime.md): wrap it.  Something
     that is already a container process state goes as it is. */
  state = ocispec_parse (&oci_state_type, state_json, strlen (state_json), &perr);
  if (state)
    {
      char *fds[] = { (char *) "seccompFd" };
      struct process_state ps = {
        .oci_version = state->oci_version,
        .fds = fds,
        .fds_len = 1,
        .pid = state->pid,
        .has_pid = true,
        .metadata = s->listener_metadata,
        .state = state,
      };
      payload = ocispec_print (&process_state_type, &ps, false, NULL);
      ocispec_free (&oci_state_type, state);
    }
  else
    {
      _cleanup_free_ char *perr2 = NULL;
      void *ps = ocispec_parse (&process_state_type, state_json, strlen (state_json), &perr2);
      if (ps == NULL)
        return brig_error_set (err, 0, "seccomp listener: bad container state: %s",
                               perr ? perr : "?");
      ocispec_free (&process_state_type, ps);
      payload = xstrdup (state_json);
    }
  if (payload == NULL)
    return brig_error_set (err, ENOMEM, "seccomp listener: print the container process state");

  path = s->listener_path;
  if (strlen (path) >= sizeof (addr.sun_path))
    {
      /* too long for sun_path: go through the directory's fd */
      _cleanup_free_ char *dir = xstrdup (path);
      char *slash = strrchr (dir, '/');
      const char *base = path;
      if (slash)
        {
          *slash = '\0';
          base = path + (slash - dir) + 1;
        }
      dirfd = open (slash ? (dir[0] ? dir : "/") : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dirfd < 0)
        return brig_error_set (err, errno, "linux.seccomp.listenerPath: open the directory of `%s`", path);
      proc_path = xasprintf ("/proc/self/fd/%d/%s", dirfd, base);
      if (strlen (proc_path) >= sizeof (addr.sun_path))
        return brig_error_set (err, ENAMETOOLONG, "linux.seccomp.listenerPath: `%s`", path);
      path = proc_path;
    }
  strcpy (addr.sun_path, path);

  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return brig_error_set (err, errno, "linux.seccomp.listenerPath: socket");
  if (connect (sock, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return brig_error_set (err, errno, "linux.seccomp.listenerPath: connect to `%s`", s->listener_path);
  if (send_all_with_fd (sock, payload, strlen (payload), notify_fd) < 0)
    return brig_error_set (err, errno, "linux.seccomp.listenerPath: send the notify fd to `%s`",
                           s->listener_path);
  return 0;
}

void
brig_seccomp_free (struct brig_seccomp *sc)
{
  free (sc);
}
