/* TEMPORARY: stand-ins for the cgroup module while they are
   being written; removed when src/lib/cgroup*.c land. */
#define _GNU_SOURCE
#include <errno.h>
#include "cgroup.h"
#include "utils.h"

int brig_cgroup_create (const struct brig_cgroup_config *c, struct brig_cgroup **out, struct brig_error **err)
{
  *out = NULL;
  if (c->resources && ! c->rootless && (c->resources->memory || c->resources->cpu || c->resources->pids || c->resources->block_io || c->resources->hugepage_limits || c->resources->network || c->resources->unified.len || c->resources->rdma.len))
    return brig_error_set (err, ENOTSUP, "linux.resources: cgroup support is not built yet");
  return 0;
}
int brig_cgroup_clone_fd (const struct brig_cgroup *cg) { return -1; }
int brig_cgroup_enter (struct brig_cgroup *cg, pid_t pid, bool p, struct brig_error **err) { return 0; }
int brig_cgroup_save (const struct brig_cgroup *cg, struct brig_state *st) { return 0; }
int brig_cgroup_load (const struct brig_state *st, struct brig_cgroup **out, struct brig_error **err) { *out = NULL; return 0; }
int brig_cgroup_update (struct brig_cgroup *cg, const struct oci_resources *r, struct brig_error **err) { return brig_error_set (err, ENOTSUP, "no cgroup"); }
int brig_cgroup_freeze (struct brig_cgroup *cg, bool f, struct brig_error **err) { return brig_error_set (err, ENOTSUP, "no cgroup"); }
int brig_cgroup_is_frozen (struct brig_cgroup *cg, bool *f, struct brig_error **err) { *f = false; return 0; }
int brig_cgroup_pids (struct brig_cgroup *cg, pid_t **p, size_t *n, struct brig_error **err) { *p = NULL; *n = 0; return 0; }
int brig_cgroup_kill_all (struct brig_cgroup *cg, int sig, struct brig_error **err) { return brig_error_set (err, ENOTSUP, "no cgroup"); }
int brig_cgroup_stats (struct brig_cgroup *cg, const char *id, char **json, struct brig_error **err) { return brig_error_set (err, ENOTSUP, "no cgroup"); }
int brig_cgroup_destroy (struct brig_cgroup *cg, struct brig_error **err) { return 0; }
void brig_cgroup_free (struct brig_cgroup *cg) {}

