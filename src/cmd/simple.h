/* Commands that take an id and at most a flag or two share this. */
#ifndef BRIG_CMD_SIMPLE_H
#define BRIG_CMD_SIMPLE_H

#include <stdlib.h>

#include "cmd.h"

/* Parse only --help for NAME; the id must follow. */
static inline int
simple_args (int argc, char **argv, const char *name, struct brig_error **err)
{
  static const struct option o[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
  static const char *const h[] = { "this help" };
  int c;
  while ((c = getopt_long (argc, argv, "+h", o, NULL)) != -1)
    {
      if (c == 'h')
        {
          brig_cmd_help (name, o, h);
          exit (0);
        }
      return brig_error_set (err, 0, "%s: unknown option `%s`", name, argv[optind - 1]);
    }
  return brig_cmd_args (argc, argv, 1, name, err);
}

#endif
