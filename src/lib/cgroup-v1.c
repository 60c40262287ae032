/* cgroup v1 (and the v1 side of hybrid hosts): resources in the v1
 * controller files with runc's semantics, cpuset parents, devices
 * allow/deny lists, freezer, stats.
 *
 * Resource -> file (0 means "not set" where runc treats it so):
 *   memory.limit / swap   memory.limit_in_bytes / memory.memsw.limit_in_bytes
 *                         (written in the order the kernel accepts: swap first
 *                         when it grows; limit -1 without swap: both -1)
 *   memory.reservation    memory.soft_limit_in_bytes
 *   memory.kernel         memory.kmem.limit_in_bytes (where the kernel has it)
 *   memory.kernelTCP      memory.kmem.tcp.limit_in_bytes
 *   memory.swappiness     memory.swappiness (0..100)
 *   memory.disableOOMKiller memory.oom_control
 *   memory.useHierarchy   memory.use_hierarchy
 *   memory.checkBeforeUpdate refuse a limit <= memory.usage_in_bytes
 *   cpu.shares            cpu.shares (read back: the kernel clamps)
 *   cpu.quota/period/burst cpu.cfs_quota_us / cpu.cfs_period_us / cpu.cfs_burst_us
 *   cpu.realtime*         cpu.rt_runtime_us / cpu.rt_period_us (the parents
 *                         brig made get the runtime first)
 *   cpu.idle              cpu.idle
 *   cpu.cpus/mems         cpuset.cpus / cpuset.mems (new cpusets copy their
 *                         parent's first, else no task could join)
 *   pids.limit            pids.max
 *   blockIO.*             blkio.weight (or blkio.bfq.weight), blkio.leaf_weight,
 *                         blkio.[bfq.]weight_device, blkio.leaf_weight_device,
 *                         blkio.throttle.{read,write}_{bps,iops}_device
 *   hugepageLimits        hugetlb.SIZE.limit_in_bytes (+ rsvd.limit_in_bytes)
 *   network.classID       net_cls.classid
 *   network.priorities    net_prio.ifpriomap
 *   rdma                  rdma.max
 *   devices               devices.allow / devices.deny: the minimal transition
 *                         from devices.list to runc's rule set (default deny,
 *                         the spec's rules, runc's default allow list)
 *   unified               hybrid only: files of the unified cgroup
 * A controller that is not mounted makes its resources an error. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "utils.h"

static bool
name_has (const char *list, const char *c)
{
  size_t cl = strlen (c);
  const char *p = list;
  while (p && *p)
    {
      size_t l = strcspn (p, ",");
      if (l == cl && strncmp (p, c, cl) == 0)
        return true;
      p += l;
      if (*p == ',')
        p++;
    }
  return false;
}

const char *
cg_v1_path (const struct brig_cgroup *cg, const char *controller)
{
  for (size_t i = 0; i < cg->n_hier; i++)
    if (! cg->hier[i].v2 && cg->hier[i].path && name_has (cg->hier[i].name, controller))
      return cg->hier[i].path;
  return NULL;
}

static int
need (const struct brig_cgroup *cg, const char *ctrl, const char *field, struct brig_error **err)
{
  if (cg_v1_path (cg, ctrl))
    return 0;
  return brig_error_set (err, ENOTSUP, "%s: the cgroup v1 `%s` controller is not mounted on this host", field, ctrl);
}

/* cg may have no paths yet (create validates before making them): then
   look at the hierarchy names only. */
static bool
mounted (const struct brig_cgroup *cg, const char *ctrl)
{
  for (size_t i = 0; i < cg->n_hier; i++)
    if (! cg->hier[i].v2 && name_has (cg->hier[i].name, ctrl))
      return true;
  return false;
}

static int
need_m (const struct brig_cgroup *cg, const char *ctrl, const char *field, struct brig_error **err)
{
  if (mounted (cg, ctrl))
    return 0;
  return need (cg, ctrl, field, err);
}

int
cg_v1_validate (struct brig_cgroup *cg, const struct oci_resources *r, struct brig_error **err)
{
  size_t i;
  if (r == NULL)
    return 0;
  if (r->memory)
    {
      const struct oci_memory *m = r->memory;
      bool any = (m->has_limit && m->limit) || (m->has_reservation && m->reservation) || (m->has_swap && m->swap)
                 || (m->has_kernel && m->kernel) || (m->has_kernel_tcp && m->kernel_tcp) || m->has_swappiness
                 || m->has_disable_oom_killer || m->has_use_hierarchy;
      if (any && need_m (cg, "memory", "linux.resources.memory", err) < 0)
        return -1;
      if (m->has_swappiness && m->swappiness > 100)
        return brig_error_set (err, EINVAL, "linux.resources.memory.swappiness: invalid value %" PRIu64
                                            " (valid range is 0-100)",
                               m->swappiness);
    }
  if (r->cpu)
    {
      const struct oci_cpu *c = r->cpu;
      if (((c->has_shares && c->shares) || (c->has_quota && c->quota) || (c->has_period && c->period)
           || c->has_burst || c->has_idle || (c->has_realtime_runtime && c->realtime_runtime)
           || (c->has_realtime_period && c->realtime_period))
          && need_m (cg, "cpu", "linux.resources.cpu", err) < 0)
        return -1;
      if (((c->cpus && c->cpus[0]) || (c->mems && c->mems[0]))
          && need_m (cg, "cpuset", c->cpus && c->cpus[0] ? "linux.resources.cpu.cpus" : "linux.resources.cpu.mems",
                     err)
                 < 0)
        return -1;
    }
  if (r->pids && r->pids->has_limit && r->pids->limit && need_m (cg, "pids", "linux.resources.pids.limit", err) < 0)
    return -1;
  if (r->block_io)
    {
      const struct oci_block_io *b = r->block_io;
      if (((b->has_weight && b->weight) || (b->has_leaf_weight && b->leaf_weight) || b->weight_device_len
           || b->throttle_read_bps_device_len || b->throttle_write_bps_device_len || b->throttle_read_iops_device_len
           || b->throttle_write_iops_device_len)
          && need_m (cg, "blkio", "linux.resources.blockIO", err) < 0)
        return -1;
    }
  if (r->hugepage_limits_len && need_m (cg, "hugetlb", "linux.resources.hugepageLimits", err) < 0)
    return -1;
  if (r->network)
    {
      if (r->network->has_class_id && need_m (cg, "net_cls", "linux.resources.network.classID", err) < 0)
        return -1;
      if (r->network->priorities_len && need_m (cg, "net_prio", "linux.resources.network.priorities", err) < 0)
        return -1;
    }
  if (r->rdma.len && need_m (cg, "rdma", "linux.resources.rdma", err) < 0)
    return -1;
  if (r->unified.len)
    {
      if (cg->mode != BRIG_CGROUP_HYBRID)
        return brig_error_set (err, ENOTSUP, "linux.resources.unified: not supported on cgroup v1 (no unified "
                                             "hierarchy)");
      for (i = 0; i < r->unified.len; i++)
        if (strchr (r->unified.keys[i], '/') || strchr (r->unified.keys[i], '.') == NULL)
          return brig_error_set (err, EINVAL,
                                 "linux.resources.unified: `%s` must be in the form CONTROLLER.PARAMETER",
                                 r->unified.keys[i]);
    }
  return 0;
}

/* New cpuset cgroups start with empty cpus/mems: copy the parent's into
   each one brig made (top-down) and into the leaf if it is empty. */
int
cg_v1_prepare (struct brig_cgroup *cg, struct brig_error **err)
{
  for (size_t i = 0; i < cg->n_hier; i++)
    {
      struct cg_hier *h = &cg->hier[i];
      int depth = h->created_depth > 0 ? h->created_depth : 1;
      if (h->v2 || ! name_has (h->name, "cpuset") || h->path == NULL)
        continue;
      for (int lvl = depth - 1; lvl >= 0; lvl--)
        {
          _cleanup_free_ char *d = xstrdup (h->path);
          _cleanup_free_ char *parent = NULL;
          for (int k = 0; k < lvl; k++)
            {
              char *sl = strrchr (d, '/');
              if (sl)
                *sl = '\0';
            }
          parent = xstrdup (d);
          *strrchr (parent, '/') = '\0';
          for (int f = 0; f < 2; f++)
            {
              const char *file = f ? "cpuset.mems" : "cpuset.cpus";
              _cleanup_free_ char *cur = cg_read (d, file);
              _cleanup_free_ char *pv = NULL;
              if (cur && cur[0])
                continue;
              pv = cg_read (parent, file);
              if (pv == NULL)
                return brig_error_set (err, errno, "cpuset: read %s/%s", parent, file);
              if (pv[0] && cg_write (d, file, pv, "cpuset (inherit the parent's)", err) < 0)
                return -1;
            }
        }
    }
  return 0;
}

/* ---- memory ---- */

static int
write_mem (const char *dir, const char *file, int64_t v, const char *field, struct brig_error **err)
{
  char buf[32];
  int r;
  snprintf (buf, sizeof (buf), "%" PRId64, v);
  r = cg_try_write (dir, file, buf);
  if (r == 0)
    return 0;
  if (r == -EBUSY && strcmp (file, "memory.limit_in_bytes") == 0)
    {
      uint64_t usage = 0, peak = 0;
      cg_read_u64 (dir, "memory.usage_in_bytes", &usage);
      cg_read_u64 (dir, "memory.max_usage_in_bytes", &peak);
      return brig_error_set (err, EBUSY,
                             "%s: write %s: unable to set memory limit to %" PRId64 " (current usage: %" PRIu64
                             ", peak usage: %" PRIu64 ")",
                             field, file, v, usage, peak);
    }
  return cg_write (dir, file, buf, field, err);
}

static int
set_memory (const char *dir, const struct oci_memory *m, struct brig_error **err)
{
  int64_t limit = m->has_limit ? m->limit : 0, swap = m->has_swap ? m->swap : 0;
  const char *FL = "linux.resources.memory.limit", *FS = "linux.resources.memory.swap";

  if (m->has_check_before_update && m->check_before_update && limit > 0)
    {
      uint64_t usage;
      if (cg_read_u64 (dir, "memory.usage_in_bytes", &usage) == 0 && (uint64_t) limit <= usage)
        return brig_error_set (err, EBUSY,
                               "linux.resources.memory.limit: rejecting memory limit %" PRId64 " <= usage %" PRIu64
                               " (checkBeforeUpdate)",
                               limit, usage);
    }
  if (limit == -1 && swap == 0 && cg_file_exists (dir, "memory.memsw.limit_in_bytes"))
    swap = -1;
  if (limit != 0 && swap != 0)
    {
      uint64_t cur = 0;
      if (cg_read_u64 (dir, "memory.limit_in_bytes", &cur) < 0)
        return brig_error_set (err, errno, "%s: read %s/memory.limit_in_bytes", FL, dir);
      if (swap == -1 || cur < (uint64_t) swap)
        {
          if (write_mem (dir, "memory.memsw.limit_in_bytes", swap, FS, err) < 0
              || write_mem (dir, "memory.limit_in_bytes", limit, FL, err) < 0)
            return -1;
          goto rest;
        }
    }
  if (limit != 0 && write_mem (dir, "memory.limit_in_bytes", limit, FL, err) < 0)
    return -1;
  if (swap != 0 && write_mem (dir, "memory.memsw.limit_in_bytes", swap, FS, err) < 0)
    return -1;
rest:
  if (m->has_kernel && m->kernel != 0)
    {
      uint64_t got = 0;
      long pg = sysconf (_SC_PAGESIZE);
      if (write_mem (dir, "memory.kmem.limit_in_bytes", m->kernel, "linux.resources.memory.kernel", err) < 0)
        return -1;
      /* kernels >= 5.16 accept the write and ignore it: check */
      if (m->kernel > 0 && (cg_read_u64 (dir, "memory.kmem.limit_in_bytes", &got) < 0
                            || got != (uint64_t) m->kernel / (uint64_t) pg * (uint64_t) pg))
        return brig_error_set (err, ENOTSUP,
                               "linux.resources.memory.kernel: this kernel ignores kernel memory limits "
                               "(memory.kmem.limit_in_bytes reads %" PRIu64 " after writing %" PRId64 ")",
                               got, m->kernel);
    }
  if (m->has_reservation && m->reservation != 0
      && write_mem (dir, "memory.soft_limit_in_bytes", m->reservation, "linux.resources.memory.reservation", err) < 0)
    return -1;
  if (m->has_kernel_tcp && m->kernel_tcp != 0
      && write_mem (dir, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp, "linux.resources.memory.kernelTCP", err)
             < 0)
    return -1;
  if (m->has_disable_oom_killer
      && cg_write (dir, "memory.oom_control", m->disable_oom_killer ? "1" : "0",
                   "linux.resources.memory.disableOOMKiller", err)
             < 0)
    return -1;
  if (m->has_swappiness
      && cg_writef (dir, "memory.swappiness", "linux.resources.memory.swappiness", err, "%" PRIu64, m->swappiness) < 0)
    return -1;
  if (m->has_use_hierarchy)
    {
      _cleanup_free_ char *cur = cg_read (dir, "memory.use_hierarchy");
      const char *want = m->use_hierarchy ? "1" : "0";
      if (! (cur && strcmp (cur, want) == 0)
          && cg_write (dir, "memory.use_hierarchy", want, "linux.resources.memory.useHierarchy", err) < 0)
        return -1;
    }
  return 0;
}

/* ---- cpu ---- */

static int
set_cpu (struct brig_cgroup *cg, const char *dir, const struct oci_cpu *c, bool update, struct brig_error **err)
{
  char period[32] = "", burst[32] = "";
  int r;

  if (c->has_shares && c->shares)
    {
      uint64_t got = 0;
      if (cg_writef (dir, "cpu.shares", "linux.resources.cpu.shares", err, "%" PRIu64, c->shares) < 0)
        return -1;
      if (cg_read_u64 (dir, "cpu.shares", &got) == 0 && got != c->shares)
        return brig_error_set (err, ERANGE, "linux.resources.cpu.shares: the %s allowed cpu-shares is %" PRIu64,
                               c->shares > got ? "maximum" : "minimum", got);
    }
  if (c->has_period && c->period)
    {
      snprintf (period, sizeof (period), "%" PRIu64, c->period);
      r = cg_try_write (dir, "cpu.cfs_period_us", period);
      if (r == 0)
        period[0] = '\0';
      else if (! (r == -EINVAL && c->has_quota && c->quota))
        return cg_write (dir, "cpu.cfs_period_us", period, "linux.resources.cpu.period", err);
    }
  if (c->has_burst)
    {
      snprintf (burst, sizeof (burst), "%" PRIu64, c->burst);
      r = cg_try_write (dir, "cpu.cfs_burst_us", burst);
      if (r == 0)
        burst[0] = '\0';
      else if (! (r == -EINVAL && c->has_quota && c->quota))
        return cg_write (dir, "cpu.cfs_burst_us", burst, "linux.resources.cpu.burst", err);
    }
  if (c->has_quota && c->quota)
    {
      if (cg_writef (dir, "cpu.cfs_quota_us", "linux.resources.cpu.quota", err, "%" PRId64, c->quota) < 0)
        return -1;
      if (period[0] && cg_write (dir, "cpu.cfs_period_us", period, "linux.resources.cpu.period", err) < 0)
        return -1;
      if (burst[0] && cg_write (dir, "cpu.cfs_burst_us", burst, "linux.resources.cpu.burst", err) < 0)
        return -1;
    }
  if (c->has_idle && cg_writef (dir, "cpu.idle", "linux.resources.cpu.idle", err, "%" PRId64, c->idle) < 0)
    return -1;

  /* realtime: the parents brig made need the bandwidth first */
  if ((c->has_realtime_runtime && c->realtime_runtime) || (c->has_realtime_period && c->realtime_period))
    {
      char rtp[32] = "";
      if (! update)
        for (size_t i = 0; i < cg->n_hier; i++)
          {
            struct cg_hier *h = &cg->hier[i];
            if (h->v2 || ! name_has (h->name, "cpu") || h->created_depth < 2)
              continue;
            for (int lvl = h->created_depth - 1; lvl >= 1; lvl--)
              {
                _cleanup_free_ char *d = xstrdup (h->path);
                for (int k = 0; k < lvl; k++)
                  *strrchr (d, '/') = '\0';
                if (c->has_realtime_period && c->realtime_period
                    && cg_writef (d, "cpu.rt_period_us", "linux.resources.cpu.realtimePeriod", err, "%" PRIu64,
                                  c->realtime_period)
                           < 0)
                  return -1;
                if (c->has_realtime_runtime && c->realtime_runtime
                    && cg_writef (d, "cpu.rt_runtime_us", "linux.resources.cpu.realtimeRuntime", err, "%" PRId64,
                                  c->realtime_runtime)
                           < 0)
                  return -1;
              }
          }
      if (c->has_realtime_period && c->realtime_period)
        {
          snprintf (rtp, sizeof (rtp), "%" PRIu64, c->realtime_period);
          r = cg_try_write (dir, "cpu.rt_period_us", rtp);
          if (r == 0)
            rtp[0] = '\0';
          else if (! (r == -EINVAL && c->has_realtime_runtime && c->realtime_runtime))
            return cg_write (dir, "cpu.rt_period_us", rtp, "linux.resources.cpu.realtimePeriod", err);
        }
      if (c->has_realtime_runtime && c->realtime_runtime)
        {
          if (cg_writef (dir, "cpu.rt_runtime_us", "linux.resources.cpu.realtimeRuntime", err, "%" PRId64,
                         c->realtime_runtime)
              < 0)
            return -1;
          if (rtp[0] && cg_write (dir, "cpu.rt_period_us", rtp, "linux.resources.cpu.realtimePeriod", err) < 0)
            return -1;
        }
    }
  return 0;
}

/* ---- blkio ---- */

static int
v1_throttle (const char *dir, const char *file, struct oci_throttle_device **t, size_t n, const char *field,
             struct brig_error **err)
{
  for (size_t i = 0; i < n; i++)
    {
      _cleanup_free_ char *f = xasprintf ("%s[%zu]", field, i);
      if (cg_writef (dir, file, f, err, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i]->major, t[i]->minor, t[i]->rate) < 0)
        return -1;
    }
  return 0;
}

static int
set_blkio (const char *dir, const struct oci_block_io *b, struct brig_error **err)
{
  const char *wfile = "blkio.weight", *wdfile = "blkio.weight_device";
  size_t i;

  if (! cg_file_exists (dir, "blkio.weight") && cg_file_exists (dir, "blkio.bfq.weight"))
    {
      wfile = "blkio.bfq.weight";
      wdfile = "blkio.bfq.weight_device";
    }
  if (b->has_weight && b->weight
      && cg_writef (dir, wfile, "linux.resources.blockIO.weight", err, "%u", b->weight) < 0)
    return -1;
  if (b->has_leaf_weight && b->leaf_weight
      && cg_writef (dir, "blkio.leaf_weight", "linux.resources.blockIO.leafWeight", err, "%u", b->leaf_weight) < 0)
    return -1;
  for (i = 0; i < b->weight_device_len; i++)
    {
      const struct oci_weight_device *w = b->weight_device[i];
      _cleanup_free_ char *f = xasprintf ("linux.resources.blockIO.weightDevice[%zu]", i);
      if (w->has_weight && w->weight
          && cg_writef (dir, wdfile, f, err, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor, w->weight) < 0)
        return -1;
      if (w->has_leaf_weight && w->leaf_weight
          && cg_writef (dir, "blkio.leaf_weight_device", f, err, "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
                        w->leaf_weight)
                 < 0)
        return -1;
    }
  if (v1_throttle (dir, "blkio.throttle.read_bps_device", b->throttle_read_bps_device, b->throttle_read_bps_device_len,
                   "linux.resources.blockIO.throttleReadBpsDevice", err)
          < 0
      || v1_throttle (dir, "blkio.throttle.write_bps_device", b->throttle_write_bps_device,
                      b->throttle_write_bps_device_len, "linux.resources.blockIO.throttleWriteBpsDevice", err)
             < 0
      || v1_throttle (dir, "blkio.throttle.read_iops_device", b->throttle_read_iops_device,
                      b->throttle_read_iops_device_len, "linux.resources.blockIO.throttleReadIOPSDevice", err)
             < 0
      || v1_throttle (dir, "blkio.throttle.write_iops_device", b->throttle_write_iops_device,
                      b->throttle_write_iops_device_len, "linux.resources.blockIO.throttleWriteIOPSDevice", err)
             < 0)
    return -1;
  return 0;
}

/* ---- devices ---- */

static int
set_devices (struct brig_cgroup *cg, const char *dir, const struct oci_resources *r, struct brig_error **err)
{
  struct cg_dev_rule *rules = NULL, *tr = NULL;
  size_t n = 0, ntr = 0, i;
  struct cg_dev_emu cur = { 0 }, target = { 0 }, after = { 0 };
  _cleanup_free_ char *list = NULL, *list2 = NULL;
  int ret = -1;

  if (cg_dev_build_rules (cg, r, &rules, &n, err) < 0)
    return -1;
  for (i = 0; i < n; i++)
    if (cg_dev_emu_apply (&target, &rules[i], err) < 0)
      goto out;
  list = cg_read (dir, "devices.list");
  if (list == NULL)
    {
      brig_error_set (err, errno, "linux.resources.devices: read %s/devices.list", dir);
      goto out;
    }
  if (cg_dev_emu_from_list (list, &cur, err) < 0)
    goto out;
  if (cg_dev_transition (&cur, &target, &tr, &ntr) < 0)
    {
      brig_error_set (err, EINVAL, "linux.resources.devices: cannot compute the rule transition");
      goto out;
    }
  for (i = 0; i < ntr; i++)
    {
      char line[64];
      cg_dev_rule_string (&tr[i], line, sizeof (line));
      if (cg_write (dir, tr[i].allow ? "devices.allow" : "devices.deny", line, "linux.resources.devices", err) < 0)
        {
          brig_error_prefix (err, "rule `%s`", line);
          goto out;
        }
    }
  /* the kernel silently ignores some requests: check the result */
  list2 = cg_read (dir, "devices.list");
  if (list2 == NULL || cg_dev_emu_from_list (list2, &after, err) < 0)
    {
      if (! *err)
        brig_error_set (err, errno, "linux.resources.devices: read %s/devices.list", dir);
      goto out;
    }
  if (after.default_allow != target.default_allow)
    {
      brig_error_set (err, EPERM, "linux.resources.devices: the devices cgroup is not in the requested mode");
      goto out;
    }
  if (! target.default_allow)
    {
      bool same = after.n == target.n;
      for (i = 0; same && i < target.n; i++)
        {
          bool found = false;
          for (size_t k = 0; k < after.n; k++)
            if (after.rules[k].type == target.rules[i].type && after.rules[k].major == target.rules[i].major
                && after.rules[k].minor == target.rules[i].minor && after.rules[k].perms == target.rules[i].perms)
              found = true;
          same = found;
        }
      if (! same)
        {
          brig_error_set (err, EPERM, "linux.resources.devices: the resulting devices cgroup does not match the "
                                      "requested rules (the parent cgroup may not allow them)");
          goto out;
        }
    }
  ret = 0;
out:
  free (rules);
  free (tr);
  cg_dev_emu_clear (&cur);
  cg_dev_emu_clear (&target);
  cg_dev_emu_clear (&after);
  return ret;
}

int
cg_v1_apply (struct brig_cgroup *cg, const struct oci_resources *r, bool update, struct brig_error **err)
{
  const char *p;
  size_t i;

  if (r && r->cpu && ((r->cpu->cpus && r->cpu->cpus[0]) || (r->cpu->mems && r->cpu->mems[0])))
    {
      if (need (cg, "cpuset", "linux.resources.cpu.cpus", err) < 0)
        return -1;
      p = cg_v1_path (cg, "cpuset");
      if (r->cpu->cpus && r->cpu->cpus[0]
          && cg_write (p, "cpuset.cpus", r->cpu->cpus, "linux.resources.cpu.cpus", err) < 0)
        return -1;
      if (r->cpu->mems && r->cpu->mems[0]
          && cg_write (p, "cpuset.mems", r->cpu->mems, "linux.resources.cpu.mems", err) < 0)
        return -1;
    }
  if (! cg->rootless && (! update || (r && r->devices_len)))
    {
      if (need (cg, "devices", "linux.resources.devices", err) < 0)
        return -1;
      if (set_devices (cg, cg_v1_path (cg, "devices"), r, err) < 0)
        return -1;
    }
  if (r == NULL)
    return 0;
  if (r->memory && cg_v1_path (cg, "memory") && set_memory (cg_v1_path (cg, "memory"), r->memory, err) < 0)
    return -1;
  if (r->cpu && cg_v1_path (cg, "cpu") && set_cpu (cg, cg_v1_path (cg, "cpu"), r->cpu, update, err) < 0)
    return -1;
  if (r->pids && r->pids->has_limit && r->pids->limit)
    {
      if (need (cg, "pids", "linux.resources.pids.limit", err) < 0)
        return -1;
      p = cg_v1_path (cg, "pids");
      if (r->pids->limit < 0)
        {
          if (cg_write (p, "pids.max", "max", "linux.resources.pids.limit", err) < 0)
            return -1;
        }
      else if (cg_writef (p, "pids.max", "linux.resources.pids.limit", err, "%" PRId64, r->pids->limit) < 0)
        return -1;
    }
  if (r->block_io && cg_v1_path (cg, "blkio") && set_blkio (cg_v1_path (cg, "blkio"), r->block_io, err) < 0)
    return -1;
  for (i = 0; i < r->hugepage_limits_len; i++)
    {
      const struct oci_hugepage_limit *h = r->hugepage_limits[i];
      _cleanup_free_ char *f = xasprintf ("linux.resources.hugepageLimits[%zu] (%s)", i, h->page_size);
      _cleanup_free_ char *file = xasprintf ("hugetlb.%s.limit_in_bytes", h->page_size);
      _cleanup_free_ char *rsvd = xasprintf ("hugetlb.%s.rsvd.limit_in_bytes", h->page_size);
      if (need (cg, "hugetlb", f, err) < 0)
        return -1;
      p = cg_v1_path (cg, "hugetlb");
      if (strchr (h->page_size, '/') || ! cg_file_exists (p, file))
        return brig_error_set (err, EINVAL, "%s: page size not supported by this kernel", f);
      if (cg_writef (p, file, f, err, "%" PRIu64, h->limit) < 0)
        return -1;
      if (cg_file_exists (p, rsvd) && cg_writef (p, rsvd, f, err, "%" PRIu64, h->limit) < 0)
        return -1;
    }
  if (r->network)
    {
      if (r->network->has_class_id)
        {
          if (need (cg, "net_cls", "linux.resources.network.classID", err) < 0
              || cg_writef (cg_v1_path (cg, "net_cls"), "net_cls.classid", "linux.resources.network.classID", err,
                            "%u", r->network->class_id)
                     < 0)
            return -1;
        }
      for (i = 0; i < r->network->priorities_len; i++)
        {
          const struct oci_net_priority *np = r->network->priorities[i];
          _cleanup_free_ char *f = xasprintf ("linux.resources.network.priorities[%zu]", i);
          if (need (cg, "net_prio", f, err) < 0
              || cg_writef (cg_v1_path (cg, "net_prio"), "net_prio.ifpriomap", f, err, "%s %u", np->name,
                            np->priority)
                     < 0)
            return -1;
        }
    }
  if (r->rdma.len)
    {
      if (need (cg, "rdma", "linux.resources.rdma", err) < 0 || cg_rdma_set (cg_v1_path (cg, "rdma"), &r->rdma, err) < 0)
        return -1;
    }
  if (r->unified.len)
    {
      if (cg->unified == NULL)
        return brig_error_set (err, ENOTSUP, "linux.resources.unified: not supported on cgroup v1");
      if (cg_unified_set (cg->unified->path, &r->unified, err) < 0)
        return -1;
    }
  return 0;
}

/* ---- freezer ---- */

int
cg_v1_freeze (const char *dir, bool freeze, struct brig_error **err)
{
  int i, r;
  if (! freeze)
    {
      r = cg_try_write (dir, "freezer.state", "THAWED");
      if (r < 0)
        return brig_error_set (err, -r, "resume: write %s/freezer.state", dir);
      return 0;
    }
  /* runc's loop: FREEZING may need retries while tasks fork */
  for (i = 0; i < 1000; i++)
    {
      _cleanup_free_ char *st = NULL;
      if (i % 50 == 49)
        {
          cg_try_write (dir, "freezer.state", "THAWED");
          cg_sleep_ms (10);
        }
      r = cg_try_write (dir, "freezer.state", "FROZEN");
      if (r < 0)
        return brig_error_set (err, -r, "pause: write %s/freezer.state", dir);
      if (i % 25 == 24)
        cg_sleep_ms (1);
      st = cg_read (dir, "freezer.state");
      if (st == NULL)
        return brig_error_set (err, errno, "pause: read %s/freezer.state", dir);
      if (strcmp (st, "FROZEN") == 0)
        return 0;
      if (strcmp (st, "FREEZING") != 0)
        return brig_error_set (err, EIO, "pause: unexpected freezer state `%s`", st);
    }
  cg_try_write (dir, "freezer.state", "THAWED");
  return brig_error_set (err, ETIMEDOUT, "pause: unable to freeze `%s`", dir);
}

int
cg_v1_is_frozen (const char *dir, bool *frozen, struct brig_error **err)
{
  _cleanup_free_ char *st = cg_read (dir, "freezer.state");
  if (st == NULL)
    return brig_error_set (err, errno, "read %s/freezer.state", dir);
  *frozen = strcmp (st, "FROZEN") == 0 || strcmp (st, "FREEZING") == 0;
  return 0;
}

/* ---- stats ---- */

static void
mem_entry (struct cg_json *j, const char *key, const char *dir, const char *prefix)
{
  char f[96];
  uint64_t limit = 0, usage = 0, max = 0, fail = 0;
  if (dir)
    {
      snprintf (f, sizeof (f), "%s.limit_in_bytes", prefix);
      cg_read_u64 (dir, f, &limit);
      snprintf (f, sizeof (f), "%s.usage_in_bytes", prefix);
      cg_read_u64 (dir, f, &usage);
      snprintf (f, sizeof (f), "%s.max_usage_in_bytes", prefix);
      cg_read_u64 (dir, f, &max);
      snprintf (f, sizeof (f), "%s.failcnt", prefix);
      cg_read_u64 (dir, f, &fail);
    }
  cg_json_open (j, key);
  cg_json_u64 (j, "limit", limit);
  cg_json_u64_nz (j, "usage", usage);
  cg_json_u64_nz (j, "max", max);
  cg_json_u64 (j, "failcnt", fail);
  cg_json_close (j);
}

static void
u64_list (struct cg_json *j, const char *key, const char *s)
{
  _cleanup_free_ char *c = s ? xstrdup (s) : NULL;
  char *tok, *save = NULL;
  bool opened = false;
  for (tok = c ? strtok_r (c, " \n", &save) : NULL; tok; tok = strtok_r (NULL, " \n", &save))
    {
      uint64_t v;
      if (brig_parse_u64 (tok, &v) < 0)
        continue;
      if (! opened)
        {
          cg_json_open_arr (j, key);
          opened = true;
        }
      cg_json_u64 (j, NULL, v);
    }
  if (opened)
    cg_json_close_arr (j);
}

static bool
blkio_table (struct cg_json *j, const char *key, const char *dir, const char *file, bool only_if_data)
{
  _cleanup_free_ char *s = cg_read (dir, file);
  char *line, *save = NULL;
  bool opened = false, data = false;
  if (s == NULL)
    return false;
  if (only_if_data)
    {
      _cleanup_free_ char *c = xstrdup (s);
      for (line = strtok_r (c, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        if (strncmp (line, "Total", 5) != 0)
          data = true;
      if (! data)
        return false;
      save = NULL;
    }
  for (line = strtok_r (s, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long long maj, min, v;
      char op[32];
      if (sscanf (line, "%llu:%llu %31s %llu", &maj, &min, op, &v) != 4)
        continue;
      if (! opened)
        {
          cg_json_open_arr (j, key);
          opened = true;
        }
      cg_json_open (j, NULL);
      cg_json_u64_nz (j, "major", maj);
      cg_json_u64_nz (j, "minor", min);
      cg_json_str (j, "op", op);
      cg_json_u64_nz (j, "value", v);
      cg_json_close (j);
    }
  if (opened)
    cg_json_close_arr (j);
  return true;
}

int
cg_v1_stats (struct brig_cgroup *cg, void *jv)
{
  struct cg_json *j = jv;
  const char *acct = cg_v1_path (cg, "cpuacct"), *cpu = cg_v1_path (cg, "cpu"), *mem = cg_v1_path (cg, "memory");
  const char *pids = cg_v1_path (cg, "pids"), *blk = cg_v1_path (cg, "blkio"), *hug = cg_v1_path (cg, "hugetlb");
  const char *cs = cg_v1_path (cg, "cpuset");
  uint64_t v;
  long tck = sysconf (_SC_CLK_TCK);

  if (tck <= 0)
    tck = 100;
  if (cg->n_hier == 0 || access (cg->hier[0].path, F_OK) < 0)
    return -1;

  cg_json_open (j, "cpu");
  cg_json_open (j, "usage");
  if (acct)
    {
      _cleanup_free_ char *percpu = cg_read (acct, "cpuacct.usage_percpu");
      _cleanup_free_ char *all = cg_read (acct, "cpuacct.usage_all");
      uint64_t user = 0, sys = 0;
      if (cg_read_u64 (acct, "cpuacct.usage", &v) == 0)
        cg_json_u64_nz (j, "total", v);
      u64_list (j, "percpu", percpu);
      if (all)
        {
          /* "cpu user system" header, then one line per cpu */
          _cleanup_free_ uint64_t *k = NULL, *u = NULL;
          size_t n = 0, cap = 0;
          char *line, *save = NULL;
          bool first = true;
          for (line = strtok_r (all, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
            {
              unsigned long long c, us, sy;
              if (first)
                {
                  first = false;
                  continue;
                }
              if (sscanf (line, "%llu %llu %llu", &c, &us, &sy) != 3)
                continue;
              if (n == cap)
                {
                  cap = cap ? cap * 2 : 16;
                  k = xrealloc (k, cap * sizeof (*k));
                  u = xrealloc (u, cap * sizeof (*u));
                }
              k[n] = sy;
              u[n++] = us;
            }
          if (n)
            {
              cg_json_open_arr (j, "percpu_kernel");
              for (size_t i = 0; i < n; i++)
                cg_json_u64 (j, NULL, k[i]);
              cg_json_close_arr (j);
              cg_json_open_arr (j, "percpu_user");
              for (size_t i = 0; i < n; i++)
                cg_json_u64 (j, NULL, u[i]);
              cg_json_close_arr (j);
            }
        }
      cg_read_keyed (acct, "cpuacct.stat", "user", &user);
      cg_read_keyed (acct, "cpuacct.stat", "system", &sys);
      cg_json_u64 (j, "kernel", sys * (1000000000ULL / (uint64_t) tck));
      cg_json_u64 (j, "user", user * (1000000000ULL / (uint64_t) tck));
    }
  else
    {
      cg_json_u64 (j, "kernel", 0);
      cg_json_u64 (j, "user", 0);
    }
  cg_json_close (j);
  cg_json_open (j, "throttling");
  if (cpu)
    {
      if (cg_read_keyed (cpu, "cpu.stat", "nr_periods", &v) == 0)
        cg_json_u64_nz (j, "periods", v);
      if (cg_read_keyed (cpu, "cpu.stat", "nr_throttled", &v) == 0)
        cg_json_u64_nz (j, "throttledPeriods", v);
      if (cg_read_keyed (cpu, "cpu.stat", "throttled_time", &v) == 0)
        cg_json_u64_nz (j, "throttledTime", v);
    }
  cg_json_close (j);
  cg_json_close (j);

  cg_json_open (j, "cpuset");
  if (cs)
    {
      _cleanup_free_ char *cpus = cg_read (cs, "cpuset.cpus");
      _cleanup_free_ char *mems = cg_read (cs, "cpuset.mems");
      static const char *const keys[][2]
          = { { "cpu_exclusive", "cpuset.cpu_exclusive" },           { "mem_hardwall", "cpuset.mem_hardwall" },
              { "mem_exclusive", "cpuset.mem_exclusive" },           { "memory_migrate", "cpuset.memory_migrate" },
              { "memory_spread_page", "cpuset.memory_spread_page" }, { "memory_spread_slab", "cpuset.memory_spread_slab" },
              { "memory_pressure", "cpuset.memory_pressure" },       { "sched_load_balance", "cpuset.sched_load_balance" } };
      _cleanup_free_ char *rdl = cg_read (cs, "cpuset.sched_relax_domain_level");
      cg_json_list_u16 (j, "cpus", cpus);
      cg_json_list_u16 (j, "mems", mems);
      for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
        {
          v = 0;
          cg_read_u64 (cs, keys[i][1], &v);
          cg_json_u64 (j, keys[i][0], v);
        }
      cg_json_i64 (j, "sched_relax_domain_level", rdl ? strtoll (rdl, NULL, 10) : 0);
    }
  else
    cg_json_cpuset_tail (j);
  cg_json_close (j);

  cg_json_open (j, "memory");
  if (mem && cg_read_keyed (mem, "memory.stat", "cache", &v) == 0)
    cg_json_u64_nz (j, "cache", v);
  mem_entry (j, "usage", mem, "memory");
  mem_entry (j, "swap", mem, "memory.memsw");
  mem_entry (j, "kernel", mem, "memory.kmem");
  mem_entry (j, "kernelTCP", mem, "memory.kmem.tcp");
  if (mem)
    cg_json_keyed_file (j, "raw", mem, "memory.stat");
  cg_json_close (j);

  cg_json_open (j, "pids");
  if (pids)
    {
      _cleanup_free_ char *mx = cg_read (pids, "pids.max");
      if (cg_read_u64 (pids, "pids.current", &v) == 0)
        cg_json_u64_nz (j, "current", v);
      if (mx && strcmp (mx, "max") != 0 && brig_parse_u64 (mx, &v) == 0)
        cg_json_u64_nz (j, "limit", v);
    }
  cg_json_close (j);

  cg_json_open (j, "blkio");
  if (blk)
    {
      /* CFQ, then BFQ, then throttling statistics (runc's order) */
      if (! blkio_table (j, "ioServiceBytesRecursive", blk, "blkio.io_service_bytes_recursive", true)
          && ! blkio_table (j, "ioServiceBytesRecursive", blk, "blkio.bfq.io_service_bytes_recursive", true))
        blkio_table (j, "ioServiceBytesRecursive", blk, "blkio.throttle.io_service_bytes_recursive", false);
      if (! blkio_table (j, "ioServicedRecursive", blk, "blkio.io_serviced_recursive", true)
          && ! blkio_table (j, "ioServicedRecursive", blk, "blkio.bfq.io_serviced_recursive", true))
        blkio_table (j, "ioServicedRecursive", blk, "blkio.throttle.io_serviced_recursive", false);
    }
  cg_json_close (j);

  cg_json_open (j, "hugetlb");
  if (hug)
    {
      DIR *d = opendir (hug);
      struct dirent *de;
      while (d && (de = readdir (d)))
        {
          char size[32], f[96];
          uint64_t usage = 0, max = 0, fail = 0;
          if (sscanf (de->d_name, "hugetlb.%31[^.].usage_in_bytes", size) != 1
              || strstr (de->d_name, ".rsvd.") != NULL)
            continue;
          snprintf (f, sizeof (f), "hugetlb.%s.usage_in_bytes", size);
          if (strcmp (f, de->d_name) != 0)
            continue;
          cg_read_u64 (hug, f, &usage);
          snprintf (f, sizeof (f), "hugetlb.%s.max_usage_in_bytes", size);
          cg_read_u64 (hug, f, &max);
          snprintf (f, sizeof (f), "hugetlb.%s.failcnt", size);
          cg_read_u64 (hug, f, &fail);
          cg_json_open (j, size);
          cg_json_u64_nz (j, "usage", usage);
          cg_json_u64_nz (j, "max", max);
          cg_json_u64 (j, "failcnt", fail);
          cg_json_close (j);
        }
      if (d)
        closedir (d);
    }
  cg_json_close (j);
  return 0;
}
