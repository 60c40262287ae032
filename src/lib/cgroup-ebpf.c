/* Device rules: runc's rule list and emulator (shared by cgroup v1, where it
 * computes the minimal devices.allow/devices.deny transition, and cgroup v2),
 * and the cgroup v2 device filter: a BPF_PROG_TYPE_CGROUP_DEVICE program
 * assembled here from raw instructions and loaded with bpf(2), no libbpf.
 *
 * Semantics (runc's libcontainer/cgroups/devices): the cgroup starts as
 * "deny everything"; the spec's linux.resources.devices rules are applied
 * in order ("a" resets to allow-all or deny-all, other rules add or remove
 * exceptions; removing part of a wildcard exception is an error, as the
 * kernel would ignore it); then runc's default allow list is appended:
 *   c *:* m, b *:* m, c 1:3 (null), 1:8 (random), 1:7 (full), 5:0 (tty),
 *   1:5 (zero), 1:9 (urandom), 136:* (pts), 5:2 (ptmx), 10:200 (tun) rwm.
 * The v2 program checks the exceptions (all of the non-default action) and
 * returns the default otherwise; an access matches a rule when the
 * requested access is a subset of the rule's. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "cgroup-internal.h"
#include "utils.h"

/* ---- rule list ---- */

static const struct cg_dev_rule default_rules[] = {
  { 'c', -1, -1, CG_DEV_M, true },
  { 'b', -1, -1, CG_DEV_M, true },
  { 'c', 1, 3, CG_DEV_R | CG_DEV_W | CG_DEV_M, true },
  { 'c', 1, 8, CG_DEV_R | CG_DEV_W | CG_DEV_M, true },
  { 'c', 1, 7, CG_DEV_R | CG_DEV_W | CG_DEV_M, true },
  { 'c', 5, 0, CG_DEV_R | CG_DEV_W | CG_DEV_M, true },
  { 'c', 1, 5, CG_DEV_R | CG_DEV_W | CG_DEV_M, true },
  { 'c', 1, 9, CG_DEV_R | CG_DEV_W | CG_DEV_M, true },
  { 'c', 136, -1, CG_DEV_R | CG_DEV_W | CG_DEV_M, true },
  { 'c', 5, 2, CG_DEV_R | CG_DEV_W | CG_DEV_M, true },
  { 'c', 10, 200, CG_DEV_R | CG_DEV_W | CG_DEV_M, true },
};

static int
parse_perms (const char *s, unsigned *out)
{
  unsigned p = 0;
  for (; *s; s++)
    switch (*s)
      {
      case 'r':
        p |= CG_DEV_R;
        break;
      case 'w':
        p |= CG_DEV_W;
        break;
      case 'm':
        p |= CG_DEV_M;
        break;
      default:
        return -1;
      }
  *out = p;
  return 0;
}

int
cg_dev_build_rules (const struct brig_cgroup *cg, const struct oci_resources *r, struct cg_dev_rule **out,
                    size_t *n, struct brig_error **err)
{
  size_t ns = r ? r->devices_len : 0, i, k = 0;
  struct cg_dev_rule *v = xcalloc (ns + ARRAY_SIZE (default_rules), sizeof (*v));
  (void) cg;

  for (i = 0; i < ns; i++)
    {
      const struct oci_device_cgroup *d = r->devices[i];
      const char *t = d->type && d->type[0] ? d->type : "a";
      struct cg_dev_rule *x = &v[k++];
      if (strcmp (t, "a") != 0 && strcmp (t, "b") != 0 && strcmp (t, "c") != 0)
        {
          free (v);
          return brig_error_set (err, EINVAL, "linux.resources.devices[%zu].type: invalid cgroup device type `%s`", i,
                                 t);
        }
      x->type = t[0];
      x->major = d->has_major ? d->major : -1;
      x->minor = d->has_minor ? d->minor : -1;
      if (d->access == NULL || d->access[0] == '\0')
        {
          free (v);
          return brig_error_set (err, EINVAL, "linux.resources.devices[%zu].access: cannot be empty", i);
        }
      if (parse_perms (d->access, &x->perms) < 0)
        {
          free (v);
          return brig_error_set (err, EINVAL, "linux.resources.devices[%zu].access: invalid access `%s`", i,
                                 d->access);
        }
      x->allow = d->allow;
    }
  for (i = 0; i < ARRAY_SIZE (default_rules); i++)
    v[k++] = default_rules[i];
  *out = v;
  *n = k;
  return 0;
}

/* ---- emulator ---- */

void
cg_dev_emu_clear (struct cg_dev_emu *e)
{
  free (e->rules);
  e->rules = NULL;
  e->n = 0;
}

static ssize_t
emu_find (const struct cg_dev_emu *e, char type, int64_t major, int64_t minor)
{
  for (size_t i = 0; i < e->n; i++)
    if (e->rules[i].type == type && e->rules[i].major == major && e->rules[i].minor == minor)
      return (ssize_t) i;
  return -1;
}

static unsigned
emu_perms (const struct cg_dev_emu *e, char type, int64_t major, int64_t minor)
{
  ssize_t i = emu_find (e, type, major, minor);
  return i < 0 ? 0 : e->rules[i].perms;
}

static void
emu_add (struct cg_dev_emu *e, const struct cg_dev_rule *r)
{
  ssize_t i = emu_find (e, r->type, r->major, r->minor);
  if (i >= 0)
    {
      e->rules[i].perms |= r->perms;
      return;
    }
  e->rules = xrealloc (e->rules, (e->n + 1) * sizeof (*e->rules));
  e->rules[e->n] = *r;
  e->n++;
}

static int
emu_rm (struct cg_dev_emu *e, const struct cg_dev_rule *r, struct brig_error **err)
{
  const int64_t partial[3][2] = { { -1, r->minor }, { r->major, -1 }, { -1, -1 } };
  ssize_t i;
  for (int k = 0; k < 3; k++)
    {
      unsigned pp;
      if (partial[k][0] == r->major && partial[k][1] == r->minor)
        continue;
      pp = emu_perms (e, r->type, partial[k][0], partial[k][1]);
      if (pp & r->perms)
        {
          char a[64], b[64];
          struct cg_dev_rule w = { r->type, partial[k][0], partial[k][1], pp, true };
          cg_dev_rule_string (r, a, sizeof (a));
          cg_dev_rule_string (&w, b, sizeof (b));
          return brig_error_set (err, EINVAL,
                                 "linux.resources.devices: rule `%s` cannot punch a hole in the wildcard rule "
                                 "`%s` (not supported by the devices cgroup)",
                                 a, b);
        }
    }
  i = emu_find (e, r->type, r->major, r->minor);
  if (i < 0)
    return 0;
  e->rules[i].perms &= ~r->perms;
  if (e->rules[i].perms == 0)
    {
      memmove (&e->rules[i], &e->rules[i + 1], (e->n - i - 1) * sizeof (*e->rules));
      e->n--;
    }
  return 0;
}

int
cg_dev_emu_apply (struct cg_dev_emu *e, const struct cg_dev_rule *r, struct brig_error **err)
{
  if (r->type == 'a')
    {
      cg_dev_emu_clear (e);
      e->default_allow = r->allow;
      return 0;
    }
  if (r->allow)
    return e->default_allow ? emu_rm (e, r, err) : (emu_add (e, r), 0);
  return e->default_allow ? (emu_add (e, r), 0) : emu_rm (e, r, err);
}

int
cg_dev_emu_from_list (const char *list, struct cg_dev_emu *e, struct brig_error **err)
{
  _cleanup_free_ char *s = xstrdup (list);
  char *line, *save = NULL;
  cg_dev_emu_clear (e);
  e->default_allow = false;
  for (line = strtok_r (s, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char t, maj[16], min[16], perms[8];
      struct cg_dev_rule r = { 0 };
      if (sscanf (line, "%c %15[^:]:%15s %7s", &t, maj, min, perms) != 4)
        return brig_error_set (err, EINVAL, "devices.list: malformed rule `%s`", line);
      r.type = t;
      r.allow = true;
      if (t == 'a')
        {
          cg_dev_emu_clear (e);
          e->default_allow = true;
          continue;
        }
      if (t != 'b' && t != 'c')
        return brig_error_set (err, EINVAL, "devices.list: unknown device type in `%s`", line);
      r.major = strcmp (maj, "*") == 0 ? -1 : strtoll (maj, NULL, 10);
      r.minor = strcmp (min, "*") == 0 ? -1 : strtoll (min, NULL, 10);
      if (parse_perms (perms, &r.perms) < 0 || r.perms == 0)
        return brig_error_set (err, EINVAL, "devices.list: bad access in `%s`", line);
      if (cg_dev_emu_apply (e, &r, err) < 0)
        return -1;
    }
  return 0;
}

static int
rule_cmp (const void *a, const void *b)
{
  const struct cg_dev_rule *x = a, *y = b;
  if (x->major != y->major)
    return x->major < y->major ? -1 : 1;
  if (x->minor != y->minor)
    return x->minor < y->minor ? -1 : 1;
  return (x->type > y->type) - (x->type < y->type);
}

static struct cg_dev_rule *
sorted (const struct cg_dev_emu *e)
{
  struct cg_dev_rule *v = xcalloc (e->n + 1, sizeof (*v));
  if (e->n)
    memcpy (v, e->rules, e->n * sizeof (*v));
  qsort (v, e->n, sizeof (*v), rule_cmp);
  return v;
}

int
cg_dev_transition (const struct cg_dev_emu *src, const struct cg_dev_emu *dst, struct cg_dev_rule **out, size_t *n)
{
  struct cg_dev_emu none = { 0 };
  const struct cg_dev_emu *old = src;
  struct cg_dev_rule *v = xcalloc (src->n + dst->n + 1, sizeof (*v));
  _cleanup_free_ struct cg_dev_rule *os = NULL, *ds = NULL;
  size_t k = 0, i;

  if (src->default_allow || src->default_allow != dst->default_allow)
    {
      v[k++] = (struct cg_dev_rule){ 'a', -1, -1, CG_DEV_R | CG_DEV_W | CG_DEV_M, dst->default_allow };
      old = &none;
    }
  os = sorted (old);
  ds = sorted (dst);
  for (i = 0; i < old->n; i++)
    {
      unsigned dropped = os[i].perms & ~emu_perms (dst, os[i].type, os[i].major, os[i].minor);
      if (dropped)
        v[k++] = (struct cg_dev_rule){ os[i].type, os[i].major, os[i].minor, dropped, dst->default_allow };
    }
  for (i = 0; i < dst->n; i++)
    {
      unsigned gained = ds[i].perms & ~emu_perms (old, ds[i].type, ds[i].major, ds[i].minor);
      if (gained)
        v[k++] = (struct cg_dev_rule){ ds[i].type, ds[i].major, ds[i].minor, gained, ! dst->default_allow };
    }
  *out = v;
  *n = k;
  return 0;
}

void
cg_dev_rule_string (const struct cg_dev_rule *r, char *buf, size_t len)
{
  char maj[24], min[24], perms[4];
  int p = 0;
  if (r->major < 0)
    strcpy (maj, "*");
  else
    snprintf (maj, sizeof (maj), "%" PRId64, r->major);
  if (r->minor < 0)
    strcpy (min, "*");
  else
    snprintf (min, sizeof (min), "%" PRId64, r->minor);
  if (r->perms & CG_DEV_R)
    perms[p++] = 'r';
  if (r->perms & CG_DEV_W)
    perms[p++] = 'w';
  if (r->perms & CG_DEV_M)
    perms[p++] = 'm';
  perms[p] = '\0';
  snprintf (buf, len, "%c %s:%s %s", r->type, maj, min, perms);
}

/* ---- the BPF program ---- */

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

int
cg_ebpf_build (const struct cg_dev_emu *emu, void **insns_out, size_t *n_out, struct brig_error **err)
{
  struct cg_dev_emu none = { 0 };
  struct cg_dev_rule *clean = NULL;
  size_t nclean = 0, cap, n = 0, i;
  struct bpf_insn *p;

  cg_dev_transition (&none, emu, &clean, &nclean);
  cap = 6 + nclean * 8 + 2;
  p = xcalloc (cap, sizeof (*p));
  /* struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
     r2 = type (low 16 bits of access_type), r3 = access (high 16),
     r4 = major, r5 = minor */
  p[n++] = INSN (BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0, 0);
  p[n++] = INSN (BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xFFFF);
  p[n++] = INSN (BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_1, 0, 0);
  p[n++] = INSN (BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
  p[n++] = INSN (BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, 4, 0);
  p[n++] = INSN (BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, 8, 0);

  for (i = 0; i < nclean; i++)
    {
      const struct cg_dev_rule *r = &clean[i];
      int32_t acc = 0, type;
      bool has_acc, has_maj = r->major >= 0, has_min = r->minor >= 0;
      size_t start = n, len, next, k;

      if (r->type == 'a')
        {
          /* the leading "a" only says which default the cgroup has */
          if (i != 0 || r->allow != emu->default_allow)
            {
              free (clean);
              free (p);
              return brig_error_set (err, EINVAL, "internal error: bad wildcard device rule at %zu", i);
            }
          continue;
        }
      if (r->allow == emu->default_allow)
        {
          free (clean);
          free (p);
          return brig_error_set (err, EINVAL, "internal error: no-op device rule at %zu", i);
        }
      if (r->major > UINT32_MAX || r->minor > UINT32_MAX)
        {
          free (clean);
          free (p);
          return brig_error_set (err, EINVAL, "linux.resources.devices: invalid major/minor");
        }
      type = r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK;
      if (r->perms & CG_DEV_R)
        acc |= BPF_DEVCG_ACC_READ;
      if (r->perms & CG_DEV_W)
        acc |= BPF_DEVCG_ACC_WRITE;
      if (r->perms & CG_DEV_M)
        acc |= BPF_DEVCG_ACC_MKNOD;
      has_acc = acc != (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD);
      len = 1 + (has_acc ? 3 : 0) + (has_maj ? 1 : 0) + (has_min ? 1 : 0) + 2;
      next = start + len;
      k = n;
      /* if (r2 != type) goto next */
      p[k] = INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, (int16_t) (next - k - 1), type);
      k++;
      if (has_acc)
        {
          /* if ((r3 & acc) != r3) goto next  (r1 as scratch) */
          p[k++] = INSN (BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0);
          p[k++] = INSN (BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, acc);
          p[k] = INSN (BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, (int16_t) (next - k - 1), 0);
          k++;
        }
      if (has_maj)
        {
          p[k] = INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, (int16_t) (next - k - 1), (int32_t) r->major);
          k++;
        }
      if (has_min)
        {
          p[k] = INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, (int16_t) (next - k - 1), (int32_t) r->minor);
          k++;
        }
      p[k++] = INSN (BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r->allow ? 1 : 0);
      p[k++] = INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
      n = k;
    }
  p[n++] = INSN (BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, emu->default_allow ? 1 : 0);
  p[n++] = INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  free (clean);
  *insns_out = p;
  *n_out = n;
  return 0;
}

static long
sys_bpf (int cmd, union bpf_attr *attr)
{
  return syscall (SYS_bpf, cmd, attr, sizeof (*attr));
}

static bool
in_user_namespace (void)
{
  _cleanup_free_ char *m = cg_read ("/proc/self/uid_map", NULL);
  unsigned long a, b, c;
  if (m == NULL || sscanf (m, "%lu %lu %lu", &a, &b, &c) != 3)
    return false;
  return ! (a == 0 && b == 0 && c == 4294967295UL);
}

int
cg_ebpf_set_devices (const char *dir, const struct cg_dev_rule *rules, size_t n, struct brig_error **err)
{
  struct cg_dev_emu emu = { 0 };
  _cleanup_free_ struct bpf_insn *insns = NULL;
  _cleanup_close_ int dfd = -1, prog = -1;
  void *iv = NULL;
  size_t ni = 0, i;
  union bpf_attr attr;
  uint32_t old[64];
  uint32_t n_old = 0;
  static char log[4096];

  for (i = 0; i < n; i++)
    if (cg_dev_emu_apply (&emu, &rules[i], err) < 0)
      {
        cg_dev_emu_clear (&emu);
        return -1;
      }
  if (cg_ebpf_build (&emu, &iv, &ni, err) < 0)
    {
      cg_dev_emu_clear (&emu);
      return -1;
    }
  cg_dev_emu_clear (&emu);
  insns = iv;

  dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return brig_error_set (err, errno, "linux.resources.devices: open `%s`", dir);

  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = (uint32_t) ni;
  attr.license = (uint64_t) (uintptr_t) "Apache";
  prog = (int) sys_bpf (BPF_PROG_LOAD, &attr);
  if (prog < 0 && errno == EINVAL)
    {
      /* again with the verifier log, for the message */
      memset (&attr, 0, sizeof (attr));
      attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
      attr.insns = (uint64_t) (uintptr_t) insns;
      attr.insn_cnt = (uint32_t) ni;
      attr.license = (uint64_t) (uintptr_t) "Apache";
      attr.log_buf = (uint64_t) (uintptr_t) log;
      attr.log_size = sizeof (log);
      attr.log_level = 1;
      log[0] = '\0';
      prog = (int) sys_bpf (BPF_PROG_LOAD, &attr);
      if (prog < 0)
        return brig_error_set (err, EINVAL, "linux.resources.devices: load the device filter: %.300s", log);
    }
  if (prog < 0)
    {
      if ((errno == EPERM || errno == EACCES) && in_user_namespace ())
        {
          /* as runc: bpf(2) is not for user namespaces; device access is
             bounded by the user's own permissions there */
          cg_warn ("devices cgroup rules not applied: bpf(2) is not permitted in a user namespace");
          return 0;
        }
      return brig_error_set (err, errno, "linux.resources.devices: load the device filter (bpf)");
    }

  memset (&attr, 0, sizeof (attr));
  attr.query.target_fd = (uint32_t) dfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t) (uintptr_t) old;
  attr.query.prog_cnt = ARRAY_SIZE (old);
  if (sys_bpf (BPF_PROG_QUERY, &attr) == 0)
    n_old = attr.query.prog_cnt;

  memset (&attr, 0, sizeof (attr));
  attr.target_fd = (uint32_t) dfd;
  attr.attach_bpf_fd = (uint32_t) prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    return brig_error_set (err, errno, "linux.resources.devices: attach the device filter to `%s`", dir);

  /* replace: detach what was there before (our own earlier filter) */
  for (i = 0; i < n_old && i < ARRAY_SIZE (old); i++)
    {
      union bpf_attr a;
      int ofd;
      memset (&a, 0, sizeof (a));
      a.prog_id = old[i];
      ofd = (int) sys_bpf (BPF_PROG_GET_FD_BY_ID, &a);
      if (ofd < 0)
        continue;
      memset (&a, 0, sizeof (a));
      a.target_fd = (uint32_t) dfd;
      a.attach_bpf_fd = (uint32_t) ofd;
      a.attach_type = BPF_CGROUP_DEVICE;
      if (sys_bpf (BPF_PROG_DETACH, &a) < 0)
        cg_warn ("devices: could not detach the previous device filter from `%s`: %s", dir, strerror (errno));
      close (ofd);
    }
  return 0;
}
