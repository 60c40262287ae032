/* User namespaces: id mappings written directly when the kernel lets us
 * (root, or an unprivileged user mapping only its own id, with setgroups
 * denied), else through the setuid newuidmap/newgidmap helpers, which
 * enforce /etc/subuid and /etc/subgid (read here only to explain a
 * refusal).  Also: the checks a rootless config must pass before anything
 * is made, user namespaces for id-mapped mounts, and the sibling fork
 * `exec` needs to enter a pid namespace it cannot join itself. */
#ifndef BRIG_USERNS_H
#define BRIG_USERNS_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

/* Write PID's uid_map and gid_map from linux.uidMappings/gidMappings. */
int brig_userns_write_maps (pid_t pid, const struct oci_linux *lx, struct brig_error **err);

/* Before anything is created: a rootless config has a user namespace,
   mappings, and the helpers its mappings need.  Root: only coherence. */
int brig_userns_validate (const struct oci_spec *s, struct brig_error **err);

/* Not root of the initial user namespace: a plain user, or root inside a
   user namespace (rootlesskit).  What `--rootless auto` means. */
bool brig_userns_running_rootless (void);
/* This process is in the initial user namespace (cached: call it before
   entering a new one to learn where the runtime runs). */
bool brig_userns_in_initial (void);

/* Add to *ERR (a failed clone/unshare/uid_map write with EPERM, EACCES,
   ENOSPC or EUSERS) the sysctl or AppArmor setting that explains it and
   the command that lifts it.  Returns -1. */
int brig_userns_explain (struct brig_error **err);

/* One line of /etc/subuid or /etc/subgid. */
struct brig_subid_range
{
  unsigned long start, count;
};
/* The ranges FILE grants USER (by name) or UID (by number); -1 with errno
   when FILE cannot be read.  *out is malloc'ed. */
int brig_subid_read (const char *file, const char *user, uid_t uid, struct brig_subid_range **out, size_t *n);
unsigned long brig_subid_total (const struct brig_subid_range *r, size_t n);
/* The start of a free 65536-id range after every range FILE lists. */
unsigned long brig_subid_suggest (const char *file);

/* A user namespace with exactly these maps, written by the caller (who
   must be privileged over the ids), for mount_setattr(MOUNT_ATTR_IDMAP).
   Returns an fd of /proc/PID/ns/user or -1. */
int brig_userns_fd_for (struct oci_id_mapping **uids, size_t nu, struct oci_id_mapping **gids, size_t ng,
                        struct brig_error **err);

/* clone(CLONE_PARENT): the new process is our parent's child, so after a
   setns(CLONE_NEWPID) it is born in the pid namespace and our parent
   waits for it.  0 in the new process, its pid in this one. */
pid_t brig_userns_fork_sibling (struct brig_error **err);
/* Parent side: the sibling's pid (SYNC_INIT_PID with credentials) in
   place of *PID, the child's, which is reaped. */
int brig_userns_await_sibling (int sock, pid_t *pid, struct brig_error **err);

#endif
