/* linux.namespaces: types, clone flags, and joining existing ones. */
#ifndef BRIG_NAMESPACES_H
#define BRIG_NAMESPACES_H

#include <stdbool.h>

#include "error.h"
#include "ocispec.h"

#ifndef CLONE_NEWTIME
# define CLONE_NEWTIME 0x00000080
#endif

/* CLONE_NEW* for a namespace type ("pid", "network", ...), 0 if unknown. */
int brig_ns_flag (const char *type);
/* The /proc/PID/ns/ entry name ("pid", "net", ...). */
const char *brig_ns_proc_name (const char *type);

/* What a config asks for: new namespaces (flags) and ones to join (fds
   opened by the runtime, with their flag).  The order of `join` is the
   order setns must follow: the user namespace first. */
struct brig_ns_plan
{
  int new_flags;
  int join_flags;
  int join_fd[8];
  int join_type[8];
  int n_join;
  int pid_fd;          /* pid namespace to join: setns in the parent, -1 if none */
  bool userns;         /* a user namespace, new or joined */
  bool two_stage;      /* setns must come before the new namespaces exist */
};

int brig_ns_plan_make (const struct oci_spec *s, struct brig_ns_plan *p, struct brig_error **err);
void brig_ns_plan_close (struct brig_ns_plan *p);

/* In the container process: setns every namespace of the plan but pid. */
int brig_ns_join (const struct brig_ns_plan *p, bool userns_only, bool skip_userns,
                  struct brig_error **err);

#endif
