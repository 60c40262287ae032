#include "simple.h"

int
cmd_start (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  if (simple_args (argc, argv, "start", err) < 0)
    return 1;
  return brig_container_start (g, argv[optind], err) < 0 ? 1 : 0;
}
