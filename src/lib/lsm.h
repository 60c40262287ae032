/* AppArmor and SELinux labels for the container's process: written to
 * /proc/thread-self/attr/... through the verified procfs (so a container
 * that mounts over /proc cannot redirect them: CVE-2019-16884,
 * CVE-2023-27561, CVE-2025-52881), taking effect at execve. */
#ifndef BRIG_LSM_H
#define BRIG_LSM_H

#include <stdbool.h>

#include "error.h"

bool brig_apparmor_enabled (void);
bool brig_selinux_enabled (void);

/* In the runtime parent: refuse labels this host cannot apply. */
int brig_lsm_check (const char *apparmor, const char *selinux, const char *field, struct brig_error **err);

/* In the new process, just before execve. */
int brig_lsm_set_exec (const char *apparmor, const char *selinux, struct brig_error **err);

#endif
