#include "cgroup.h"
#include "simple.h"
#include "state.h"
#include "utils.h"

static int
freeze (int argc, char **argv, struct brig_global *g, bool on, struct brig_error **err)
{
  const char *name = on ? "pause" : "resume";
  _cleanup_close_ int dirfd = -1;
  struct brig_state *st = NULL;
  struct brig_cgroup *cg = NULL;
  enum brig_status s;
  int ret = 1;

  if (simple_args (argc, argv, name, err) < 0)
    return 1;
  if (brig_container_load (g, argv[optind], &dirfd, &st, err) < 0)
    return 1;
  s = brig_state_status (dirfd, st);
  if (on && s != BRIG_RUNNING && s != BRIG_CREATED)
    brig_error_set (err, 0, "cannot pause container `%s` in state %s: container not running", st->id,
                    brig_status_name (s));
  else if (! on && s != BRIG_PAUSED)
    brig_error_set (err, 0, "cannot resume container `%s` in state %s: container not paused", st->id,
                    brig_status_name (s));
  else if (brig_cgroup_load (st, &cg, err) < 0)
    ;
  else if (cg == NULL)
    brig_error_set (err, 0, "%s `%s`: the container has no cgroup to freeze", name, st->id);
  else if (brig_cgroup_freeze (cg, on, err) == 0)
    ret = 0;
  if (cg)
    brig_cgroup_free (cg);
  ocispec_free (&brig_state_type, st);
  return ret;
}

int
cmd_pause (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  return freeze (argc, argv, g, true, err);
}

int
cmd_resume (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  return freeze (argc, argv, g, false, err);
}
