/* process.terminal: a pty made inside the container's own devpts, its
 * slave the process's controlling terminal and stdio, its master handed to
 * the caller over --console-socket (SCM_RIGHTS, as runc does: conmon and
 * containerd's shim depend on it) or, for `run` without a socket, proxied
 * to brig's own terminal. */
#ifndef BRIG_TERMINAL_H
#define BRIG_TERMINAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec.h"

/* In the container process (after pivot_root, or after joining the
   container's mount namespace for exec): make the pty, become its session
   leader, dup the slave to 0/1/2; with CONSOLE, bind the slave on
   /dev/console through its fd (never a path: CVE-2025-52565).  Returns the
   master fd. */
int brig_terminal_create (const struct oci_console_size *size, uid_t uid, bool console, int *master,
                          struct brig_error **err);

/* Send MASTER to the unix socket at PATH. */
int brig_terminal_send (const char *path, int master, struct brig_error **err);

/* Copy between our stdio and MASTER until the container's process exits
   (PIDFD readable) and the pty is drained; the local terminal is raw
   meanwhile. */
int brig_terminal_proxy (int master, int pidfd);

#endif
