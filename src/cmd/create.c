#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "utils.h"

/* Flags shared by create and run (run adds its own). */
enum
{
  O_BUNDLE = 'b',
  O_PIDFILE = 256,
  O_CONSOLE,
  O_NOPIVOT,
  O_NOKEYRING,
  O_PRESERVE,
  O_PIDFD,
  O_DETACH = 'd',
  O_KEEP = 300,
  O_NOSUBREAPER,
  O_CONFIG,
};

static const struct option create_opts[] = {
  { "bundle", required_argument, NULL, O_BUNDLE },
  { "pid-file", required_argument, NULL, O_PIDFILE },
  { "console-socket", required_argument, NULL, O_CONSOLE },
  { "no-pivot", no_argument, NULL, O_NOPIVOT },
  { "no-new-keyring", no_argument, NULL, O_NOKEYRING },
  { "preserve-fds", required_argument, NULL, O_PRESERVE },
  { "pidfd-socket", required_argument, NULL, O_PIDFD },
  { "config", required_argument, NULL, O_CONFIG },
  { "detach", no_argument, NULL, O_DETACH },
  { "keep", no_argument, NULL, O_KEEP },
  { "no-subreaper", no_argument, NULL, O_NOSUBREAPER },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};
static const char *const create_help[] = {
  "bundle directory (default: the current directory)",
  "write the container's pid to this file",
  "unix socket that receives the pty master (process.terminal)",
  "do not use pivot_root (for a ramdisk rootfs)",
  "do not create a new session keyring",
  "pass N more fds (3..3+N-1) to the container, besides $LISTEN_FDS",
  "unix socket that receives a pidfd of the container",
  "config file (default: BUNDLE/config.json)",
  "(run) do not wait for the container",
  "(run) keep the container's state after it exits",
  "(run) accepted for runc compatibility",
  "this help",
};

static int
parse_create (int argc, char **argv, bool is_run, struct brig_create_opts *o, bool *detach, bool *keep,
              struct brig_error **err)
{
  int c;
  int listen_fds = 0;
  const char *lf = getenv ("LISTEN_FDS");

  if (lf && brig_parse_int (lf, &listen_fds) < 0)
    listen_fds = 0;
  o->preserve_fds = listen_fds > 0 ? listen_fds : 0;
  while ((c = getopt_long (argc, argv, is_run ? "+b:dh" : "+b:h", create_opts, NULL)) != -1)
    switch (c)
      {
      case O_BUNDLE:
        o->bundle = optarg;
        break;
      case O_PIDFILE:
        o->pid_file = optarg;
        break;
      case O_CONSOLE:
        o->console_socket = optarg;
        break;
      case O_NOPIVOT:
        o->no_pivot = true;
        break;
      case O_NOKEYRING:
        o->no_new_keyring = true;
        break;
      case O_PRESERVE:
        {
          int n;
          if (brig_parse_int (optarg, &n) < 0 || n < 0)
            return brig_error_set (err, 0, "--preserve-fds: invalid value `%s`", optarg);
          o->preserve_fds += n;
          break;
        }
      case O_PIDFD:
        o->pidfd_socket = optarg;
        break;
      case O_CONFIG:
        o->config = optarg;
        break;
      case O_DETACH:
      case O_KEEP:
      case O_NOSUBREAPER:
        if (! is_run)
          return brig_error_set (err, 0, "create: unknown option `%s`", argv[optind - 1]);
        if (c == O_DETACH)
          *detach = true;
        if (c == O_KEEP)
          *keep = true;
        break;
      case 'h':
        brig_cmd_help (is_run ? "run" : "create", create_opts, create_help);
        exit (0);
      default:
        return brig_error_set (err, 0, "%s: unknown option `%s`", is_run ? "run" : "create", argv[optind - 1]);
      }
  if (brig_cmd_args (argc, argv, 1, is_run ? "run" : "create", err) < 0)
    return -1;
  o->id = argv[optind];
  return 0;
}

int
cmd_create (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  struct brig_create_opts o = { 0 };
  o.g = g;
  if (parse_create (argc, argv, false, &o, NULL, NULL, err) < 0)
    return 1;
  return brig_container_create (&o, NULL, err) < 0 ? 1 : 0;
}

int
cmd_run (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  struct brig_create_opts o = { 0 };
  bool detach = false, keep = false;
  int status = 0;
  o.g = g;
  if (parse_create (argc, argv, true, &o, &detach, &keep, err) < 0)
    return 1;
  o.foreground = ! detach;
  if (brig_container_run (&o, detach, keep, &status, err) < 0)
    return 1;
  return status;
}
