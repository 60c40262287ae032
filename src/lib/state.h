/* Container state on disk: <root>/<id>/ holds state.json (struct
 * brig_state), config.json (the config the container was created with) and
 * exec.fifo while the container waits for `start`.  Every change is a
 * write to a temp file + rename, under an flock on the directory. */
#ifndef BRIG_STATE_H
#define BRIG_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

/* /run/brig for root, $XDG_RUNTIME_DIR/brig otherwise (NULL + error when
   XDG_RUNTIME_DIR is unusable).  Returns a new string. */
char *brig_default_root (bool rootless, struct brig_error **err);

/* runc's rule: [a-zA-Z0-9_+-][a-zA-Z0-9_+.-]*, at most 1024 bytes. */
int brig_validate_id (const char *id, struct brig_error **err);

/* Make ROOT (0700) and ROOT/ID; EEXIST becomes "container with given ID
   already exists".  *dirfd is an O_DIRECTORY fd of ROOT/ID, locked. */
int brig_state_create_dir (const char *root, const char *id, int *dirfd, struct brig_error **err);
/* Open and lock ROOT/ID; ENOENT becomes "container does not exist". */
int brig_state_open (const char *root, const char *id, bool exclusive, int *dirfd,
                     struct brig_error **err);
int brig_state_read (int dirfd, struct brig_state **out, struct brig_error **err);
int brig_state_write (int dirfd, const struct brig_state *st, struct brig_error **err);
/* Remove ROOT/ID and everything in it. */
int brig_state_remove (const char *root, const char *id, struct brig_error **err);

enum brig_status
{
  BRIG_CREATING,
  BRIG_CREATED,
  BRIG_RUNNING,
  BRIG_PAUSED,
  BRIG_STOPPED,
};

const char *brig_status_name (enum brig_status s);

/* The live status: the recorded pid is checked against its start time
   (so a reused pid is not mistaken for the container), a zombie counts
   as stopped, exec.fifo means created, a frozen cgroup means paused. */
enum brig_status brig_state_status (int dirfd, const struct brig_state *st);

/* pidfd of the container's init, checked against the recorded start
   time; -1 with ESRCH when it is gone. */
int brig_state_pidfd (const struct brig_state *st);

#endif
