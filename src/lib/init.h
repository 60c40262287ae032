/* The container's init: the code the forked child runs, from a fresh
 * clone to execve of process.args.  It talks to the runtime parent over a
 * sync socket (sync.h); any failure before it is parked is sent there and
 * the child exits, so the parent reports it and cleans up. */
#ifndef BRIG_INIT_H
#define BRIG_INIT_H

#include <stdbool.h>

#include "namespaces.h"
#include "ocispec.h"
#include "process.h"
#include "seccomp.h"

struct brig_init_args
{
  const struct oci_spec *spec;
  const char *id;
  const char *rootfs;
  const char *bundle;
  const struct brig_ns_plan *ns;
  int sync_fd;             /* child's end */
  int fifo_fd;             /* exec.fifo, O_RDWR; -1 when the init must not wait */
  bool parks;              /* the wait may be long (create, no notifying filter): give back what it does not need */
  int state_dirfd;         /* the parent's locked state dir: closed at once */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  struct brig_process_plan plan;
  const struct brig_seccomp *seccomp;
  bool seccomp_notify;
  const int *idmap_fds;    /* id-mapped mounts made by the parent (idmap.h), or NULL */
};

/* Never returns. */
__attribute__ ((noreturn)) void brig_init_main (struct brig_init_args *a);

#endif
