#define _GNU_SOURCE
#include <poll.h>
#include <sys/file.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup.h"
#include "cmd.h"
#include "state.h"
#include "utils.h"

static int
stats_once (struct brig_global *g, const char *id, struct brig_error **err)
{
  _cleanup_close_ int dirfd = -1;
  struct brig_state *st = NULL;
  struct brig_cgroup *cg = NULL;
  char *json = NULL;
  int ret = -1;

  if (brig_container_load (g, id, &dirfd, &st, err) < 0)
    return -1;
  if (brig_state_status (dirfd, st) == BRIG_STOPPED)
    brig_error_set (err, 0, "events `%s`: container not running", id);
  else if (brig_cgroup_load (st, &cg, err) < 0)
    ;
  else if (cg == NULL)
    brig_error_set (err, 0, "events `%s`: the container has no cgroup", id);
  else if (brig_cgroup_stats (cg, id, &json, err) == 0)
    {
      puts (json);
      fflush (stdout);
      free (json);
      ret = 0;
    }
  if (cg)
    brig_cgroup_free (cg);
  ocispec_free (&brig_state_type, st);
  return ret;
}

/* Stats every INTERVAL seconds and an {"type":"oom"} line for each OOM
   kill, until the container stops (runc's event stream). */
static int
stream (struct brig_global *g, const char *id, int interval, struct brig_error **err)
{
  _cleanup_close_ int dirfd = -1;
  struct brig_state *st = NULL;
  struct brig_cgroup *cg = NULL;
  struct brig_cgroup_oom *oom = NULL;
  int ret = -1;

  if (brig_container_load (g, id, &dirfd, &st, err) < 0)
    return -1;
  /* a stream lasts as long as the container: holding the state lock for
     it would block start, kill and delete */
  flock (dirfd, LOCK_UN);
  if (brig_cgroup_load (st, &cg, err) < 0)
    goto out;
  if (cg == NULL)
    {
      brig_error_set (err, 0, "events `%s`: the container has no cgroup", id);
      goto out;
    }
  if (brig_cgroup_oom_open (cg, &oom, NULL) < 0)
    oom = NULL;
  for (;;)
    {
      struct pollfd p = { oom ? brig_cgroup_oom_fd (oom) : -1, POLLIN, 0 };
      int64_t deadline;
      struct timespec now;
      if (brig_state_status (dirfd, st) == BRIG_STOPPED)
        {
          ret = 0;
          break;
        }
      if (stats_once (g, id, err) < 0)
        break;
      clock_gettime (CLOCK_MONOTONIC, &now);
      deadline = now.tv_sec * 1000LL + now.tv_nsec / 1000000 + interval * 1000LL;
      for (;;)
        {
          int left;
          clock_gettime (CLOCK_MONOTONIC, &now);
          left = (int) (deadline - (now.tv_sec * 1000LL + now.tv_nsec / 1000000));
          if (left <= 0)
            break;
          if (poll (&p, p.fd >= 0 ? 1 : 0, left) > 0 && (p.revents & POLLIN))
            {
              uint64_t n = 0;
              if (brig_cgroup_oom_read (oom, &n, NULL) == 0 && n > 0)
                {
                  printf ("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
                  fflush (stdout);
                }
            }
        }
    }
out:
  if (oom)
    brig_cgroup_oom_free (oom);
  if (cg)
    brig_cgroup_free (cg);
  ocispec_free (&brig_state_type, st);
  return ret;
}

int
cmd_events (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  static const struct option o[] = {
    { "stats", no_argument, NULL, 's' },
    { "interval", required_argument, NULL, 'i' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  static const char *const h[] = { "print the stats once and exit", "seconds between stats (default 5s)",
                                   "this help" };
  bool once = false;
  int interval = 5, c;

  while ((c = getopt_long (argc, argv, "+h", o, NULL)) != -1)
    switch (c)
      {
      case 's':
        once = true;
        break;
      case 'i':
        {
          char *s = optarg;
          size_t l = strlen (s);
          if (l && s[l - 1] == 's')
            s[l - 1] = '\0';
          if (brig_parse_int (s, &interval) < 0 || interval <= 0)
            return brig_error_set (err, 0, "events: --interval: invalid value `%s`", optarg), 1;
          break;
        }
      case 'h':
        brig_cmd_help ("events", o, h);
        exit (0);
      default:
        return brig_error_set (err, 0, "events: unknown option `%s`", argv[optind - 1]), 1;
      }
  if (brig_cmd_args (argc, argv, 1, "events", err) < 0)
    return 1;
  if (once)
    return stats_once (g, argv[optind], err) < 0 ? 1 : 0;
  return stream (g, argv[optind], interval, err) < 0 ? 1 : 0;
}
