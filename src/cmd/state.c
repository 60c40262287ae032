#include <stdio.h>

#include "simple.h"

int
cmd_state (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  char *json = NULL;
  if (simple_args (argc, argv, "state", err) < 0)
    return 1;
  if (brig_container_state_json (g, argv[optind], true, &json, err) < 0)
    return 1;
  puts (json);
  free (json);
  return 0;
}
