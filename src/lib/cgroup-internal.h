/* Private declarations shared by cgroup.c, cgroup-v1.c, cgroup-v2.c,
 * cgroup-systemd.c and cgroup-ebpf.c.  Nothing outside src/lib/cgroup*.c
 * includes this file. */
#ifndef BRIG_CGROUP_INTERNAL_H
#define BRIG_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "error.h"
#include "ocispec.h"

#define CG_ROOT "/sys/fs/cgroup"

/* One mounted hierarchy the container is placed in. */
struct cg_hier
{
  char *name;       /* "cpu,cpuacct", "memory", "name=systemd"; "" for cgroup2 */
  char *mountpoint; /* /sys/fs/cgroup/memory */
  char *mount_root; /* root of the mount inside the hierarchy ("/" usually) */
  char *own;        /* brig's own cgroup in it, absolute directory */
  char *path;       /* the container's cgroup, absolute directory */
  int hier_id;      /* hierarchy id from /proc/self/cgroup (0 = cgroup2) */
  bool v2;
  bool created;     /* path was made by us (remove on failure/destroy) */
  int created_depth; /* how many components of path (leaf first) we made */
};

struct brig_cgroup
{
  enum brig_cgroup_mode mode;
  bool systemd;
  bool rootless;
  bool started;     /* systemd unit started (enter done) */
  char *id;

  /* cgroupfs layout: v2 or hybrid unified hierarchy in v2 (NULL on v1) */
  struct cg_hier *hier;   /* v1 (and hybrid) hierarchies, unified last */
  size_t n_hier;
  struct cg_hier *unified; /* points into hier[] (hybrid, v2), or NULL */
  int clone_fd;

  /* systemd driver */
  char *unit;       /* prefix-name.scope (or a .slice) */
  char *slice;      /* the slice unit name the scope goes into */
  char *slice_path; /* the slice expanded ("/system.slice/..."), rootless: under the manager */
  struct oci_resources *pending; /* resources to apply when the unit starts */
  struct ocispec_strmap props;   /* org.systemd.property.* annotations */
};

/* ---- helpers (cgroup.c) ---- */
void cg_warn (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* Write VALUE to DIR/FILE; an error names FIELD:
   "linux.resources.memory.limit: write memory.max: Device or resource busy". */
int cg_write (const char *dir, const char *file, const char *value, const char *field,
              struct brig_error **err);
int cg_writef (const char *dir, const char *file, const char *field, struct brig_error **err,
               const char *fmt, ...) __attribute__ ((format (printf, 5, 6)));
/* As cg_write, but returns -errno without filling err (for fallbacks). */
int cg_try_write (const char *dir, const char *file, const char *value);
/* Read DIR/FILE (trailing newline stripped); NULL + errno on failure. */
char *cg_read (const char *dir, const char *file);
/* Read a number ("max" -> UINT64_MAX). */
int cg_read_u64 (const char *dir, const char *file, uint64_t *out);
/* Value of KEY in a flat keyed file ("key value" lines). */
int cg_read_keyed (const char *dir, const char *file, const char *key, uint64_t *out);
bool cg_file_exists (const char *dir, const char *file);
/* Remove DIR and every cgroup below it (rmdir, deepest first); retries
   while the kernel still sees tasks.  ENOENT is success. */
int cg_rmdir_tree (const char *dir, struct brig_error **err);
/* Read every pid in cgroup.procs of DIR and below. */
int cg_collect_pids (const char *dir, pid_t **pids, size_t *n, size_t *cap, struct brig_error **err);
/* Wait until the freezer of the container is in the wanted state. */
void cg_sleep_ms (unsigned ms);

/* memory swap limit as a cgroup v2 memory.swap.max value (runc's
   ConvertMemorySwapToCgroupV2Value); *out 0 = leave alone, -1 = max. */
int cg_swap_v2 (int64_t swap, int64_t limit, int64_t *out, struct brig_error **err);
uint64_t cg_shares_to_weight (uint64_t shares);
uint64_t cg_blkio_to_io_weight (uint64_t w);
/* "0-3,5" -> little-endian bitmask bytes (systemd AllowedCPUs) */
int cg_range_to_bits (const char *s, uint8_t **bits, size_t *n);

int cg_discover (struct brig_cgroup *cg, struct brig_error **err);
int cg_mkdir_below (struct cg_hier *h, const char *boundary, struct brig_error **err);
int cg_join (struct cg_hier *h, pid_t pid, struct brig_error **err);
int cg_rdma_set (const char *dir, const struct ocispec_objmap *m, struct brig_error **err);
int cg_unified_set (const char *dir, const struct ocispec_strmap *u, struct brig_error **err);

/* path helpers */
int cg_normalize (const char *in, char **out, struct brig_error **err);
bool cg_resources_need_controllers (const struct oci_resources *r);

/* ---- devices (cgroup-ebpf.c) ---- */
struct cg_dev_rule
{
  char type;    /* 'a', 'b', 'c' */
  int64_t major; /* -1 = wildcard */
  int64_t minor;
  unsigned perms; /* CG_DEV_R | CG_DEV_W | CG_DEV_M */
  bool allow;
};
#define CG_DEV_R 1u
#define CG_DEV_W 2u
#define CG_DEV_M 4u

struct cg_dev_emu
{
  bool default_allow;
  struct cg_dev_rule *rules; /* exceptions (allow unset: the opposite of default) */
  size_t n;
};

/* The full rule list as runc builds it: the spec's rules, then runc's
   default allowed devices (linux.devices are not added: engines list
   the rules for them, as runc expects). */
int cg_dev_build_rules (const struct brig_cgroup *cg, const struct oci_resources *r,
                        struct cg_dev_rule **out, size_t *n, struct brig_error **err);
int cg_dev_emu_apply (struct cg_dev_emu *e, const struct cg_dev_rule *r, struct brig_error **err);
int cg_dev_emu_from_list (const char *list, struct cg_dev_emu *e, struct brig_error **err);
/* Minimal transition from SRC to DST (runc's Transition). */
int cg_dev_transition (const struct cg_dev_emu *src, const struct cg_dev_emu *dst,
                       struct cg_dev_rule **out, size_t *n);
void cg_dev_emu_clear (struct cg_dev_emu *e);
void cg_dev_rule_string (const struct cg_dev_rule *r, char *buf, size_t len);
/* cgroup v2: load the rules as a BPF_PROG_TYPE_CGROUP_DEVICE program and
   attach it to DIR, replacing programs attached before. */
int cg_ebpf_set_devices (const char *dir, const struct cg_dev_rule *rules, size_t n,
                         struct brig_error **err);
/* For tests: build the program only; returns the instruction count. */
int cg_ebpf_build (const struct cg_dev_emu *emu, void **insns, size_t *n, struct brig_error **err);

/* ---- v2 (cgroup-v2.c) ---- */
int cg_v2_validate (const struct oci_resources *r, struct brig_error **err);
/* The controllers RESOURCES need, as "cpu", "memory" ... (static strings) */
size_t cg_v2_needed_controllers (const struct oci_resources *r, const char **out, size_t max);
/* mkdir the path between BOUNDARY (existing) and TARGET, enabling the
   needed controllers on the way. */
int cg_v2_make_path (struct brig_cgroup *cg, struct cg_hier *h, const char *boundary,
                     const struct oci_resources *r, bool enable_all, struct brig_error **err);
int cg_v2_enable_controllers (const char *root, const char *target, const struct oci_resources *r,
                              bool optional, struct brig_error **err);
int cg_v2_apply (struct brig_cgroup *cg, const char *dir, const struct oci_resources *r, bool update,
                 struct brig_error **err);
int cg_v2_freeze (const char *dir, bool freeze, struct brig_error **err);
int cg_v2_is_frozen (const char *dir, bool *frozen, struct brig_error **err);
int cg_v2_stats (const char *dir, struct brig_cgroup *cg, void *json);

/* ---- v1 (cgroup-v1.c) ---- */
int cg_v1_validate (struct brig_cgroup *cg, const struct oci_resources *r, struct brig_error **err);
int cg_v1_prepare (struct brig_cgroup *cg, struct brig_error **err); /* cpuset parents */
int cg_v1_apply (struct brig_cgroup *cg, const struct oci_resources *r, bool update,
                 struct brig_error **err);
const char *cg_v1_path (const struct brig_cgroup *cg, const char *controller);
int cg_v1_freeze (const char *dir, bool freeze, struct brig_error **err);
int cg_v1_is_frozen (const char *dir, bool *frozen, struct brig_error **err);
int cg_v1_stats (struct brig_cgroup *cg, void *json);

/* ---- systemd (cgroup-systemd.c) ---- */
int cg_sd_prepare (struct brig_cgroup *cg, const struct brig_cgroup_config *c, struct brig_error **err);
int cg_sd_start (struct brig_cgroup *cg, pid_t pid, struct brig_error **err);
int cg_sd_update (struct brig_cgroup *cg, const struct oci_resources *r, struct brig_error **err);
int cg_sd_stop (struct brig_cgroup *cg, struct brig_error **err);
int cg_sd_expand_slice (const char *slice, char **out, struct brig_error **err);

/* ---- JSON writer for stats (cgroup.c) ---- */
struct cg_json
{
  struct yajl_gen_t *g;
};
void cg_json_key (struct cg_json *j, const char *key);
void cg_json_open (struct cg_json *j, const char *key);  /* "key":{ (key may be NULL) */
void cg_json_close (struct cg_json *j);
void cg_json_open_arr (struct cg_json *j, const char *key);
void cg_json_close_arr (struct cg_json *j);
void cg_json_u64 (struct cg_json *j, const char *key, uint64_t v);
void cg_json_u64_nz (struct cg_json *j, const char *key, uint64_t v); /* omitempty */
void cg_json_i64 (struct cg_json *j, const char *key, int64_t v);
void cg_json_str (struct cg_json *j, const char *key, const char *v);
void cg_json_null (struct cg_json *j, const char *key);
void cg_json_keyed_file (struct cg_json *j, const char *key, const char *dir, const char *file);
void cg_json_list_u16 (struct cg_json *j, const char *key, const char *list);
void cg_json_cpuset_tail (struct cg_json *j);

#endif
