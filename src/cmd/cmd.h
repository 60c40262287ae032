/* The subcommands: each parses its own flags (runc's names) and calls
 * libbrig.  Returns the process exit status; errors are reported through
 * *err and printed once by main. */
#ifndef BRIG_CMD_H
#define BRIG_CMD_H

#include <getopt.h>
#include <stdbool.h>

#include "container.h"
#include "error.h"

typedef int (*brig_cmd_fn) (int argc, char **argv, struct brig_global *g, struct brig_error **err);

struct brig_cmd
{
  const char *name;
  brig_cmd_fn fn;
  const char *usage;    /* one line: arguments */
  const char *summary;
  bool enters_container; /* runs code inside a container: protect the binary */
};

int cmd_create (int, char **, struct brig_global *, struct brig_error **);
int cmd_start (int, char **, struct brig_global *, struct brig_error **);
int cmd_run (int, char **, struct brig_global *, struct brig_error **);
int cmd_state (int, char **, struct brig_global *, struct brig_error **);
int cmd_kill (int, char **, struct brig_global *, struct brig_error **);
int cmd_delete (int, char **, struct brig_global *, struct brig_error **);
int cmd_list (int, char **, struct brig_global *, struct brig_error **);
int cmd_spec (int, char **, struct brig_global *, struct brig_error **);
int cmd_exec (int, char **, struct brig_global *, struct brig_error **);
int cmd_ps (int, char **, struct brig_global *, struct brig_error **);
int cmd_pause (int, char **, struct brig_global *, struct brig_error **);
int cmd_resume (int, char **, struct brig_global *, struct brig_error **);
int cmd_update (int, char **, struct brig_global *, struct brig_error **);
int cmd_events (int, char **, struct brig_global *, struct brig_error **);
int cmd_features (int, char **, struct brig_global *, struct brig_error **);
int cmd_check (int, char **, struct brig_global *, struct brig_error **);

/* The command table (brig.c), for --help. */
const struct brig_cmd *brig_find_cmd (const char *name);
/* Print "Usage: brig NAME ARGS" and the options, for `--help`. */
void brig_cmd_help (const char *name, const struct option *opts, const char *const *help);

/* Exactly N positional arguments left (after getopt), or an error. */
int brig_cmd_args (int argc, char **argv, int want, const char *cmd, struct brig_error **err);
/* Parse "true"/"false"/"1"/"0". */
int brig_parse_bool (const char *s, bool *out);

#endif
