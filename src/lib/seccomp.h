/* linux.seccomp through libseccomp.
 *
 * The filter is compiled in the runtime's parent process (so errors reach
 * the user directly and the compiled BPF can be cached), then loaded by the
 * container process as late as possible before execve. */
#ifndef BRIG_SECCOMP_H
#define BRIG_SECCOMP_H

#include <stdbool.h>

#include "error.h"
#include "ocispec.h"

struct brig_seccomp; /* a compiled filter, ready to load */

/* Compile S (may be NULL: *out becomes NULL, nothing to do).  CACHE_DIR,
   if not NULL, is where compiled filters are kept between containers. */
int brig_seccomp_prepare (const struct oci_seccomp *s, const char *cache_dir,
                          struct brig_seccomp **out, struct brig_error **err);

/* In the container process, after capabilities and no_new_privileges:
   load the filter.  When the profile uses SCMP_ACT_NOTIFY, *notify_fd gets
   the listener fd (else -1).  Must not allocate after fork-sensitive
   points beyond what the compiled program needs. */
int brig_seccomp_load (const struct brig_seccomp *sc, int *notify_fd, struct brig_error **err);

/* Whether the profile uses SCMP_ACT_NOTIFY.  (Loading needs
   no_new_privileges or CAP_SYS_ADMIN; a notify fd must be handed over
   with write(2): see seccomp.c.) */
bool brig_seccomp_uses_notify (const struct brig_seccomp *sc);

/* In the runtime's parent: send NOTIFY_FD and the container state
   (STATE_JSON, the runtime-spec state with listenerMetadata) to the
   listenerPath socket as the runtime-spec describes. */
int brig_seccomp_send_listener (const struct oci_seccomp *s, int notify_fd, const char *state_json,
                                struct brig_error **err);

void brig_seccomp_free (struct brig_seccomp *sc);

#endif
