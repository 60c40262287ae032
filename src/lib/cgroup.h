/* Cgroups: v1, hybrid and v2 hierarchies; cgroupfs and systemd drivers.
 *
 * The lifecycle calls, in the runtime's parent process:
 *   create (before the container process exists; resources applied)
 *   -> clone3 (CLONE_INTO_CGROUP with brig_cgroup_clone_fd, if >= 0)
 *   -> enter (pid: every hierarchy clone3 did not place it in; systemd scope)
 *   -> save (paths into the state record)
 * and later, from the state record: load -> update / freeze / pids /
 * kill_all / stats / destroy.
 *
 * Details the runtime relies on:
 *  - The container process must not run anything of the user's before
 *    enter() returned (it waits for the parent's "go"): on v1, and with the
 *    systemd driver, it is only then in its cgroups, with its resources
 *    (systemd: the scope is started by enter(), clone_fd is -1 until then).
 *    A new cgroup namespace must be unshared after that, in the child.
 *  - clone_fd is the v2 cgroup (pure v2, or the unified hierarchy of a hybrid
 *    host); after clone3 put the child there, call enter(pid, true) for the
 *    v1 hierarchies.  If clone3 could not be used: enter(pid, false).
 *  - exec: load -> clone_fd (clone3 into the cgroup) -> enter(pid, placed).
 *  - On failure after create, destroy() removes what create made.
 *  - delete: load -> (thaw) -> kill_all(SIGKILL) -> destroy (or
 *    destroy_full(cg, true, ...), which kills what is left itself).
 *  - *out of create/load is NULL when the container has no cgroup; every
 *    call accepts NULL (no-op, or an error saying there is no cgroup).
 *  - State fields: cgroup_path (the cgroup `ps` reads), cgroup_paths
 *    (hierarchy -> directory: "memory", "cpu", ..., "name=systemd",
 *    "unified"; "@created": how many path components brig made, removed
 *    with the container when empty), systemd_unit, systemd_cgroup, and
 *    rootless (set when true: load then uses the user bus). */
#ifndef BRIG_CGROUP_H
#define BRIG_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

struct brig_cgroup;

enum brig_cgroup_mode
{
  BRIG_CGROUP_NONE = 0, /* no cgroup filesystem at /sys/fs/cgroup */
  BRIG_CGROUP_V1,       /* cgroup v1 controllers only */
  BRIG_CGROUP_HYBRID,   /* v1 controllers + cgroup2 at /sys/fs/cgroup/unified */
  BRIG_CGROUP_V2,       /* cgroup2 at /sys/fs/cgroup */
};

/* The host's layout (statfs of /sys/fs/cgroup and /sys/fs/cgroup/unified);
   cached after the first call. */
enum brig_cgroup_mode brig_cgroup_detect (void);
const char *brig_cgroup_mode_name (enum brig_cgroup_mode m);

struct brig_cgroup_config
{
  const char *id;                          /* container id */
  const char *cgroups_path;                /* linux.cgroupsPath, may be NULL */
  const struct oci_resources *resources;   /* may be NULL */
  const struct ocispec_strmap *annotations; /* org.systemd.property.* etc. */
  bool systemd;                            /* --systemd-cgroup */
  bool rootless;
  bool disabled;                           /* --cgroup-manager=disabled */
};

/* Make the container's cgroup(s) and apply resources.  *out is NULL when
   the container gets no cgroup (no cgroupsPath and no resources, rootless
   without delegation, or disabled).  Resources that cannot be applied are
   an error naming the field. */
int brig_cgroup_create (const struct brig_cgroup_config *c, struct brig_cgroup **out,
                        struct brig_error **err);

/* An O_DIRECTORY fd of the v2 cgroup for clone3 (CLONE_INTO_CGROUP), or -1. */
int brig_cgroup_clone_fd (const struct brig_cgroup *cg);

/* Put PID into every hierarchy clone3 did not place it in. */
int brig_cgroup_enter (struct brig_cgroup *cg, pid_t pid, bool placed_by_clone,
                       struct brig_error **err);

/* Record/restore what later commands need in/from the state record. */
int brig_cgroup_save (const struct brig_cgroup *cg, struct brig_state *st);
int brig_cgroup_load (const struct brig_state *st, struct brig_cgroup **out, struct brig_error **err);

int brig_cgroup_update (struct brig_cgroup *cg, const struct oci_resources *r, struct brig_error **err);
int brig_cgroup_freeze (struct brig_cgroup *cg, bool freeze, struct brig_error **err);
int brig_cgroup_is_frozen (struct brig_cgroup *cg, bool *frozen, struct brig_error **err);
int brig_cgroup_pids (struct brig_cgroup *cg, pid_t **pids, size_t *n, struct brig_error **err);
int brig_cgroup_kill_all (struct brig_cgroup *cg, int sig, struct brig_error **err);
/* events --stats: runc's JSON ("type":"stats","id":...,"data":{...}). */
int brig_cgroup_stats (struct brig_cgroup *cg, const char *id, char **json, struct brig_error **err);

/* Remove every cgroup (and systemd unit) it made. */
int brig_cgroup_destroy (struct brig_cgroup *cg, struct brig_error **err);
/* The same; with KILL, processes still in the cgroup are SIGKILLed first
   (cgroup.kill where the kernel has it) instead of failing with EBUSY. */
int brig_cgroup_destroy_full (struct brig_cgroup *cg, bool kill, struct brig_error **err);
void brig_cgroup_free (struct brig_cgroup *cg);

/* The directory `ps` and the pid listing read (the v2 cgroup, or one of the
   v1 ones); NULL for NULL. */
const char *brig_cgroup_path (const struct brig_cgroup *cg);
/* exec --cgroup SPEC: move the handle to an existing sub-cgroup of the
   container's, "PATH" for every hierarchy or "CONTROLLER[,C...]:PATH" for
   the ones holding those controllers.  PATH is relative and may not leave
   the container's cgroup. */
int brig_cgroup_descend (struct brig_cgroup *cg, const char *spec, struct brig_error **err);

/* systemd unit name or NULL. */
const char *brig_cgroup_unit (const struct brig_cgroup *cg);

/* OOM notification for `events`: a pollable fd (POLLIN) and a read that
   returns how many OOM kills happened since the last read (v1:
   memory.oom_control through cgroup.event_control and an eventfd; v2:
   inotify on memory.events, counting oom_kill). */
struct brig_cgroup_oom;
int brig_cgroup_oom_open (struct brig_cgroup *cg, struct brig_cgroup_oom **out, struct brig_error **err);
int brig_cgroup_oom_fd (const struct brig_cgroup_oom *o);
int brig_cgroup_oom_read (struct brig_cgroup_oom *o, uint64_t *count, struct brig_error **err);
void brig_cgroup_oom_free (struct brig_cgroup_oom *o);

/* Warnings (rootless without cgroups, ignored settings) go to FN; default:
   "brig: warning: MSG" on stderr. */
void brig_cgroup_set_warn_handler (void (*fn) (const char *msg));

#endif
