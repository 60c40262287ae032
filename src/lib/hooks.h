/* OCI hooks: each gets the container state on stdin; a timeout kills it.
 * A hook that exits without reading its stdin is fine (brig never dies of
 * SIGPIPE). */
#ifndef BRIG_HOOKS_H
#define BRIG_HOOKS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "ocispec.h"

/* Run HOOKS[0..n) in order with STATE_JSON on stdin.  WHICH
   ("createRuntime", ...) names them in errors.  The first failure stops
   the others, unless KEEP_GOING (poststart, poststop: the spec wants the
   rest run and the failure only logged); *err then holds the first. */
int brig_hooks_run (struct oci_hook **hooks, size_t n, const char *which, const char *state_json,
                    bool keep_going, struct brig_error **err);

#endif
