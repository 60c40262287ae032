/* The container lifecycle: create, start, state, kill, delete, run, list.
 * The commands in src/cmd/ are thin wrappers over these. */
#ifndef BRIG_CONTAINER_H
#define BRIG_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

/* Global flags. */
struct brig_global
{
  const char *root;       /* state root */
  bool rootless;
  bool systemd_cgroup;
  bool cgroup_disabled;   /* --cgroup-manager=disabled (podman --cgroups=disabled) */
  bool debug;
};

struct brig_create_opts
{
  const struct brig_global *g;
  const char *id;
  const char *bundle;          /* NULL: the current directory */
  const char *config;          /* NULL: BUNDLE/config.json */
  const char *pid_file;
  const char *console_socket;
  const char *pidfd_socket;
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool foreground;             /* `run` without --detach: init stays our child */
  bool starts_at_once;         /* `run`: start follows create, the init does not park */
  int *console_master;         /* foreground run without a socket: gets the pty master */
};

int brig_container_create (const struct brig_create_opts *o, pid_t *pid, struct brig_error **err);
int brig_container_start (const struct brig_global *g, const char *id, struct brig_error **err);
/* Print the state as runc does (the runtime-spec state plus rootfs,
   created, owner), pretty or on one line. */
int brig_container_state_json (const struct brig_global *g, const char *id, bool pretty, char **json,
                               struct brig_error **err);
int brig_container_kill (const struct brig_global *g, const char *id, int sig, bool all,
                         struct brig_error **err);
int brig_container_delete (const struct brig_global *g, const char *id, bool force, struct brig_error **err);

/* create + start + wait (+ delete unless keep).  *status is what `run`
   exits with: the container's exit status, or 128+signal. */
int brig_container_run (const struct brig_create_opts *o, bool detach, bool keep, int *status,
                        struct brig_error **err);

/* Every container under the root: ids and their states (oci_state). */
int brig_container_list (const struct brig_global *g, struct oci_state ***states, size_t *n,
                         struct brig_error **err);

/* Load the state record of ID for commands that work on a live container
   (exec, ps, pause, update, events).  *dirfd is locked shared. */
struct brig_state;
int brig_container_load (const struct brig_global *g, const char *id, int *dirfd, struct brig_state **st,
                         struct brig_error **err);

#endif
