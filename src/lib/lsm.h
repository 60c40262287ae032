/* AppArmor and SELinux labels for the container's process: written to
 * /proc/thread-self/attr/... through the verified procfs (so a container
 * that mounts over /proc cannot redirect them: CVE-2019-16884,
 * CVE-2023-27561, CVE-2025-52881), taking effect at execve.  AppArmor uses
 * its own attr/apparmor/exec where the kernel has it (LSM stacking). */
#ifndef BRIG_LSM_H
#define BRIG_LSM_H

#include <stdbool.h>

#include "error.h"

bool brig_apparmor_enabled (void);
bool brig_selinux_enabled (void);

/* In the runtime parent: refuse labels this host cannot apply. */
int brig_lsm_check (const char *apparmor, const char *selinux, const char *field, struct brig_error **err);

/* In the new process, from brig_process_finish: after the switch to its
   user, before seccomp is loaded; the kernel applies the labels at execve.
   An unknown AppArmor profile reads "AppArmor profile `x` is not loaded". */
int brig_lsm_set_exec (const char *apparmor, const char *selinux, struct brig_error **err);

#endif
