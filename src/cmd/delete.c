#include <stdlib.h>

#include "cmd.h"

int
cmd_delete (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  static const struct option o[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  static const char *const h[] = { "kill a running or paused container, then delete it", "this help" };
  bool force = false;
  int c;

  while ((c = getopt_long (argc, argv, "+fh", o, NULL)) != -1)
    switch (c)
      {
      case 'f':
        force = true;
        break;
      case 'h':
        brig_cmd_help ("delete", o, h);
        exit (0);
      default:
        return brig_error_set (err, 0, "delete: unknown option `%s`", argv[optind - 1]), 1;
      }
  if (brig_cmd_args (argc, argv, 1, "delete", err) < 0)
    return 1;
  return brig_container_delete (g, argv[optind], force, err) < 0 ? 1 : 0;
}
