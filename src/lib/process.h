/* The container's (or an exec'd) process: everything between a ready
 * filesystem and execve.  `prepare` runs in the runtime parent and checks
 * the config, so errors reach the user before any process exists; the
 * other steps run in the new process, in this order:
 *   brig_process_setup_privileged   rlimits, scheduler, ioPriority, ...
 *   brig_process_set_user           bounding set, groups, gid, uid
 *   brig_process_finish             umask, cwd, env, the program's path, nnp, caps,
 *                                   the LSM labels for execve (attr/exec)
 *   (seccomp)
 *   brig_process_exec */
#ifndef BRIG_PROCESS_H
#define BRIG_PROCESS_H

#include <stdbool.h>
#include <sys/resource.h>

#include "caps.h"
#include "error.h"
#include "ocispec.h"

struct brig_process_plan
{
  const struct oci_process *p;
  const struct oci_spec *spec;      /* for linux.personality, sysctl; may be NULL (exec) */
  struct brig_caps caps;
  int rlimit_res[32];
  size_t n_rlimits;
  char *exe;                        /* resolved program path, set by finish */
  char **envp;                      /* set by finish */
  bool setgroups_denied;            /* user namespace with setgroups "deny" */
  uint64_t extra_caps;              /* kept for seccomp loading, dropped after */
};

int brig_process_prepare (const struct oci_spec *spec, const struct oci_process *p, const char *field,
                          struct brig_process_plan *plan, struct brig_error **err);
/* A seccomp filter is loaded as the last step before execve.  Without
   no_new_privileges the kernel wants CAP_SYS_ADMIN for that: keep it in
   plan->extra_caps until the filter is in, when the final sets lack it. */
void brig_process_plan_seccomp (const struct oci_process *p, struct brig_process_plan *plan);
/* linux.sysctl: refuse keys that are not namespaced (or whose namespace
   the container does not own). */
int brig_sysctl_validate (const struct oci_spec *spec, struct brig_error **err);

int brig_sysctl_apply (const struct oci_spec *spec, struct brig_error **err);
int brig_process_setup_privileged (struct brig_process_plan *plan, struct brig_error **err);
int brig_process_set_user (struct brig_process_plan *plan, struct brig_error **err);
int brig_process_finish (struct brig_process_plan *plan, struct brig_error **err);
/* Drop the extra capabilities kept for seccomp. */
int brig_process_drop_extra (struct brig_process_plan *plan, struct brig_error **err);
/* execCPUAffinity.final, then execve.  Returns only on failure. */
int brig_process_exec (struct brig_process_plan *plan, struct brig_error **err);

/* Restore the signal dispositions and mask a new program must start with. */
void brig_reset_signals (void);

#endif
