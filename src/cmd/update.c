#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cmd.h"
#include "state.h"
#include "utils.h"

enum
{
  U_RES = 'r',
  U_MEM = 256,
  U_MEMSWAP,
  U_MEMRES,
  U_KMEM,
  U_KMEMTCP,
  U_SHARES,
  U_QUOTA,
  U_PERIOD,
  U_BURST,
  U_RTPERIOD,
  U_RTRUNTIME,
  U_CPUS,
  U_MEMS,
  U_PIDS,
  U_BLKIO,
  U_IDLE,
  U_L3,
  U_MEMBW,
};

/* "-1", "max" and plain numbers (bytes; runc also takes k/m/g suffixes) */
static int
parse_size (const char *s, int64_t *out)
{
  char *end;
  long long v;
  if (strcmp (s, "max") == 0 || strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno || end == s || v < 0)
    return -1;
  switch (*end)
    {
    case 'k': case 'K': v <<= 10; end++; break;
    case 'm': case 'M': v <<= 20; end++; break;
    case 'g': case 'G': v <<= 30; end++; break;
    default: break;
    }
  if (*end == 'b' || *end == 'B')
    end++;
  if (*end)
    return -1;
  *out = v;
  return 0;
}

int
cmd_update (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  static const struct option o[] = {
    { "resources", required_argument, NULL, U_RES },
    { "memory", required_argument, NULL, U_MEM },
    { "memory-swap", required_argument, NULL, U_MEMSWAP },
    { "memory-reservation", required_argument, NULL, U_MEMRES },
    { "kernel-memory", required_argument, NULL, U_KMEM },
    { "kernel-memory-tcp", required_argument, NULL, U_KMEMTCP },
    { "cpu-share", required_argument, NULL, U_SHARES },
    { "cpu-quota", required_argument, NULL, U_QUOTA },
    { "cpu-period", required_argument, NULL, U_PERIOD },
    { "cpu-burst", required_argument, NULL, U_BURST },
    { "cpu-rt-period", required_argument, NULL, U_RTPERIOD },
    { "cpu-rt-runtime", required_argument, NULL, U_RTRUNTIME },
    { "cpuset-cpus", required_argument, NULL, U_CPUS },
    { "cpuset-mems", required_argument, NULL, U_MEMS },
    { "pids-limit", required_argument, NULL, U_PIDS },
    { "blkio-weight", required_argument, NULL, U_BLKIO },
    { "cpu-idle", required_argument, NULL, U_IDLE },
    { "l3-cache-schema", required_argument, NULL, U_L3 },
    { "mem-bw-schema", required_argument, NULL, U_MEMBW },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  static const char *const h[] = {
    "resources JSON file (linux.resources), - for stdin", "memory limit", "memory+swap limit",
    "memory reservation (soft limit)", "kernel memory limit (v1)", "kernel TCP memory limit (v1)",
    "CPU shares", "CPU CFS quota", "CPU CFS period", "CPU burst", "CPU realtime period",
    "CPU realtime runtime", "CPUs (cpuset)", "memory nodes (cpuset)", "maximum number of pids",
    "blkio weight", "cpu idle (0 or 1)", "Intel RDT L3 schema", "Intel RDT memory bandwidth schema", "this help",
  };
  struct oci_resources *r = NULL;
  struct oci_memory mem = { 0 };
  struct oci_cpu cpu = { 0 };
  struct oci_pids pids = { 0 };
  struct oci_block_io bio = { 0 };
  bool flags = false;
  _cleanup_close_ int dirfd = -1;
  struct brig_state *st = NULL;
  struct brig_cgroup *cg = NULL;
  int c, ret = 1;
  int64_t v;

#define U64_FLAG(s, m)                                                                                       \
  do                                                                                                         \
    {                                                                                                        \
      uint64_t u;                                                                                            \
      if (brig_parse_u64 (optarg, &u) < 0)                                                                   \
        return brig_error_set (err, 0, "update: invalid value `%s`", optarg), 1;                            \
      s.m = u;                                                                                               \
      s.has_##m = true;                                                                                      \
      flags = true;                                                                                          \
    }                                                                                                        \
  while (0)
#define I64_FLAG(s, m)                                                                                       \
  do                                                                                                         \
    {                                                                                                        \
      if (brig_parse_i64 (optarg, &v) < 0)                                                                   \
        return brig_error_set (err, 0, "update: invalid value `%s`", optarg), 1;                            \
      s.m = v;                                                                                               \
      s.has_##m = true;                                                                                      \
      flags = true;                                                                                          \
    }                                                                                                        \
  while (0)
#define MEM_FLAG(m)                                                                                          \
  do                                                                                                         \
    {                                                                                                        \
      if (parse_size (optarg, &v) < 0)                                                                       \
        return brig_error_set (err, 0, "update: invalid size `%s`", optarg), 1;                             \
      mem.m = v;                                                                                             \
      mem.has_##m = true;                                                                                    \
      flags = true;                                                                                          \
    }                                                                                                        \
  while (0)

  while ((c = getopt_long (argc, argv, "+r:h", o, NULL)) != -1)
    switch (c)
      {
      case U_RES:
        {
          _cleanup_free_ char *buf = NULL;
          _cleanup_free_ char *perr = NULL;
          size_t len;
          struct brig_error *rerr = NULL;
          int rr = strcmp (optarg, "-") == 0 ? brig_read_fd (0, &buf, &len, 16 << 20, &rerr)
                                              : brig_read_file (optarg, &buf, &len, 16 << 20, &rerr);
          if (rr < 0)
            {
              brig_error_move (err, &rerr);
              return brig_error_prefix (err, "update: --resources"), 1;
            }
          r = ocispec_parse (&oci_resources_type, buf, len, &perr);
          if (r == NULL)
            return brig_error_set (err, 0, "update: --resources: %s", perr), 1;
          break;
        }
      case U_MEM: MEM_FLAG (limit); break;
      case U_MEMSWAP: MEM_FLAG (swap); break;
      case U_MEMRES: MEM_FLAG (reservation); break;
      case U_KMEM: MEM_FLAG (kernel); break;
      case U_KMEMTCP: MEM_FLAG (kernel_tcp); break;
      case U_SHARES: U64_FLAG (cpu, shares); break;
      case U_QUOTA: I64_FLAG (cpu, quota); break;
      case U_PERIOD: U64_FLAG (cpu, period); break;
      case U_BURST: U64_FLAG (cpu, burst); break;
      case U_RTPERIOD: U64_FLAG (cpu, realtime_period); break;
      case U_RTRUNTIME: I64_FLAG (cpu, realtime_runtime); break;
      case U_IDLE: I64_FLAG (cpu, idle); break;
      case U_CPUS: cpu.cpus = optarg; flags = true; break;
      case U_MEMS: cpu.mems = optarg; flags = true; break;
      case U_PIDS: I64_FLAG (pids, limit); break;
      case U_BLKIO:
        {
          uint32_t w;
          if (brig_parse_u32 (optarg, &w) < 0)
            return brig_error_set (err, 0, "update: --blkio-weight: invalid value `%s`", optarg), 1;
          bio.weight = w;
          bio.has_weight = true;
          flags = true;
          break;
        }
      case U_L3:
      case U_MEMBW:
        return brig_error_set (err, ENOTSUP, "update: Intel RDT is not supported by this build"), 1;
      case 'h':
        brig_cmd_help ("update", o, h);
        exit (0);
      default:
        return brig_error_set (err, 0, "update: unknown option `%s`", argv[optind - 1]), 1;
      }
  if (brig_cmd_args (argc, argv, 1, "update", err) < 0)
    goto out;
  if (r == NULL)
    r = xcalloc (1, sizeof (*r));
  if (flags)
    {
      /* flags win over the file; they point into stack structs, so the
         file's own sub-objects are swapped out and freed at the end */
      if (mem.has_limit || mem.has_swap || mem.has_reservation || mem.has_kernel || mem.has_kernel_tcp)
        {
          if (r->memory == NULL)
            r->memory = xcalloc (1, sizeof (*r->memory));
          if (mem.has_limit) r->memory->limit = mem.limit, r->memory->has_limit = true;
          if (mem.has_swap) r->memory->swap = mem.swap, r->memory->has_swap = true;
          if (mem.has_reservation) r->memory->reservation = mem.reservation, r->memory->has_reservation = true;
          if (mem.has_kernel) r->memory->kernel = mem.kernel, r->memory->has_kernel = true;
          if (mem.has_kernel_tcp) r->memory->kernel_tcp = mem.kernel_tcp, r->memory->has_kernel_tcp = true;
        }
      if (cpu.has_shares || cpu.has_quota || cpu.has_period || cpu.has_burst || cpu.has_realtime_period
          || cpu.has_realtime_runtime || cpu.has_idle || cpu.cpus || cpu.mems)
        {
          if (r->cpu == NULL)
            r->cpu = xcalloc (1, sizeof (*r->cpu));
          if (cpu.has_shares) r->cpu->shares = cpu.shares, r->cpu->has_shares = true;
          if (cpu.has_quota) r->cpu->quota = cpu.quota, r->cpu->has_quota = true;
          if (cpu.has_period) r->cpu->period = cpu.period, r->cpu->has_period = true;
          if (cpu.has_burst) r->cpu->burst = cpu.burst, r->cpu->has_burst = true;
          if (cpu.has_realtime_period) r->cpu->realtime_period = cpu.realtime_period, r->cpu->has_realtime_period = true;
          if (cpu.has_realtime_runtime) r->cpu->realtime_runtime = cpu.realtime_runtime, r->cpu->has_realtime_runtime = true;
          if (cpu.has_idle) r->cpu->idle = cpu.idle, r->cpu->has_idle = true;
          if (cpu.cpus) free (r->cpu->cpus), r->cpu->cpus = xstrdup (cpu.cpus);
          if (cpu.mems) free (r->cpu->mems), r->cpu->mems = xstrdup (cpu.mems);
        }
      if (pids.has_limit)
        {
          if (r->pids == NULL)
            r->pids = xcalloc (1, sizeof (*r->pids));
          r->pids->limit = pids.limit;
          r->pids->has_limit = true;
        }
      if (bio.has_weight)
        {
          if (r->block_io == NULL)
            r->block_io = xcalloc (1, sizeof (*r->block_io));
          r->block_io->weight = bio.weight;
          r->block_io->has_weight = true;
        }
    }
  if (brig_container_load (g, argv[optind], &dirfd, &st, err) < 0)
    goto out;
  if (brig_state_status (dirfd, st) == BRIG_STOPPED)
    {
      brig_error_set (err, 0, "update `%s`: container not running", st->id);
      goto out;
    }
  if (brig_cgroup_load (st, &cg, err) < 0)
    goto out;
  if (cg == NULL)
    {
      brig_error_set (err, 0, "update `%s`: the container has no cgroup", st->id);
      goto out;
    }
  if (brig_cgroup_update (cg, r, err) == 0)
    ret = 0;
out:
  if (cg)
    brig_cgroup_free (cg);
  if (st)
    ocispec_free (&brig_state_type, st);
  if (r)
    ocispec_free (&oci_resources_type, r);
  return ret;
}
