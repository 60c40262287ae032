#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>

#include "cmd.h"
#include "signals.h"

int
cmd_kill (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  static const struct option o[] = {
    { "all", no_argument, NULL, 'a' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  static const char *const h[] = { "signal every process of the container", "this help" };
  bool all = false;
  int c, sig = SIGTERM;

  while ((c = getopt_long (argc, argv, "+ah", o, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'h':
        brig_cmd_help ("kill", o, h);
        exit (0);
      default:
        return brig_error_set (err, 0, "kill: unknown option `%s`", argv[optind - 1]), 1;
      }
  if (argc - optind == 2)
    {
      sig = brig_parse_signal (argv[optind + 1]);
      if (sig < 0)
        return brig_error_set (err, 0, "kill: unknown signal `%s`", argv[optind + 1]), 1;
      argc--;
    }
  if (brig_cmd_args (argc, argv, 1, "kill", err) < 0)
    return 1;
  return brig_container_kill (g, argv[optind], sig, all, err) < 0 ? 1 : 0;
}
