/* The systemd cgroup driver: a transient scope started over D-Bus with
 * sd-bus, which is loaded with dlopen ("libsystemd.so.0") the first time a
 * container asks for this driver, so that other containers do not pay for
 * linking it.  <systemd/sd-bus.h> is included for its types only; every
 * function comes from dlsym.
 *
 * cgroupsPath "slice:prefix:name" -> unit "prefix-name.scope" in "slice"
 * (default slice: system.slice, or user.slice of the user's manager when
 * rootless; no cgroupsPath: "brig-<id>.scope"); a name ending in ".slice"
 * makes a slice unit instead (Wants= the parent), as runc does.
 *
 * StartTransientUnit(unit, "replace", properties, []) with
 *   Description, Slice, Delegate=yes, PIDs=[pid], DefaultDependencies=no,
 *   {Memory,CPU,IO|BlockIO,Tasks}Accounting=yes, the resources as systemd
 *   properties (runc's genV2/genV1ResourcesProperties), then the
 *   org.systemd.property.* annotations (GVariant text values; a name
 *   ending in "Sec" becomes "USec" with the value in microseconds),
 * and waits for the job (JobRemoved).  The process is in the scope when
 * enter() returns; then the resources are also written to the cgroup
 * files (as runc's systemd managers do after setting the properties) and
 * the device filter is attached.  destroy() stops the unit (waiting for
 * the job) and resets it if it failed. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup-internal.h"
#include "utils.h"

#ifdef HAVE_SYSTEMD
# include <systemd/sd-bus.h>
#endif

static int
parse_path (struct brig_cgroup *cg, const struct brig_cgroup_config *c, struct brig_error **err)
{
  const char *p = c->cgroups_path;
  _cleanup_free_ char *slice = NULL, *prefix = NULL, *name = NULL, *full = NULL;

  if (p == NULL || p[0] == '\0')
    {
      slice = xstrdup ("");
      prefix = xstrdup ("brig");
      name = xstrdup (cg->id);
    }
  else
    {
      const char *a = strchr (p, ':'), *b = a ? strchr (a + 1, ':') : NULL;
      if (a == NULL || b == NULL || strchr (b + 1, ':'))
        return brig_error_set (err, EINVAL,
                               "linux.cgroupsPath: expected \"slice:prefix:name\" for systemd cgroups, got `%s`", p);
      slice = strndup (p, (size_t) (a - p));
      prefix = strndup (a + 1, (size_t) (b - a - 1));
      name = xstrdup (b + 1);
    }
  if (name[0] == '\0' || strchr (name, '/') || strchr (prefix, '/'))
    return brig_error_set (err, EINVAL, "linux.cgroupsPath: invalid systemd unit name in `%s`", p ? p : "");
  if (slice[0] == '\0')
    {
      free (slice);
      slice = xstrdup (cg->rootless ? "user.slice" : "system.slice");
    }
  if (cg_sd_expand_slice (slice, &full, err) < 0)
    return -1;
  if (strlen (name) > 6 && strcmp (name + strlen (name) - 6, ".slice") == 0)
    cg->unit = xstrdup (name);
  else if (prefix[0])
    cg->unit = xasprintf ("%s-%s.scope", prefix, name);
  else
    cg->unit = xasprintf ("%s.scope", name);
  cg->slice = steal_pointer (&slice);
  cg->slice_path = steal_pointer (&full);
  return 0;
}

/* test-a-b.slice -> /test.slice/test-a.slice/test-a-b.slice; -.slice -> "" */
int
cg_sd_expand_slice (const char *slice, char **out, struct brig_error **err)
{
  size_t l = strlen (slice);
  _cleanup_free_ char *base = NULL, *path = NULL, *prefix = NULL;
  char *tok, *save = NULL;

  if (l <= 6 || strcmp (slice + l - 6, ".slice") != 0 || strchr (slice, '/'))
    return brig_error_set (err, EINVAL, "linux.cgroupsPath: invalid slice name `%s`", slice);
  base = strndup (slice, l - 6);
  if (strcmp (base, "-") == 0)
    {
      *out = xstrdup ("");
      return 0;
    }
  if (base[0] == '-' || base[strlen (base) - 1] == '-' || strstr (base, "--"))
    return brig_error_set (err, EINVAL, "linux.cgroupsPath: invalid slice name `%s`", slice);
  path = xstrdup ("");
  prefix = xstrdup ("");
  for (tok = strtok_r (base, "-", &save); tok; tok = strtok_r (NULL, "-", &save))
    {
      char *np = xasprintf ("%s/%s%s.slice", path, prefix, tok);
      char *npre = xasprintf ("%s%s-", prefix, tok);
      free (path);
      free (prefix);
      path = np;
      prefix = npre;
    }
  *out = steal_pointer (&path);
  return 0;
}

int
cg_sd_prepare (struct brig_cgroup *cg, const struct brig_cgroup_config *c, struct brig_error **err)
{
#ifndef HAVE_SYSTEMD
  (void) c;
  (void) cg;
  (void) parse_path;
  return brig_error_set (err, ENOTSUP, "--systemd-cgroup: brig was built without systemd support");
#else
  static const char pfx[] = "org.systemd.property.";
  size_t i;

  if (access ("/run/systemd/system", F_OK) < 0 && ! c->rootless)
    return brig_error_set (err, ENOTSUP, "--systemd-cgroup: systemd is not running on this host "
                                         "(/run/systemd/system does not exist)");
  if (parse_path (cg, c, err) < 0)
    return -1;
  if (cg_discover (cg, err) < 0)
    return -1;
  if (c->resources)
    {
      size_t len = 0;
      char *perr = NULL;
      _cleanup_free_ char *js = ocispec_print (&oci_resources_type, c->resources, false, &len);
      cg->pending = ocispec_parse (&oci_resources_type, js, len, &perr);
      if (cg->pending == NULL)
        {
          brig_error_set (err, EINVAL, "linux.resources: %s", perr ? perr : "copy failed");
          free (perr);
          return -1;
        }
    }
  if (c->annotations)
    for (i = 0; i < c->annotations->len; i++)
      {
        const char *k = c->annotations->keys[i];
        const char *name = k + sizeof (pfx) - 1;
        size_t j;
        if (strncmp (k, pfx, sizeof (pfx) - 1) != 0)
          continue;
        if (strlen (name) < 3)
          return brig_error_set (err, EINVAL, "annotations: `%s`: property name too short", k);
        for (j = 0; name[j]; j++)
          if (! ((name[j] >= 'a' && name[j] <= 'z') || (name[j] >= 'A' && name[j] <= 'Z')))
            return brig_error_set (err, EINVAL, "annotations: `%s`: property name has a non-letter", k);
        ocispec_strmap_set (&cg->props, name, c->annotations->values[i] ? c->annotations->values[i] : "");
      }
  return 0;
#endif
}

#ifndef HAVE_SYSTEMD

int
cg_sd_start (struct brig_cgroup *cg, pid_t pid, struct brig_error **err)
{
  (void) cg;
  (void) pid;
  return brig_error_set (err, ENOTSUP, "systemd support not built");
}
int
cg_sd_update (struct brig_cgroup *cg, const struct oci_resources *r, struct brig_error **err)
{
  (void) cg;
  (void) r;
  return brig_error_set (err, ENOTSUP, "systemd support not built");
}
int
cg_sd_stop (struct brig_cgroup *cg, struct brig_error **err)
{
  (void) cg;
  return brig_error_set (err, ENOTSUP, "systemd support not built");
}

#else /* HAVE_SYSTEMD */

/* ---- libsystemd, loaded on demand ---- */

static struct
{
  bool loaded;
  void *h;
  int (*open_system) (sd_bus **);
  int (*open_user) (sd_bus **);
  sd_bus *(*flush_close_unref) (sd_bus *);
  int (*new_method_call) (sd_bus *, sd_bus_message **, const char *, const char *, const char *, const char *);
  int (*append) (sd_bus_message *, const char *, ...);
  int (*append_basic) (sd_bus_message *, char, const void *);
  int (*append_array) (sd_bus_message *, char, const void *, size_t);
  int (*open_container) (sd_bus_message *, char, const char *);
  int (*close_container) (sd_bus_message *);
  int (*call) (sd_bus *, sd_bus_message *, uint64_t, sd_bus_error *, sd_bus_message **);
  int (*read) (sd_bus_message *, const char *, ...);
  sd_bus_message *(*message_unref) (sd_bus_message *);
  void (*error_free) (sd_bus_error *);
  int (*error_has_name) (const sd_bus_error *, const char *);
  int (*match_signal) (sd_bus *, sd_bus_slot **, const char *, const char *, const char *, const char *,
                       sd_bus_message_handler_t, void *);
  int (*process) (sd_bus *, sd_bus_message **);
  int (*wait) (sd_bus *, uint64_t);
  sd_bus_slot *(*slot_unref) (sd_bus_slot *);
  int (*get_property_string) (sd_bus *, const char *, const char *, const char *, const char *, sd_bus_error *,
                              char **);
  /* libsystemd's strings come from the malloc of the libc it was linked
     with: a static brig has its own, so they go back through this one */
  void (*free) (void *);
} sd;

static int
sd_load (struct brig_error **err)
{
  void *h;
  if (sd.loaded)
    return 0;
  h = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return brig_error_set (err, ENOENT, "systemd cgroup driver: cannot load libsystemd.so.0: %s", dlerror ());
#define SYM(field, name)                                                                                   \
  do                                                                                                       \
    {                                                                                                      \
      *(void **) (&sd.field) = dlsym (h, name);                                                            \
      if (sd.field == NULL)                                                                                \
        {                                                                                                  \
          dlclose (h);                                                                                     \
          return brig_error_set (err, ENOENT, "systemd cgroup driver: libsystemd.so.0 has no %s", name); \
        }                                                                                                  \
    }                                                                                                      \
  while (0)
  SYM (open_system, "sd_bus_open_system");
  SYM (open_user, "sd_bus_open_user");
  SYM (flush_close_unref, "sd_bus_flush_close_unref");
  SYM (new_method_call, "sd_bus_message_new_method_call");
  SYM (append, "sd_bus_message_append");
  SYM (append_basic, "sd_bus_message_append_basic");
  SYM (append_array, "sd_bus_message_append_array");
  SYM (open_container, "sd_bus_message_open_container");
  SYM (close_container, "sd_bus_message_close_container");
  SYM (call, "sd_bus_call");
  SYM (read, "sd_bus_message_read");
  SYM (message_unref, "sd_bus_message_unref");
  SYM (error_free, "sd_bus_error_free");
  SYM (error_has_name, "sd_bus_error_has_name");
  SYM (match_signal, "sd_bus_match_signal");
  SYM (process, "sd_bus_process");
  SYM (wait, "sd_bus_wait");
  SYM (slot_unref, "sd_bus_slot_unref");
  SYM (get_property_string, "sd_bus_get_property_string");
  SYM (free, "free");
#undef SYM
  sd.h = h;
  sd.loaded = true;
  return 0;
}

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MGR "org.freedesktop.systemd1.Manager"

static int
bus_open (bool user, sd_bus **bus, struct brig_error **err)
{
  int r;
  if (sd_load (err) < 0)
    return -1;
  r = user ? sd.open_user (bus) : sd.open_system (bus);
  if (r < 0)
    return brig_error_set (err, -r, "systemd: connect to the %s bus%s", user ? "user" : "system",
                           user ? " (XDG_RUNTIME_DIR / DBUS_SESSION_BUS_ADDRESS)" : "");
  return 0;
}

static void
bus_close (sd_bus **bus)
{
  if (*bus)
    sd.flush_close_unref (*bus);
  *bus = NULL;
}

static int
systemd_version (sd_bus *bus)
{
  sd_bus_error e = SD_BUS_ERROR_NULL;
  char *v = NULL;
  int ver = -1;
  if (sd.get_property_string (bus, SD_DEST, SD_PATH, SD_MGR, "Version", &e, &v) >= 0 && v)
    {
      const char *p = v;
      while (*p == '"' || *p == 'v')
        p++;
      ver = atoi (p);
    }
  sd.free (v);
  sd.error_free (&e);
  return ver;
}

/* ---- properties ---- */

#define CK(x)                                                                     \
  do                                                                              \
    {                                                                             \
      int _r = (x);                                                               \
      if (_r < 0)                                                                 \
        return brig_error_set (err, -_r, "systemd: build the D-Bus message (%s)", #x); \
    }                                                                             \
  while (0)

static int
prop_u64 (sd_bus_message *m, const char *name, uint64_t v, struct brig_error **err)
{
  CK (sd.append (m, "(sv)", name, "t", v));
  return 0;
}

static int
prop_bool (sd_bus_message *m, const char *name, bool v, struct brig_error **err)
{
  CK (sd.append (m, "(sv)", name, "b", (int) v));
  return 0;
}

static int
prop_str (sd_bus_message *m, const char *name, const char *v, struct brig_error **err)
{
  CK (sd.append (m, "(sv)", name, "s", v));
  return 0;
}

static int
prop_bits (sd_bus_message *m, const char *name, const char *list, const char *field, struct brig_error **err)
{
  _cleanup_free_ uint8_t *bits = NULL;
  size_t n = 0;
  if (cg_range_to_bits (list, &bits, &n) < 0)
    return brig_error_set (err, EINVAL, "%s: invalid list `%s`", field, list);
  CK (sd.open_container (m, 'r', "sv"));
  CK (sd.append_basic (m, 's', name));
  CK (sd.open_container (m, 'v', "ay"));
  CK (sd.append_array (m, 'y', bits, n));
  CK (sd.close_container (m));
  CK (sd.close_container (m));
  return 0;
}

/* runc's addCpuQuota: CPUQuotaPerSecUSec rounded up to 10ms (systemd keeps
   whole percents), CPUQuotaPeriodUSec since systemd 242. */
static int
prop_cpu_quota (sd_bus_message *m, int ver, int64_t quota, uint64_t period, struct brig_error **err)
{
  if (period != 0 && ver >= 242 && prop_u64 (m, "CPUQuotaPeriodUSec", period, err) < 0)
    return -1;
  if (quota != 0 || period != 0)
    {
      uint64_t per_sec = UINT64_MAX;
      if (quota > 0)
        {
          if (period == 0)
            period = 100000;
          per_sec = (uint64_t) quota * 1000000 / period;
          if (per_sec % 10000)
            per_sec = (per_sec / 10000 + 1) * 10000;
        }
      if (prop_u64 (m, "CPUQuotaPerSecUSec", per_sec, err) < 0)
        return -1;
    }
  return 0;
}

static int
parse_num_max (const char *v, uint64_t *out)
{
  while (isspace ((unsigned char) *v))
    v++;
  if (strncmp (v, "max", 3) == 0)
    {
      *out = UINT64_MAX;
      return 0;
    }
  return brig_parse_u64 (v, out);
}

static int
resources_props (struct brig_cgroup *cg, sd_bus_message *m, int ver, const struct oci_resources *r,
                 struct brig_error **err)
{
  bool v2 = cg->mode == BRIG_CGROUP_V2;
  const struct oci_memory *mem = r ? r->memory : NULL;
  const struct oci_cpu *cpu = r ? r->cpu : NULL;
  bool idle_set = false;
  size_t i;

  if (r == NULL)
    return 0;
  if (mem)
    {
      int64_t limit = mem->has_limit ? mem->limit : 0;
      if (v2)
        {
          int64_t swap;
          if (mem->has_check_before_update && mem->check_before_update && cg->unified && cg->unified->path
              && limit > 0)
            {
              uint64_t usage;
              /* before systemd applies it (the unit would be OOM-killed) */
              if (cg_read_u64 (cg->unified->path, "memory.current", &usage) == 0 && (uint64_t) limit <= usage)
                return brig_error_set (err, EBUSY,
                                       "linux.resources.memory.limit: rejecting memory limit %" PRId64
                                       " <= usage %" PRIu64 " (checkBeforeUpdate)",
                                       limit, usage);
            }
          if (limit && prop_u64 (m, "MemoryMax", (uint64_t) limit, err) < 0)
            return -1;
          if (mem->has_reservation && mem->reservation
              && prop_u64 (m, "MemoryLow", (uint64_t) mem->reservation, err) < 0)
            return -1;
          if (cg_swap_v2 (mem->has_swap ? mem->swap : 0, limit, &swap, err) < 0)
            return -1;
          if (swap && prop_u64 (m, "MemorySwapMax", (uint64_t) swap, err) < 0)
            return -1;
        }
      else if (limit && prop_u64 (m, "MemoryLimit", (uint64_t) limit, err) < 0)
        return -1;
    }
  if (cpu)
    {
      if (v2 && cpu->has_idle && cpu->idle == 1 && ver >= 252)
        {
          if (prop_u64 (m, "CPUWeight", 0, err) < 0)
            return -1;
          idle_set = true;
        }
      if (cpu->has_shares && cpu->shares && ! idle_set)
        {
          if (v2 ? prop_u64 (m, "CPUWeight", cg_shares_to_weight (cpu->shares), err) < 0
                 : prop_u64 (m, "CPUShares", cpu->shares, err) < 0)
            return -1;
        }
      if (prop_cpu_quota (m, ver, cpu->has_quota ? cpu->quota : 0, cpu->has_period ? cpu->period : 0, err) < 0)
        return -1;
      if (ver >= 244)
        {
          if (cpu->cpus && cpu->cpus[0] && prop_bits (m, "AllowedCPUs", cpu->cpus, "linux.resources.cpu.cpus", err) < 0)
            return -1;
          if (cpu->mems && cpu->mems[0]
              && prop_bits (m, "AllowedMemoryNodes", cpu->mems, "linux.resources.cpu.mems", err) < 0)
            return -1;
        }
    }
  if (! v2 && r->block_io && r->block_io->has_weight && r->block_io->weight
      && prop_u64 (m, "BlockIOWeight", r->block_io->weight, err) < 0)
    return -1;
  if (r->pids && r->pids->has_limit && (r->pids->limit > 0 || r->pids->limit == -1)
      && prop_u64 (m, "TasksMax", (uint64_t) r->pids->limit, err) < 0)
    return -1;
  /* unified -> properties systemd knows (the files are written anyway) */
  for (i = 0; v2 && i < r->unified.len; i++)
    {
      const char *k = r->unified.keys[i], *v = r->unified.values[i] ? r->unified.values[i] : "";
      uint64_t num;
      static const char *const memk[][2] = { { "memory.high", "MemoryHigh" }, { "memory.low", "MemoryLow" },
                                             { "memory.min", "MemoryMin" },   { "memory.max", "MemoryMax" },
                                             { "memory.swap.max", "MemorySwapMax" } };
      bool done = false;
      for (size_t j = 0; j < ARRAY_SIZE (memk); j++)
        if (strcmp (k, memk[j][0]) == 0)
          {
            if (parse_num_max (v, &num) < 0)
              return brig_error_set (err, EINVAL, "linux.resources.unified[%s]: invalid value `%s`", k, v);
            if (prop_u64 (m, memk[j][1], num, err) < 0)
              return -1;
            done = true;
          }
      if (done)
        continue;
      if (strcmp (k, "pids.max") == 0)
        {
          if (parse_num_max (v, &num) < 0)
            return brig_error_set (err, EINVAL, "linux.resources.unified[%s]: invalid value `%s`", k, v);
          if (prop_u64 (m, "TasksMax", num, err) < 0)
            return -1;
        }
      else if (strcmp (k, "cpu.weight") == 0 && ! idle_set)
        {
          if (parse_num_max (v, &num) < 0 || num == UINT64_MAX)
            return brig_error_set (err, EINVAL, "linux.resources.unified[%s]: invalid value `%s`", k, v);
          if (prop_u64 (m, "CPUWeight", num, err) < 0)
            return -1;
        }
      else if (strcmp (k, "cpu.max") == 0)
        {
          char q[32] = "";
          unsigned long long per = 100000;
          int nf = sscanf (v, "%31s %llu", q, &per);
          int64_t quota = 0;
          if (nf < 1)
            return brig_error_set (err, EINVAL, "linux.resources.unified[%s]: invalid value `%s`", k, v);
          if (strcmp (q, "max") != 0 && brig_parse_i64 (q, &quota) < 0)
            return brig_error_set (err, EINVAL, "linux.resources.unified[%s]: invalid quota `%s`", k, q);
          if (prop_cpu_quota (m, ver, quota, per, err) < 0)
            return -1;
        }
      else if ((strcmp (k, "cpuset.cpus") == 0 || strcmp (k, "cpuset.mems") == 0) && ver >= 244)
        {
          if (prop_bits (m, k[7] == 'c' ? "AllowedCPUs" : "AllowedMemoryNodes", v, "linux.resources.unified", err)
              < 0)
            return -1;
        }
    }
  return 0;
}

/* ---- devices (cgroup v1) ---- */

/* The name /proc/devices gives major MAJOR of TYPE ('c' or 'b'): systemd's
   "char-NAME"/"block-NAME" device groups are by name. */
static bool
major_name (char type, int64_t major, char *buf, size_t len)
{
  _cleanup_free_ char *s = cg_read ("/proc/devices", NULL);
  char *line, *save = NULL;
  bool in = false;
  for (line = s ? strtok_r (s, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      long long m;
      char name[64];
      if (strncmp (line, "Character devices:", 18) == 0 || strncmp (line, "Block devices:", 14) == 0)
        in = (line[0] == 'C') == (type == 'c');
      else if (in && sscanf (line, "%lld %63s", &m, name) == 2 && m == major)
        {
          snprintf (buf, len, "%s", name);
          return true;
        }
    }
  return false;
}

/* One DeviceAllow entry for rule D: "/dev/char/1:3", "char-pts", "block-*". */
static bool
device_allow_node (const struct cg_dev_rule *d, char *node, size_t len)
{
  const char *kind = d->type == 'b' ? "block" : "char";
  char name[64];
  if (d->major < 0)
    snprintf (node, len, "%s-*", kind);
  else if (d->minor >= 0)
    snprintf (node, len, "/dev/%s/%" PRId64 ":%" PRId64, kind, d->major, d->minor);
  else if (major_name (d->type, d->major, name, sizeof (name)))
    snprintf (node, len, "%s-%s", kind, name);
  else
    return false;
  return true;
}

static int
append_device_allow (sd_bus_message *m, const struct cg_dev_emu *target, struct brig_error **err)
{
  CK (sd.open_container (m, 'r', "sv"));
  CK (sd.append_basic (m, 's', "DeviceAllow"));
  CK (sd.open_container (m, 'v', "a(ss)"));
  CK (sd.open_container (m, 'a', "(ss)"));
  for (size_t i = 0; i < target->n; i++)
    {
      const struct cg_dev_rule *d = &target->rules[i];
      char node[96], perms[4], *p = perms;
      if (! device_allow_node (d, node, sizeof (node)))
        {
          cg_warn ("systemd: no name in /proc/devices for %s major %" PRId64 ": the rule is not given to systemd",
                   d->type == 'b' ? "block" : "char", d->major);
          continue;
        }
      if (d->perms & CG_DEV_R)
        *p++ = 'r';
      if (d->perms & CG_DEV_W)
        *p++ = 'w';
      if (d->perms & CG_DEV_M)
        *p++ = 'm';
      *p = '\0';
      CK (sd.append (m, "(ss)", node, perms));
    }
  CK (sd.close_container (m));
  CK (sd.close_container (m));
  CK (sd.close_container (m));
  return 0;
}

/* On cgroup v1 systemd writes devices.allow/deny from the unit's
   DevicePolicy/DeviceAllow whenever it re-applies the unit's cgroup
   (SetUnitProperties, daemon-reload); with none set that is "a *:* rwm",
   which would undo the container's rules.  So systemd gets the same allow
   list, as runc does.  A default-allow list with deny exceptions has no
   systemd form: those stay in the files brig writes. */
static int
devices_props (struct brig_cgroup *cg, sd_bus_message *m, const struct oci_resources *r, bool update,
               struct brig_error **err)
{
  _cleanup_free_ struct cg_dev_rule *rules = NULL;
  struct cg_dev_emu target = { 0 };
  size_t n = 0, i;
  int ret = 0;

  if (cg->mode == BRIG_CGROUP_V2 || cg->rootless || (update && ! (r && r->devices_len)))
    return 0;
  if (cg_dev_build_rules (cg, r, &rules, &n, err) < 0)
    return -1;
  for (i = 0; i < n && ret == 0; i++)
    ret = cg_dev_emu_apply (&target, &rules[i], err);
  if (ret == 0)
    ret = prop_str (m, "DevicePolicy", target.default_allow ? "auto" : "strict", err);
  /* an empty DeviceAllow first: systemd appends to the list otherwise */
  if (ret == 0 && sd.append (m, "(sv)", "DeviceAllow", "a(ss)", 0) < 0)
    ret = brig_error_set (err, EINVAL, "systemd: build the DeviceAllow property");
  if (ret == 0 && ! target.default_allow)
    ret = append_device_allow (m, &target, err);
  cg_dev_emu_clear (&target);
  return ret;
}

/* ---- annotations: a subset of the GVariant text format ---- */

static int
append_variant_text (sd_bus_message *m, const char *name, const char *text, struct brig_error **err)
{
  static const struct
  {
    const char *kw;
    char sig;
  } kws[] = { { "byte", 'y' },  { "int16", 'n' },  { "uint16", 'q' }, { "int32", 'i' },   { "uint32", 'u' },
              { "int64", 'x' }, { "uint64", 't' }, { "double", 'd' }, { "boolean", 'b' }, { "objectpath", 'o' } };
  const char *v = text;
  char sig = 0;
  size_t nl = strlen (name);
  bool sec = nl > 3 && strcmp (name + nl - 3, "Sec") == 0 && name[nl - 4] >= 'a' && name[nl - 4] <= 'z';
  _cleanup_free_ char *pname = sec ? xasprintf ("%.*sUSec", (int) (nl - 3), name) : xstrdup (name);

  while (isspace ((unsigned char) *v))
    v++;
  for (size_t i = 0; i < ARRAY_SIZE (kws); i++)
    {
      size_t l = strlen (kws[i].kw);
      if (strncmp (v, kws[i].kw, l) == 0 && isspace ((unsigned char) v[l]))
        {
          sig = kws[i].sig;
          v += l;
          break;
        }
    }
  if (sig == 0 && v[0] == '@' && v[1] && isspace ((unsigned char) v[2]))
    {
      sig = v[1];
      v += 2;
    }
  while (isspace ((unsigned char) *v))
    v++;

  if (sig == 0)
    {
      if (strcmp (v, "true") == 0 || strcmp (v, "false") == 0)
        sig = 'b';
      else if (*v == '\'' || *v == '"')
        sig = 's';
      else if (*v == '[')
        sig = 'A'; /* array of strings */
      else if (strpbrk (v, ".eE"))
        sig = 'd';
      else
        sig = 'i'; /* GVariant's default for an integer */
    }

  if (sec)
    {
      double secs;
      char *end;
      if (sig == 's' || sig == 'b' || sig == 'A' || sig == 'o')
        return brig_error_set (err, EINVAL, "annotations: org.systemd.property.%s: `%s` is not a number of seconds",
                               name, text);
      errno = 0;
      secs = strtod (v, &end);
      if (errno || end == v || secs < 0)
        return brig_error_set (err, EINVAL, "annotations: org.systemd.property.%s: invalid value `%s`", name, text);
      return prop_u64 (m, pname, (uint64_t) (secs * 1e6 + 0.5), err);
    }

  switch (sig)
    {
    case 'b':
      if (strcmp (v, "true") != 0 && strcmp (v, "false") != 0)
        goto bad;
      return prop_bool (m, pname, strcmp (v, "true") == 0, err);
    case 's':
    case 'o':
      {
        char q = *v;
        size_t l = strlen (v);
        _cleanup_free_ char *s = NULL;
        if ((q != '\'' && q != '"') || l < 2 || v[l - 1] != q)
          goto bad;
        s = strndup (v + 1, l - 2);
        CK (sd.append (m, "(sv)", pname, sig == 'o' ? "o" : "s", s));
        return 0;
      }
    case 'A':
      {
        _cleanup_free_ char *copy = xstrdup (v + 1);
        char *p = copy, *end = strrchr (copy, ']');
        if (end == NULL)
          goto bad;
        *end = '\0';
        CK (sd.open_container (m, 'r', "sv"));
        CK (sd.append_basic (m, 's', pname));
        CK (sd.open_container (m, 'v', "as"));
        CK (sd.open_container (m, 'a', "s"));
        while (*p)
          {
            char q, *close;
            while (isspace ((unsigned char) *p) || *p == ',')
              p++;
            if (*p == '\0')
              break;
            q = *p;
            if (q != '\'' && q != '"')
              goto bad;
            close = strchr (p + 1, q);
            if (close == NULL)
              goto bad;
            *close = '\0';
            CK (sd.append_basic (m, 's', p + 1));
            p = close + 1;
          }
        CK (sd.close_container (m));
        CK (sd.close_container (m));
        CK (sd.close_container (m));
        return 0;
      }
    case 'd':
      {
        char *end;
        double d = strtod (v, &end);
        if (end == v || *end)
          goto bad;
        CK (sd.append (m, "(sv)", pname, "d", d));
        return 0;
      }
    case 'y':
    case 'n':
    case 'q':
    case 'i':
    case 'u':
    case 'x':
    case 't':
      {
        char *end;
        char sg[2] = { sig, 0 };
        long long sv = 0;
        unsigned long long uv = 0;
        errno = 0;
        if (sig == 't' || sig == 'u' || sig == 'q' || sig == 'y')
          uv = strtoull (v, &end, 0);
        else
          sv = strtoll (v, &end, 0);
        if (errno || end == v || *end)
          goto bad;
        CK (sd.open_container (m, 'r', "sv"));
        CK (sd.append_basic (m, 's', pname));
        CK (sd.open_container (m, 'v', sg));
        switch (sig)
          {
          case 'y':
            {
              uint8_t x = (uint8_t) uv;
              CK (sd.append_basic (m, 'y', &x));
              break;
            }
          case 'q':
            {
              uint16_t x = (uint16_t) uv;
              CK (sd.append_basic (m, 'q', &x));
              break;
            }
          case 'u':
            {
              uint32_t x = (uint32_t) uv;
              CK (sd.append_basic (m, 'u', &x));
              break;
            }
          case 't':
            {
              uint64_t x = (uint64_t) uv;
              CK (sd.append_basic (m, 't', &x));
              break;
            }
          case 'n':
            {
              int16_t x = (int16_t) sv;
              CK (sd.append_basic (m, 'n', &x));
              break;
            }
          case 'i':
            {
              int32_t x = (int32_t) sv;
              CK (sd.append_basic (m, 'i', &x));
              break;
            }
          default:
            {
              int64_t x = (int64_t) sv;
              CK (sd.append_basic (m, 'x', &x));
              break;
            }
          }
        CK (sd.close_container (m));
        CK (sd.close_container (m));
        return 0;
      }
    default:
      break;
    }
bad:
  return brig_error_set (err, EINVAL, "annotations: org.systemd.property.%s: cannot parse the value `%s`", name, text);
}

/* ---- jobs ---- */

struct job_wait
{
  char *job;
  bool done;
  char *result;
};

static int
on_job_removed (sd_bus_message *m, void *userdata, sd_bus_error *e)
{
  struct job_wait *w = userdata;
  uint32_t id;
  const char *path, *unit, *result;
  (void) e;
  if (sd.read (m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->job && strcmp (w->job, path) == 0)
    {
      w->done = true;
      free (w->result);
      w->result = xstrdup (result);
    }
  return 0;
}

static int
wait_job (sd_bus *bus, struct job_wait *w, const char *what, const char *unit, struct brig_error **err)
{
  struct timespec t0, now;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  while (! w->done)
    {
      int r = sd.process (bus, NULL);
      if (r < 0)
        return brig_error_set (err, -r, "systemd: %s `%s`: wait for the job", what, unit);
      if (r > 0)
        continue;
      clock_gettime (CLOCK_MONOTONIC, &now);
      if (now.tv_sec - t0.tv_sec > 120)
        return brig_error_set (err, ETIMEDOUT, "systemd: %s `%s`: timed out waiting for the job", what, unit);
      r = sd.wait (bus, 1000000);
      if (r < 0)
        return brig_error_set (err, -r, "systemd: %s `%s`: wait for the job", what, unit);
    }
  if (strcmp (w->result, "done") != 0)
    return brig_error_set (err, EIO, "systemd: %s `%s`: job result `%s`", what, unit, w->result);
  return 0;
}

static void
reset_failed (sd_bus *bus, const char *unit)
{
  sd_bus_message *m = NULL, *reply = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  if (sd.new_method_call (bus, &m, SD_DEST, SD_PATH, SD_MGR, "ResetFailedUnit") >= 0
      && sd.append (m, "s", unit) >= 0)
    sd.call (bus, m, 0, &e, &reply);
  sd.error_free (&e);
  if (reply)
    sd.message_unref (reply);
  if (m)
    sd.message_unref (m);
}

/* Call METHOD (StartTransientUnit, StopUnit) built by M and wait for its
   job. */
static int
call_and_wait (sd_bus *bus, sd_bus_message *m, const char *what, const char *unit, bool *no_such_unit,
               struct brig_error **err)
{
  sd_bus_message *reply = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus_slot *slot = NULL;
  struct job_wait w = { 0 };
  const char *job = NULL;
  int r, ret = -1;

  r = sd.match_signal (bus, &slot, SD_DEST, SD_PATH, SD_MGR, "JobRemoved", on_job_removed, &w);
  if (r < 0)
    {
      brig_error_set (err, -r, "systemd: subscribe to JobRemoved");
      goto out;
    }
  r = sd.call (bus, m, 0, &e, &reply);
  if (r < 0)
    {
      if (no_such_unit && sd.error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
        {
          *no_such_unit = true;
          ret = 0;
          goto out;
        }
      brig_error_set (err, -r, "systemd: %s `%s`%s%s", what, unit, e.message ? ": " : "", e.message ? e.message : "");
      if (e.message && err && *err)
        {
          /* the D-Bus message says it all: drop the errno text */
          free ((*err)->msg);
          (*err)->msg = xasprintf ("systemd: %s `%s`: %s", what, unit, e.message);
        }
      goto out;
    }
  r = sd.read (reply, "o", &job);
  if (r < 0)
    {
      brig_error_set (err, -r, "systemd: %s `%s`: read the reply", what, unit);
      goto out;
    }
  w.job = xstrdup (job);
  if (wait_job (bus, &w, what, unit, err) < 0)
    goto out;
  ret = 0;
out:
  sd.error_free (&e);
  if (reply)
    sd.message_unref (reply);
  if (slot)
    sd.slot_unref (slot);
  free (w.job);
  free (w.result);
  return ret;
}

/* where the unit's cgroup is: from the process's /proc/PID/cgroup, or, for
   a slice without processes, from the slice names */
static char *
unit_rel_path (struct brig_cgroup *cg, sd_bus *bus, pid_t pid)
{
  if (pid > 0)
    {
      _cleanup_free_ char *p = xasprintf ("/proc/%d/cgroup", (int) pid);
      _cleanup_free_ char *s = cg_read (p, NULL);
      char *line, *save = NULL;
      const char *want = cg->mode == BRIG_CGROUP_V1 ? ":name=systemd:" : NULL;
      for (line = s ? strtok_r (s, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
        {
          if (want ? strstr (line, want) != NULL : strncmp (line, "0::", 3) == 0)
            {
              char *path = strchr (strchr (line, ':') + 1, ':') + 1;
              size_t ul = strlen (cg->unit), pl = strlen (path);
              if (pl >= ul && strcmp (path + pl - ul, cg->unit) == 0)
                return xstrdup (path);
            }
        }
      return NULL;
    }
  else
    {
      _cleanup_free_ char *unitp = NULL;
      char *base = NULL, *path;
      if (cg->rootless)
        {
          sd_bus_error e = SD_BUS_ERROR_NULL;
          if (sd.get_property_string (bus, SD_DEST, SD_PATH, SD_MGR, "ControlGroup", &e, &base) < 0)
            base = NULL;
          sd.error_free (&e);
        }
      if (cg_sd_expand_slice (cg->unit, &unitp, NULL) < 0)
        path = NULL;
      else
        path = xasprintf ("%s%s", base ? base : "", unitp);
      sd.free (base);
      return path;
    }
}

static int
start_message (struct brig_cgroup *cg, sd_bus *bus, pid_t pid, int ver, sd_bus_message **out, struct brig_error **err)
{
  sd_bus_message *m = NULL;
  bool slice_unit = strlen (cg->unit) > 6 && strcmp (cg->unit + strlen (cg->unit) - 6, ".slice") == 0;
  _cleanup_free_ char *desc = xasprintf ("brig container %s", cg->id);
  size_t i;
  int r;

  r = sd.new_method_call (bus, &m, SD_DEST, SD_PATH, SD_MGR, "StartTransientUnit");
  if (r < 0)
    return brig_error_set (err, -r, "systemd: new message");
#define GO(x)                 \
  do                          \
    {                         \
      if ((x) < 0)            \
        {                     \
          sd.message_unref (m); \
          return -1;          \
        }                     \
    }                         \
  while (0)
  r = sd.append (m, "ss", cg->unit, "replace");
  if (r < 0 || (r = sd.open_container (m, 'a', "(sv)")) < 0)
    {
      sd.message_unref (m);
      return brig_error_set (err, -r, "systemd: build the D-Bus message");
    }
  GO (prop_str (m, "Description", desc, err));
  if (slice_unit)
    {
      r = sd.append (m, "(sv)", "Wants", "as", 1, cg->slice);
      if (r < 0)
        {
          sd.message_unref (m);
          return brig_error_set (err, -r, "systemd: build the D-Bus message");
        }
    }
  else
    {
      GO (prop_str (m, "Slice", cg->slice, err));
      GO (prop_bool (m, "Delegate", true, err));
      if (pid > 0)
        {
          r = sd.append (m, "(sv)", "PIDs", "au", 1, (uint32_t) pid);
          if (r < 0)
            {
              sd.message_unref (m);
              return brig_error_set (err, -r, "systemd: build the D-Bus message");
            }
        }
    }
  GO (prop_bool (m, "MemoryAccounting", true, err));
  GO (prop_bool (m, "CPUAccounting", true, err));
  GO (prop_bool (m, cg->mode == BRIG_CGROUP_V2 ? "IOAccounting" : "BlockIOAccounting", true, err));
  GO (prop_bool (m, "TasksAccounting", true, err));
  GO (prop_bool (m, "DefaultDependencies", false, err));
  if (cg->pending && cg->mode == BRIG_CGROUP_V2 && cg->pending->unified.len)
    {
      const char *v = ocispec_strmap_get (&cg->pending->unified, "memory.oom.group");
      if (v && (strcmp (v, "0") == 0 || strcmp (v, "1") == 0))
        GO (prop_str (m, "OOMPolicy", v[0] == '1' ? "kill" : "continue", err));
    }
  GO (resources_props (cg, m, ver, cg->pending, err));
  GO (devices_props (cg, m, cg->pending, false, err));
  for (i = 0; i < cg->props.len; i++)
    GO (append_variant_text (m, cg->props.keys[i], cg->props.values[i], err));
  r = sd.close_container (m);
  if (r >= 0)
    r = sd.append (m, "a(sa(sv))", 0);
  if (r < 0)
    {
      sd.message_unref (m);
      return brig_error_set (err, -r, "systemd: build the D-Bus message");
    }
#undef GO
  *out = m;
  return 0;
}

static int
stop_unit (sd_bus *bus, const char *unit, struct brig_error **err)
{
  sd_bus_message *m = NULL;
  bool gone = false;
  int r = sd.new_method_call (bus, &m, SD_DEST, SD_PATH, SD_MGR, "StopUnit");
  if (r >= 0)
    r = sd.append (m, "ss", unit, "replace");
  if (r < 0)
    {
      if (m)
        sd.message_unref (m);
      return brig_error_set (err, -r, "systemd: build the D-Bus message");
    }
  r = call_and_wait (bus, m, "stop unit", unit, &gone, err);
  sd.message_unref (m);
  reset_failed (bus, unit);
  return r;
}

int
cg_sd_start (struct brig_cgroup *cg, pid_t pid, struct brig_error **err)
{
  sd_bus *bus = NULL;
  sd_bus_message *m = NULL;
  _cleanup_free_ char *rel = NULL;
  int ver, ret = -1;
  size_t i;

  if (bus_open (cg->rootless, &bus, err) < 0)
    return -1;
  ver = systemd_version (bus);
  if (start_message (cg, bus, pid, ver, &m, err) < 0)
    goto out;
  if (call_and_wait (bus, m, "start transient unit", cg->unit, NULL, err) < 0)
    {
      /* a failed leftover with the same name: reset it and retry once */
      struct brig_error *e2 = NULL;
      if (*err && strstr ((*err)->msg, "already exists"))
        {
          sd_bus_message *m2 = NULL;
          reset_failed (bus, cg->unit);
          if (start_message (cg, bus, pid, ver, &m2, &e2) == 0
              && call_and_wait (bus, m2, "start transient unit", cg->unit, NULL, &e2) == 0)
            {
              brig_error_free (err);
              sd.message_unref (m2);
              goto started;
            }
          if (m2)
            sd.message_unref (m2);
          brig_error_free (&e2);
        }
      goto out;
    }
started:
  cg->started = true;
  rel = unit_rel_path (cg, bus, strcmp (cg->unit + strlen (cg->unit) - 6, ".slice") == 0 ? 0 : pid);
  if (rel == NULL)
    {
      brig_error_set (err, ENOENT, "systemd: process %d is not in unit `%s` after it started", (int) pid, cg->unit);
      goto fail_stop;
    }

  for (i = 0; i < cg->n_hier; i++)
    {
      struct cg_hier *h = &cg->hier[i];
      free (h->path);
      h->path = xasprintf ("%s%s", h->mountpoint, rel);
      if (access (h->path, F_OK) < 0)
        {
          /* v1 controllers systemd does not manage (cpuset, freezer ...) */
          if (cg_mkdir_below (h, h->mountpoint, err) < 0)
            goto fail_stop;
          h->created = false; /* the unit's path: removed at destroy */
        }
    }
  if (cg->mode == BRIG_CGROUP_V2)
    {
      const char *dir = cg->unified->path;
      if (strcmp (cg->unit + strlen (cg->unit) - 6, ".slice") == 0 && pid > 0 && cg_join (cg->unified, pid, err) < 0)
        goto fail_stop;
      /* controllers systemd does not manage (hugetlb, rdma, misc) */
      if (cg_v2_enable_controllers (CG_ROOT, dir, cg->pending, false, err) < 0)
        goto fail_stop;
      if (cg_v2_apply (cg, dir, cg->pending, false, err) < 0)
        goto fail_stop;
    }
  else
    {
      /* a new cpuset cgroup takes no process before it has cpus and mems */
      if (cg_v1_prepare (cg, err) < 0)
        goto fail_stop;
      /* systemd placed it in the hierarchies it manages (writing the pid
         again there is a no-op); the others are brig's */
      for (i = 0; pid > 0 && i < cg->n_hier; i++)
        if (cg_join (&cg->hier[i], pid, err) < 0)
          goto fail_stop;
      if (cg_v1_apply (cg, cg->pending, false, err) < 0)
        goto fail_stop;
    }
  ret = 0;
  goto out;

fail_stop:
  {
    struct brig_error *e2 = NULL;
    stop_unit (bus, cg->unit, &e2);
    brig_error_free (&e2);
    cg->started = false;
  }
out:
  if (m)
    sd.message_unref (m);
  bus_close (&bus);
  return ret;
}

/* On v1 systemd applies properties by writing "a" to devices.deny and then
   the allow list: in between, the container could not open /dev/null.
   Frozen (unless it already is), it sees no such moment (runc does the
   same).  True when the caller must thaw it. */
static bool
freeze_for_v1_devices (struct brig_cgroup *cg)
{
  struct brig_error *e = NULL;
  bool frozen = true, done = false;
  if (cg->mode == BRIG_CGROUP_V2)
    return false;
  if (brig_cgroup_is_frozen (cg, &frozen, &e) == 0 && ! frozen)
    done = brig_cgroup_freeze (cg, true, &e) == 0;
  brig_error_free (&e);
  return done;
}

int
cg_sd_update (struct brig_cgroup *cg, const struct oci_resources *r, struct brig_error **err)
{
  sd_bus *bus = NULL;
  sd_bus_message *m = NULL, *reply = NULL;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  int ver, rr, ret = -1;
  bool thaw;

  if (cg->unit == NULL)
    return 0;
  if (bus_open (cg->rootless, &bus, err) < 0)
    return -1;
  ver = systemd_version (bus);
  rr = sd.new_method_call (bus, &m, SD_DEST, SD_PATH, SD_MGR, "SetUnitProperties");
  if (rr >= 0)
    rr = sd.append (m, "sb", cg->unit, 1);
  if (rr >= 0)
    rr = sd.open_container (m, 'a', "(sv)");
  if (rr < 0)
    {
      brig_error_set (err, -rr, "systemd: build the D-Bus message");
      goto out;
    }
  if (resources_props (cg, m, ver, r, err) < 0 || devices_props (cg, m, r, true, err) < 0)
    goto out;
  rr = sd.close_container (m);
  if (rr < 0)
    {
      brig_error_set (err, -rr, "systemd: build the D-Bus message");
      goto out;
    }
  thaw = freeze_for_v1_devices (cg);
  rr = sd.call (bus, m, 0, &e, &reply);
  if (thaw)
    {
      /* systemd writes the cgroup from its main loop after it replied; a
         second call is answered only after that pass */
      systemd_version (bus);
      struct brig_error *e2 = NULL;
      if (brig_cgroup_freeze (cg, false, &e2) < 0)
        cg_warn ("%s", e2->msg);
      brig_error_free (&e2);
    }
  if (rr < 0)
    {
      brig_error_set (err, -rr, "systemd: set properties of `%s`%s%s", cg->unit, e.message ? ": " : "",
                      e.message ? e.message : "");
      goto out;
    }
  ret = 0;
out:
  sd.error_free (&e);
  if (reply)
    sd.message_unref (reply);
  if (m)
    sd.message_unref (m);
  bus_close (&bus);
  return ret;
}

int
cg_sd_stop (struct brig_cgroup *cg, struct brig_error **err)
{
  sd_bus *bus = NULL;
  int r;
  if (cg->unit == NULL)
    return 0;
  if (bus_open (cg->rootless, &bus, err) < 0)
    return -1;
  r = stop_unit (bus, cg->unit, err);
  bus_close (&bus);
  return r;
}

#endif /* HAVE_SYSTEMD */
