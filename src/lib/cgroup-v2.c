/* cgroup v2: making the path (with controllers enabled on the way), the
 * resources in cgroup2 files with runc's conversions, freezer, stats.
 *
 * Resource -> file (runc's fs2 semantics; 0 means "not set", -1 "max"):
 *   memory.limit         memory.max
 *   memory.reservation   memory.low
 *   memory.swap          memory.swap.max = swap - limit (swap is memory+swap as
 *                        on v1; limit -1 and no swap: max; swap == limit: 0)
 *   memory.checkBeforeUpdate  refuse a limit <= memory.current
 *   cpu.shares           cpu.weight = 1 + ((shares - 2) * 9999) / 262142
 *   cpu.quota/period     cpu.max "quota period" (quota <= 0: max; period
 *                        default 100000; update keeps the other half)
 *   cpu.burst            cpu.max.burst
 *   cpu.idle             cpu.idle (then cpu.weight is not written)
 *   cpu.cpus/mems        cpuset.cpus / cpuset.mems
 *   pids.limit           pids.max (> 0: the value; < 0: max; 0: unset)
 *   blockIO.weight       io.bfq.weight, else io.weight = 1 + (w - 10) * 9999 / 990
 *   blockIO.weightDevice io.bfq.weight "MAJ:MIN W" (per-device BFQ), else
 *                        io.weight "MAJ:MIN converted"
 *   blockIO.throttle*    io.max "MAJ:MIN rbps|wbps|riops|wiops=RATE"
 *   hugepageLimits       hugetlb.SIZE.max (and hugetlb.SIZE.rsvd.max if present)
 *   rdma                 rdma.max "DEV hca_handle=N hca_object=M"
 *   unified              the file named by the key, which must be
 *                        CONTROLLER.PARAMETER of an available controller
 *   devices              eBPF program (cgroup-ebpf.c)
 * Not on v2 (an error naming the field): memory.kernel, memory.kernelTCP,
 * memory.swappiness, memory.disableOOMKiller=true, memory.useHierarchy=false,
 * cpu.realtimeRuntime/realtimePeriod, network, blockIO.leafWeight. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "utils.h"

static const char *
num_to_str (int64_t v, char *buf, size_t len)
{
  if (v == 0)
    return NULL;
  if (v == -1)
    return "max";
  snprintf (buf, len, "%" PRId64, v);
  return buf;
}

int
cg_v2_validate (const struct oci_resources *r, struct brig_error **err)
{
  size_t i;
  if (r == NULL)
    return 0;
  if (r->memory)
    {
      const struct oci_memory *m = r->memory;
      int64_t sw;
      if (m->has_kernel && m->kernel != 0)
        return brig_error_set (err, ENOTSUP, "linux.resources.memory.kernel: kernel memory limits are not "
                                             "supported on cgroup v2");
      if (m->has_kernel_tcp && m->kernel_tcp != 0)
        return brig_error_set (err, ENOTSUP, "linux.resources.memory.kernelTCP: not supported on cgroup v2");
      if (m->has_swappiness)
        return brig_error_set (err, ENOTSUP, "linux.resources.memory.swappiness: not supported on cgroup v2");
      if (m->has_disable_oom_killer && m->disable_oom_killer)
        return brig_error_set (err, ENOTSUP,
                               "linux.resources.memory.disableOOMKiller: the OOM killer cannot be disabled "
                               "on cgroup v2");
      if (m->has_use_hierarchy && ! m->use_hierarchy)
        return brig_error_set (err, ENOTSUP, "linux.resources.memory.useHierarchy: cgroup v2 is always "
                                             "hierarchical");
      if (cg_swap_v2 (m->has_swap ? m->swap : 0, m->has_limit ? m->limit : 0, &sw, err) < 0)
        return -1;
    }
  if (r->cpu)
    {
      if ((r->cpu->has_realtime_runtime && r->cpu->realtime_runtime != 0)
          || (r->cpu->has_realtime_period && r->cpu->realtime_period != 0))
        return brig_error_set (err, ENOTSUP, "linux.resources.cpu.%s: realtime scheduling is not supported "
                                             "on cgroup v2",
                               r->cpu->has_realtime_runtime ? "realtimeRuntime" : "realtimePeriod");
      if (r->cpu->has_idle && r->cpu->idle != 0 && r->cpu->idle != 1)
        return brig_error_set (err, EINVAL, "linux.resources.cpu.idle: must be 0 or 1");
    }
  if (r->network && (r->network->has_class_id || r->network->priorities_len))
    return brig_error_set (err, ENOTSUP, "linux.resources.network.%s: net_cls/net_prio do not exist on "
                                         "cgroup v2",
                           r->network->has_class_id ? "classID" : "priorities");
  if (r->block_io)
    {
      if (r->block_io->has_leaf_weight && r->block_io->leaf_weight)
        return brig_error_set (err, ENOTSUP, "linux.resources.blockIO.leafWeight: not supported on cgroup v2");
      for (i = 0; i < r->block_io->weight_device_len; i++)
        if (r->block_io->weight_device[i]->has_leaf_weight && r->block_io->weight_device[i]->leaf_weight)
          return brig_error_set (err, ENOTSUP,
                                 "linux.resources.blockIO.weightDevice[%zu].leafWeight: not supported on "
                                 "cgroup v2",
                                 i);
    }
  for (i = 0; i < r->unified.len; i++)
    {
      const char *k = r->unified.keys[i], *dot = strchr (k, '.');
      if (strchr (k, '/') || strcmp (k, "..") == 0 || strcmp (k, ".") == 0)
        return brig_error_set (err, EINVAL, "linux.resources.unified: `%s` must be a file name (no slashes)", k);
      if (dot == NULL || dot == k || dot[1] == '\0')
        return brig_error_set (err, EINVAL,
                               "linux.resources.unified: `%s` must be in the form CONTROLLER.PARAMETER", k);
    }
  return 0;
}

static bool
memory_set (const struct oci_memory *m)
{
  return m
         && ((m->has_limit && m->limit) || (m->has_reservation && m->reservation) || (m->has_swap && m->swap));
}

static bool
cpu_set (const struct oci_cpu *c)
{
  return c
         && ((c->has_shares && c->shares) || (c->has_quota && c->quota) || (c->has_period && c->period)
             || c->has_burst || c->has_idle);
}

static bool
cpuset_set (const struct oci_cpu *c)
{
  return c && ((c->cpus && c->cpus[0]) || (c->mems && c->mems[0]));
}

static bool
io_set (const struct oci_block_io *b)
{
  return b
         && ((b->has_weight && b->weight) || b->weight_device_len || b->throttle_read_bps_device_len
             || b->throttle_write_bps_device_len || b->throttle_read_iops_device_len
             || b->throttle_write_iops_device_len);
}

static void
add_ctrl (const char **out, size_t *n, size_t max, const char *c)
{
  for (size_t i = 0; i < *n; i++)
    if (strcmp (out[i], c) == 0)
      return;
  if (*n < max)
    out[(*n)++] = c;
}

size_t
cg_v2_needed_controllers (const struct oci_resources *r, const char **out, size_t max)
{
  static const char *const known[]
      = { "cpu", "cpuset", "io", "memory", "pids", "hugetlb", "rdma", "misc", "perf_event", NULL };
  size_t n = 0, i;
  if (r == NULL)
    return 0;
  if (memory_set (r->memory))
    add_ctrl (out, &n, max, "memory");
  if (cpu_set (r->cpu))
    add_ctrl (out, &n, max, "cpu");
  if (cpuset_set (r->cpu))
    add_ctrl (out, &n, max, "cpuset");
  if (r->pids && r->pids->has_limit && r->pids->limit)
    add_ctrl (out, &n, max, "pids");
  if (io_set (r->block_io))
    add_ctrl (out, &n, max, "io");
  if (r->hugepage_limits_len)
    add_ctrl (out, &n, max, "hugetlb");
  if (r->rdma.len)
    add_ctrl (out, &n, max, "rdma");
  for (i = 0; i < r->unified.len; i++)
    {
      const char *k = r->unified.keys[i];
      size_t l = strcspn (k, ".");
      for (size_t j = 0; known[j]; j++)
        if (strlen (known[j]) == l && strncmp (known[j], k, l) == 0)
          add_ctrl (out, &n, max, known[j]);
    }
  return n;
}

static const char *
ctrl_field (const char *c)
{
  if (strcmp (c, "memory") == 0)
    return "linux.resources.memory";
  if (strcmp (c, "cpu") == 0)
    return "linux.resources.cpu";
  if (strcmp (c, "cpuset") == 0)
    return "linux.resources.cpu.cpus";
  if (strcmp (c, "io") == 0)
    return "linux.resources.blockIO";
  if (strcmp (c, "pids") == 0)
    return "linux.resources.pids";
  if (strcmp (c, "hugetlb") == 0)
    return "linux.resources.hugepageLimits";
  if (strcmp (c, "rdma") == 0)
    return "linux.resources.rdma";
  return "linux.resources.unified";
}

static bool
list_has (const char *list, const char *w)
{
  size_t wl = strlen (w);
  const char *p = list;
  while (p && *p)
    {
      size_t l;
      while (*p == ' ' || *p == '\n')
        p++;
      l = strcspn (p, " \n");
      if (l == wl && strncmp (p, w, wl) == 0)
        return true;
      p += l;
    }
  return false;
}

static bool
has_controller (const char *dir, const char *c)
{
  _cleanup_free_ char *s = cg_read (dir, "cgroup.controllers");
  return s && list_has (s, c);
}

static char *
parent_of (const char *p)
{
  char *r = xstrdup (p);
  char *sl = strrchr (r, '/');
  if (sl && sl != r)
    *sl = '\0';
  return r;
}

/* Make sure controller C is available in TARGET: enable it in the
   subtree_control of each ancestor that lacks it, starting from the nearest
   one that has it available, never above ROOT. */
static int
enable_one (const char *root, const char *target, const char *c, struct brig_error **err)
{
  char **chain = NULL;
  size_t n = 0, i;
  _cleanup_free_ char *x = NULL;
  char *w;
  int ret = -1;

  if (has_controller (target, c))
    return 0;
  x = parent_of (target);
  for (;;)
    {
      chain = xrealloc (chain, (n + 1) * sizeof (char *));
      chain[n++] = xstrdup (x);
      if (has_controller (x, c) || strcmp (x, CG_ROOT) == 0)
        break;
      if (strcmp (x, root) == 0 || strlen (x) <= strlen (root))
        {
          brig_error_set (err, ENOTSUP,
                          "%s: the `%s` controller is not available in `%s` (not enabled or not delegated "
                          "by its parent)",
                          ctrl_field (c), c, x);
          goto out;
        }
      w = parent_of (x);
      free (x);
      x = w;
    }
  if (! has_controller (chain[n - 1], c) && strcmp (chain[n - 1], CG_ROOT) == 0)
    {
      brig_error_set (err, ENOTSUP, "%s: the `%s` controller is not available on this host", ctrl_field (c), c);
      goto out;
    }
  for (i = n; i-- > 0;)
    {
      _cleanup_free_ char *sub = cg_read (chain[i], "cgroup.subtree_control");
      _cleanup_free_ char *v = xasprintf ("+%s", c);
      int r;
      if (sub && list_has (sub, c))
        continue;
      r = cg_try_write (chain[i], "cgroup.subtree_control", v);
      if (r < 0)
        {
          brig_error_set (err, -r, "%s: enable the `%s` controller in `%s/cgroup.subtree_control`%s",
                          ctrl_field (c), c, chain[i],
                          r == -EBUSY ? " (that cgroup has processes of its own)" : "");
          goto out;
        }
    }
  ret = 0;
out:
  for (i = 0; i < n; i++)
    free (chain[i]);
  free (chain);
  return ret;
}

int
cg_v2_enable_controllers (const char *root, const char *target, const struct oci_resources *r,
                          bool optional, struct brig_error **err)
{
  const char *need[16];
  size_t n = cg_v2_needed_controllers (r, need, 16), i;
  for (i = 0; i < n; i++)
    if (enable_one (root, target, need[i], err) < 0)
      {
        if (! optional)
          return -1;
        brig_error_free (err);
      }
  return 0;
}

static bool
domain_needed (const struct oci_resources *r)
{
  return r && (memory_set (r->memory) || io_set (r->block_io) || cpu_set (r->cpu) || r->hugepage_limits_len);
}

int
cg_v2_make_path (struct brig_cgroup *cg, struct cg_hier *h, const char *boundary,
                 const struct oci_resources *r, bool enable_all, struct brig_error **err)
{
  _cleanup_free_ char *type = NULL;
  (void) cg;

  if (cg_mkdir_below (h, boundary, err) < 0)
    return -1;
  if (enable_all && h->created_depth > 1)
    {
      /* every controller in the intermediate cgroups we made (best effort,
         as runc: stats want them), top-down */
      for (int lvl = h->created_depth - 1; lvl >= 1; lvl--)
        {
          _cleanup_free_ char *d = xstrdup (h->path);
          _cleanup_free_ char *ctrls = NULL;
          for (int k = 0; k < lvl; k++)
            {
              char *sl = strrchr (d, '/');
              if (sl)
                *sl = '\0';
            }
          ctrls = cg_read (d, "cgroup.controllers");
          if (ctrls && ctrls[0])
            {
              _cleanup_free_ char *all = NULL;
              char *tok, *save = NULL;
              size_t cap = strlen (ctrls) * 2 + 2;
              all = xcalloc (1, cap);
              for (tok = strtok_r (ctrls, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save))
                {
                  strcat (all, all[0] ? " +" : "+");
                  strcat (all, tok);
                }
              if (cg_try_write (d, "cgroup.subtree_control", all) < 0)
                {
                  _cleanup_free_ char *c2 = cg_read (d, "cgroup.controllers");
                  for (tok = strtok_r (c2, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save))
                    {
                      _cleanup_free_ char *one = xasprintf ("+%s", tok);
                      cg_try_write (d, "cgroup.subtree_control", one);
                    }
                }
            }
        }
    }
  if (cg_v2_enable_controllers (boundary, h->path, r, false, err) < 0)
    return -1;
  type = cg_read (h->path, "cgroup.type");
  if (type && strcmp (type, "domain invalid") == 0)
    {
      if (domain_needed (r))
        return brig_error_set (err, EINVAL, "cgroup `%s` is in an invalid state (domain invalid): it cannot "
                                            "take domain controllers",
                               h->path);
      cg_try_write (h->path, "cgroup.type", "threaded");
    }
  else if (type && (strcmp (type, "threaded") == 0 || strcmp (type, "domain threaded") == 0)
           && domain_needed (r))
    return brig_error_set (err, EINVAL, "cgroup `%s` is %s: it cannot take domain controllers", h->path, type);
  return 0;
}

/* ---- resources ---- */

static int
set_memory (const char *dir, const struct oci_memory *m, struct brig_error **err)
{
  char b1[32], b2[32], b3[32];
  int64_t limit, swap_in, swap;
  const char *s;

  if (! memory_set (m))
    return 0;
  limit = m->has_limit ? m->limit : 0;
  swap_in = m->has_swap ? m->swap : 0;
  if (m->has_check_before_update && m->check_before_update)
    {
      uint64_t usage;
      if (cg_read_u64 (dir, "memory.current", &usage) == 0)
        {
          if (swap_in > 0 && (uint64_t) swap_in <= usage)
            return brig_error_set (err, EBUSY,
                                   "linux.resources.memory.swap: rejecting memory+swap limit %" PRId64
                                   " <= usage %" PRIu64,
                                   swap_in, usage);
          if (limit > 0 && (uint64_t) limit <= usage)
            return brig_error_set (err, EBUSY,
                                   "linux.resources.memory.limit: rejecting memory limit %" PRId64
                                   " <= usage %" PRIu64 " (checkBeforeUpdate)",
                                   limit, usage);
        }
    }
  if (cg_swap_v2 (swap_in, limit, &swap, err) < 0)
    return -1;
  s = num_to_str (swap, b1, sizeof (b1));
  if (s == NULL && swap == 0 && swap_in > 0)
    s = "0"; /* memory == memory+swap: no swap */
  if (s)
    {
      int r = cg_try_write (dir, "memory.swap.max", s);
      /* no swap accounting (no memory.swap.max): "max" asks for nothing */
      if (r < 0 && ! (r == -ENOENT && strcmp (s, "max") == 0))
        {
          if (r == -ENOENT)
            return brig_error_set (err, ENOENT, "linux.resources.memory.swap: write memory.swap.max: swap "
                                                "accounting is not available on this kernel");
          return brig_error_set (err, -r, "linux.resources.memory.swap: write memory.swap.max");
        }
    }
  if ((s = num_to_str (limit, b2, sizeof (b2))))
    if (cg_write (dir, "memory.max", s, "linux.resources.memory.limit", err) < 0)
      return -1;
  if ((s = num_to_str (m->has_reservation ? m->reservation : 0, b3, sizeof (b3))))
    if (cg_write (dir, "memory.low", s, "linux.resources.memory.reservation", err) < 0)
      return -1;
  return 0;
}

static int
set_cpu (const char *dir, const struct oci_cpu *c, bool update, struct brig_error **err)
{
  char buf[64];
  bool qset, pset, burst_pending = false;

  if (! cpu_set (c))
    return 0;
  if (c->has_idle)
    if (cg_writef (dir, "cpu.idle", "linux.resources.cpu.idle", err, "%" PRId64, c->idle) < 0)
      return -1;
  if (c->has_shares && c->shares && ! (c->has_idle && c->idle == 1))
    if (cg_writef (dir, "cpu.weight", "linux.resources.cpu.shares", err, "%" PRIu64,
                   cg_shares_to_weight (c->shares))
        < 0)
      return -1;
  qset = c->has_quota && c->quota != 0;
  pset = c->has_period && c->period != 0;
  if (c->has_burst)
    {
      snprintf (buf, sizeof (buf), "%" PRIu64, c->burst);
      int r = cg_try_write (dir, "cpu.max.burst", buf);
      if (r == -EINVAL && qset)
        burst_pending = true; /* retry once the quota is set */
      else if (r < 0)
        return cg_write (dir, "cpu.max.burst", buf, "linux.resources.cpu.burst", err);
    }
  if (qset || pset)
    {
      int64_t quota = qset ? c->quota : 0;
      uint64_t period = pset ? c->period : 0;
      if (update && (! qset || ! pset))
        {
          /* keep the half that is not updated (runc's update does) */
          _cleanup_free_ char *cur = cg_read (dir, "cpu.max");
          char q[32] = "";
          unsigned long long p = 0;
          if (cur && sscanf (cur, "%31s %llu", q, &p) == 2)
            {
              if (! qset)
                quota = strcmp (q, "max") == 0 ? -1 : strtoll (q, NULL, 10);
              if (! pset)
                period = p;
            }
        }
      if (period == 0)
        period = 100000;
      if (quota > 0)
        snprintf (buf, sizeof (buf), "%" PRId64 " %" PRIu64, quota, period);
      else
        snprintf (buf, sizeof (buf), "max %" PRIu64, period);
      if (cg_write (dir, "cpu.max", buf, qset ? "linux.resources.cpu.quota" : "linux.resources.cpu.period", err)
          < 0)
        return -1;
      if (burst_pending
          && cg_writef (dir, "cpu.max.burst", "linux.resources.cpu.burst", err, "%" PRIu64, c->burst) < 0)
        return -1;
    }
  return 0;
}

static int
set_cpuset (const char *dir, const struct oci_cpu *c, struct brig_error **err)
{
  if (c == NULL)
    return 0;
  if (c->cpus && c->cpus[0] && cg_write (dir, "cpuset.cpus", c->cpus, "linux.resources.cpu.cpus", err) < 0)
    return -1;
  if (c->mems && c->mems[0] && cg_write (dir, "cpuset.mems", c->mems, "linux.resources.cpu.mems", err) < 0)
    return -1;
  return 0;
}

static int
set_pids (const char *dir, const struct oci_pids *p, struct brig_error **err)
{
  if (p == NULL || ! p->has_limit || p->limit == 0)
    return 0;
  if (p->limit < 0)
    return cg_write (dir, "pids.max", "max", "linux.resources.pids.limit", err);
  return cg_writef (dir, "pids.max", "linux.resources.pids.limit", err, "%" PRId64, p->limit);
}

/* io.bfq.weight lists per-device weights ("default 100\n...") on kernels
   that support them, a bare number on older ones. */
static bool
bfq_per_device (const char *dir)
{
  _cleanup_free_ char *s = cg_read (dir, "io.bfq.weight");
  uint64_t v;
  return s && brig_parse_u64 (s, &v) < 0;
}

static int
throttle (const char *dir, struct oci_throttle_device **t, size_t n, const char *key, const char *field,
          struct brig_error **err)
{
  for (size_t i = 0; i < n; i++)
    {
      _cleanup_free_ char *f = NULL;
      if (t[i]->rate == 0)
        continue;
      f = xasprintf ("%s[%zu]", field, i);
      if (cg_writef (dir, "io.max", f, err, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t[i]->major, t[i]->minor, key,
                     t[i]->rate)
          < 0)
        return -1;
    }
  return 0;
}

static int
set_io (const char *dir, const struct oci_block_io *b, struct brig_error **err)
{
  bool bfq;
  size_t i;

  if (! io_set (b))
    return 0;
  bfq = cg_file_exists (dir, "io.bfq.weight");
  if (b->has_weight && b->weight)
    {
      if (bfq)
        {
          if (cg_writef (dir, "io.bfq.weight", "linux.resources.blockIO.weight", err, "%u", b->weight) < 0)
            return -1;
        }
      else if (cg_writef (dir, "io.weight", "linux.resources.blockIO.weight", err, "%" PRIu64,
                          cg_blkio_to_io_weight (b->weight))
               < 0)
        return -1;
    }
  if (b->weight_device_len)
    {
      bool per_dev = bfq && bfq_per_device (dir);
      for (i = 0; i < b->weight_device_len; i++)
        {
          const struct oci_weight_device *w = b->weight_device[i];
          _cleanup_free_ char *f = NULL;
          if (! w->has_weight || w->weight == 0)
            continue;
          f = xasprintf ("linux.resources.blockIO.weightDevice[%zu]", i);
          if (per_dev)
            {
              if (cg_writef (dir, "io.bfq.weight", f, err, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
                             w->weight)
                  < 0)
                return -1;
            }
          else if (cg_writef (dir, "io.weight", f, err, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
                              cg_blkio_to_io_weight (w->weight))
                   < 0)
            return -1;
        }
    }
  if (throttle (dir, b->throttle_read_bps_device, b->throttle_read_bps_device_len, "rbps",
                "linux.resources.blockIO.throttleReadBpsDevice", err)
          < 0
      || throttle (dir, b->throttle_write_bps_device, b->throttle_write_bps_device_len, "wbps",
                   "linux.resources.blockIO.throttleWriteBpsDevice", err)
             < 0
      || throttle (dir, b->throttle_read_iops_device, b->throttle_read_iops_device_len, "riops",
                   "linux.resources.blockIO.throttleReadIOPSDevice", err)
             < 0
      || throttle (dir, b->throttle_write_iops_device, b->throttle_write_iops_device_len, "wiops",
                   "linux.resources.blockIO.throttleWriteIOPSDevice", err)
             < 0)
    return -1;
  return 0;
}

static int
set_hugetlb (const char *dir, struct oci_hugepage_limit **h, size_t n, struct brig_error **err)
{
  for (size_t i = 0; i < n; i++)
    {
      _cleanup_free_ char *f = xasprintf ("linux.resources.hugepageLimits[%zu] (%s)", i, h[i]->page_size);
      _cleanup_free_ char *file = xasprintf ("hugetlb.%s.max", h[i]->page_size);
      _cleanup_free_ char *rsvd = xasprintf ("hugetlb.%s.rsvd.max", h[i]->page_size);
      if (strchr (h[i]->page_size, '/'))
        return brig_error_set (err, EINVAL, "%s: invalid page size", f);
      if (! cg_file_exists (dir, file))
        return brig_error_set (err, ENOENT, "%s: no %s (hugetlb controller not enabled, or the page size is "
                                            "not supported)",
                               f, file);
      if (cg_writef (dir, file, f, err, "%" PRIu64, h[i]->limit) < 0)
        return -1;
      if (cg_file_exists (dir, rsvd) && cg_writef (dir, rsvd, f, err, "%" PRIu64, h[i]->limit) < 0)
        return -1;
    }
  return 0;
}

int
cg_rdma_set (const char *dir, const struct ocispec_objmap *m, struct brig_error **err)
{
  for (size_t i = 0; i < m->len; i++)
    {
      const struct oci_rdma *r = m->values[i];
      _cleanup_free_ char *f = xasprintf ("linux.resources.rdma[%s]", m->keys[i]);
      char line[256];
      int l;
      if (r == NULL || (! r->has_hca_handles && ! r->has_hca_objects))
        continue;
      l = snprintf (line, sizeof (line), "%s", m->keys[i]);
      if (r->has_hca_handles)
        l += snprintf (line + l, sizeof (line) - l, " hca_handle=%u", r->hca_handles);
      if (r->has_hca_objects)
        snprintf (line + l, sizeof (line) - l, " hca_object=%u", r->hca_objects);
      if (cg_write (dir, "rdma.max", line, f, err) < 0)
        return -1;
    }
  return 0;
}

/* linux.resources.unified, validated against the controllers of DIR. */
int
cg_unified_set (const char *dir, const struct ocispec_strmap *u, struct brig_error **err)
{
  for (size_t i = 0; i < u->len; i++)
    {
      const char *k = u->keys[i], *v = u->values[i] ? u->values[i] : "";
      size_t cl = strcspn (k, ".");
      _cleanup_free_ char *ctrl = strndup (k, cl);
      _cleanup_free_ char *f = xasprintf ("linux.resources.unified[%s]", k);
      _cleanup_free_ char *copy = NULL;
      char *line, *save = NULL;
      int r = 0;

      if (strcmp (ctrl, "cgroup") != 0 && ! has_controller (dir, ctrl))
        return brig_error_set (err, ENOTSUP, "%s: the `%s` controller is not available in `%s`", f, ctrl, dir);
      if (! cg_file_exists (dir, k))
        return brig_error_set (err, ENOENT, "%s: `%s` is not a file of the `%s` controller here", f, k, ctrl);
      /* multi-line values (io.max ...) are written a line at a time */
      copy = xstrdup (v);
      if (strchr (copy, '\n') == NULL)
        r = cg_try_write (dir, k, copy);
      else
        for (line = strtok_r (copy, "\n", &save); line && r == 0; line = strtok_r (NULL, "\n", &save))
          r = cg_try_write (dir, k, line);
      if (r < 0)
        return brig_error_set (err, -r, "%s: write %s", f, k);
    }
  return 0;
}

int
cg_v2_apply (struct brig_cgroup *cg, const char *dir, const struct oci_resources *r, bool update,
             struct brig_error **err)
{
  if (r)
    {
      if (set_pids (dir, r->pids, err) < 0 || set_memory (dir, r->memory, err) < 0
          || set_io (dir, r->block_io, err) < 0 || set_cpu (dir, r->cpu, update, err) < 0)
        return -1;
    }
  /* devices: always at creation (runc's default allow list applies even
     when the spec has no rules), on update only when rules are given */
  if (! cg->rootless && (! update || (r && r->devices_len)))
    {
      struct cg_dev_rule *rules = NULL;
      size_t n = 0;
      int ret;
      if (cg_dev_build_rules (cg, r, &rules, &n, err) < 0)
        return -1;
      ret = cg_ebpf_set_devices (dir, rules, n, err);
      free (rules);
      if (ret < 0)
        return -1;
    }
  if (r)
    {
      if (set_cpuset (dir, r->cpu, err) < 0 || set_hugetlb (dir, r->hugepage_limits, r->hugepage_limits_len, err) < 0
          || cg_rdma_set (dir, &r->rdma, err) < 0 || cg_unified_set (dir, &r->unified, err) < 0)
        return -1;
    }
  return 0;
}

/* ---- freezer ---- */

int
cg_v2_freeze (const char *dir, bool freeze, struct brig_error **err)
{
  unsigned waited = 0;
  int r = cg_try_write (dir, "cgroup.freeze", freeze ? "1" : "0");
  if (r < 0)
    return brig_error_set (err, -r, "%s: write %s/cgroup.freeze", freeze ? "pause" : "resume", dir);
  /* the kernel reports "frozen 1" in cgroup.events once every task stopped */
  for (;;)
    {
      uint64_t v = 0;
      if (cg_read_keyed (dir, "cgroup.events", "frozen", &v) < 0)
        return brig_error_set (err, errno, "%s: read %s/cgroup.events", freeze ? "pause" : "resume", dir);
      if ((v == 1) == freeze)
        return 0;
      if (waited >= 30000)
        break;
      cg_sleep_ms (waited < 100 ? 1 : 10);
      waited += waited < 100 ? 1 : 10;
    }
  if (freeze)
    cg_try_write (dir, "cgroup.freeze", "0");
  return brig_error_set (err, ETIMEDOUT, "%s: cgroup `%s` did not reach the %s state", freeze ? "pause" : "resume",
                         dir, freeze ? "frozen" : "thawed");
}

int
cg_v2_is_frozen (const char *dir, bool *frozen, struct brig_error **err)
{
  _cleanup_free_ char *s = cg_read (dir, "cgroup.freeze");
  if (s == NULL)
    return brig_error_set (err, errno, "read %s/cgroup.freeze", dir);
  *frozen = strcmp (s, "1") == 0;
  return 0;
}

/* ---- stats (runc's events --stats layout) ---- */


static void
mem_entry (struct cg_json *j, const char *key, uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
  cg_json_open (j, key);
  cg_json_u64 (j, "limit", limit);
  cg_json_u64_nz (j, "usage", usage);
  cg_json_u64_nz (j, "max", max);
  cg_json_u64 (j, "failcnt", failcnt);
  cg_json_close (j);
}

static void
io_stats (struct cg_json *j, const char *dir)
{
  _cleanup_free_ char *s = cg_read (dir, "io.stat");
  static const char *const tabs[2][3] = { { "ioServiceBytesRecursive", "rbytes", "wbytes" },
                                          { "ioServicedRecursive", "rios", "wios" } };
  cg_json_open (j, "blkio");
  for (int t = 0; t < 2 && s && s[0]; t++)
    {
      _cleanup_free_ char *copy = xstrdup (s);
      char *line, *save = NULL;
      bool opened = false;
      for (line = strtok_r (copy, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        {
          unsigned long long maj, min;
          char *p, *tok, *save2 = NULL;
          if (sscanf (line, "%llu:%llu", &maj, &min) != 2)
            continue;
          p = strchr (line, ' ');
          if (p == NULL)
            continue;
          for (tok = strtok_r (p, " ", &save2); tok; tok = strtok_r (NULL, " ", &save2))
            {
              const char *op = NULL;
              char *eq = strchr (tok, '=');
              uint64_t v;
              if (eq == NULL)
                continue;
              *eq = '\0';
              if (strcmp (tok, tabs[t][1]) == 0)
                op = "Read";
              else if (strcmp (tok, tabs[t][2]) == 0)
                op = "Write";
              if (op == NULL || brig_parse_u64 (eq + 1, &v) < 0)
                continue;
              if (! opened)
                {
                  cg_json_open_arr (j, tabs[t][0]);
                  opened = true;
                }
              cg_json_open (j, NULL);
              cg_json_u64_nz (j, "major", maj);
              cg_json_u64_nz (j, "minor", min);
              cg_json_str (j, "op", op);
              cg_json_u64_nz (j, "value", v);
              cg_json_close (j);
            }
        }
      if (opened)
        cg_json_close_arr (j);
    }
  cg_json_close (j);
}

static void
hugetlb_stats (struct cg_json *j, const char *dir)
{
  DIR *d;
  struct dirent *de;
  cg_json_open (j, "hugetlb");
  d = opendir ("/sys/kernel/mm/hugepages");
  while (d && (de = readdir (d)))
    {
      unsigned long kb;
      char size[32], file[96];
      uint64_t usage = 0, max = 0, fail = 0;
      if (sscanf (de->d_name, "hugepages-%lukB", &kb) != 1)
        continue;
      if (kb >= 1024 * 1024)
        snprintf (size, sizeof (size), "%luGB", kb / (1024 * 1024));
      else if (kb >= 1024)
        snprintf (size, sizeof (size), "%luMB", kb / 1024);
      else
        snprintf (size, sizeof (size), "%luKB", kb);
      snprintf (file, sizeof (file), "hugetlb.%s.current", size);
      if (cg_read_u64 (dir, file, &usage) < 0)
        continue;
      snprintf (file, sizeof (file), "hugetlb.%s.max", size);
      cg_read_u64 (dir, file, &max);
      snprintf (file, sizeof (file), "hugetlb.%s.events", size);
      cg_read_keyed (dir, file, "max", &fail);
      cg_json_open (j, size);
      cg_json_u64_nz (j, "usage", usage);
      cg_json_u64_nz (j, "max", max);
      cg_json_u64 (j, "failcnt", fail);
      cg_json_close (j);
    }
  if (d)
    closedir (d);
  cg_json_close (j);
}

int
cg_v2_stats (const char *dir, struct brig_cgroup *cg, void *jv)
{
  struct cg_json *j = jv;
  uint64_t v, usage = 0, limit = 0, peak = 0, fail = 0, susage = 0, slimit = 0, file = 0;
  _cleanup_free_ char *cpus = NULL, *mems = NULL, *mstat = NULL;
  (void) cg;

  if (access (dir, F_OK) < 0)
    return -1;
  /* cpu */
  cg_json_open (j, "cpu");
  cg_json_open (j, "usage");
  {
    uint64_t total = 0, user = 0, sys = 0;
    cg_read_keyed (dir, "cpu.stat", "usage_usec", &total);
    cg_read_keyed (dir, "cpu.stat", "user_usec", &user);
    cg_read_keyed (dir, "cpu.stat", "system_usec", &sys);
    cg_json_u64_nz (j, "total", total * 1000);
    cg_json_u64 (j, "kernel", sys * 1000);
    cg_json_u64 (j, "user", user * 1000);
  }
  cg_json_close (j);
  cg_json_open (j, "throttling");
  if (cg_read_keyed (dir, "cpu.stat", "nr_periods", &v) == 0)
    cg_json_u64_nz (j, "periods", v);
  if (cg_read_keyed (dir, "cpu.stat", "nr_throttled", &v) == 0)
    cg_json_u64_nz (j, "throttledPeriods", v);
  if (cg_read_keyed (dir, "cpu.stat", "throttled_usec", &v) == 0)
    cg_json_u64_nz (j, "throttledTime", v * 1000);
  cg_json_close (j);
  cg_json_close (j);
  /* cpuset */
  cg_json_open (j, "cpuset");
  cpus = cg_read (dir, "cpuset.cpus.effective");
  mems = cg_read (dir, "cpuset.mems.effective");
  cg_json_list_u16 (j, "cpus", cpus);
  cg_json_list_u16 (j, "mems", mems);
  cg_json_cpuset_tail (j);
  cg_json_close (j);
  /* memory */
  cg_json_open (j, "memory");
  mstat = cg_read (dir, "memory.stat");
  if (mstat)
    {
      char *p = strstr (mstat, "\nfile ");
      if (strncmp (mstat, "file ", 5) == 0)
        p = mstat - 1;
      if (p)
        {
          _cleanup_free_ char *num = strndup (p + 6, strcspn (p + 6, "\n"));
          brig_parse_u64 (num, &file);
        }
    }
  cg_json_u64_nz (j, "cache", file);
  cg_read_u64 (dir, "memory.current", &usage);
  cg_read_u64 (dir, "memory.max", &limit);
  cg_read_u64 (dir, "memory.peak", &peak);
  cg_read_keyed (dir, "memory.events", "max", &fail);
  mem_entry (j, "usage", limit, usage, peak, fail);
  if (cg_read_u64 (dir, "memory.swap.current", &susage) == 0)
    {
      cg_read_u64 (dir, "memory.swap.max", &slimit);
      /* v1 compatible: memory+swap */
      susage += usage;
      if (slimit != UINT64_MAX && limit != UINT64_MAX)
        slimit += limit;
      else
        slimit = UINT64_MAX;
    }
  mem_entry (j, "swap", slimit, susage, 0, 0);
  mem_entry (j, "kernel", 0, 0, 0, 0);
  mem_entry (j, "kernelTCP", 0, 0, 0, 0);
  cg_json_keyed_file (j, "raw", dir, "memory.stat");
  cg_json_close (j);
  /* pids */
  cg_json_open (j, "pids");
  v = 0;
  cg_read_u64 (dir, "pids.current", &v);
  cg_json_u64_nz (j, "current", v);
  v = 0;
  cg_read_u64 (dir, "pids.max", &v);
  cg_json_u64_nz (j, "limit", v);
  cg_json_close (j);
  io_stats (j, dir);
  hugetlb_stats (j, dir);
  return 0;
}
