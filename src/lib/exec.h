/* `exec`: a new process in every namespace and the cgroup of a running
 * container, with its own process.json (or the container's, with flags
 * on top). */
#ifndef BRIG_EXEC_H
#define BRIG_EXEC_H

#include <stdbool.h>

#include "container.h"
#include "error.h"
#include "ocispec.h"

struct brig_exec_opts
{
  const struct brig_global *g;
  const char *id;
  const char *process_file;   /* --process */
  char **args;                /* the command, if no --process */
  size_t n_args;
  char **env;                 /* --env, appended */
  size_t n_env;
  char **caps;                /* --cap, added */
  size_t n_caps;
  uint32_t *extra_gids;       /* --additional-gids */
  size_t n_extra_gids;
  const char *cwd;
  const char *user;           /* uid[:gid] */
  const char *pid_file;
  const char *console_socket;
  const char *apparmor;
  const char *process_label;
  const char *cgroup;         /* sub-cgroup */
  const char *pidfd_socket;
  bool tty, tty_set;
  bool detach;
  bool no_new_privs;
  bool ignore_paused;
  int preserve_fds;
};

/* *status: the process's exit status (128+signal), when not detached. */
int brig_container_exec (const struct brig_exec_opts *o, int *status, struct brig_error **err);

#endif
