#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "exec.h"
#include "utils.h"

enum
{
  E_PROCESS = 'p',
  E_TTY = 't',
  E_DETACH = 'd',
  E_ENV = 'e',
  E_USER = 'u',
  E_GIDS = 'g',
  E_CAP = 'c',
  E_CWD = 256,
  E_PIDFILE,
  E_CONSOLE,
  E_NNP,
  E_APPARMOR,
  E_LABEL,
  E_PRESERVE,
  E_CGROUP,
  E_IGNORE_PAUSED,
  E_PIDFD,
};

int
cmd_exec (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  static const struct option o[] = {
    { "process", required_argument, NULL, E_PROCESS },
    { "tty", no_argument, NULL, E_TTY },
    { "detach", no_argument, NULL, E_DETACH },
    { "env", required_argument, NULL, E_ENV },
    { "user", required_argument, NULL, E_USER },
    { "additional-gids", required_argument, NULL, E_GIDS },
    { "cap", required_argument, NULL, E_CAP },
    { "cwd", required_argument, NULL, E_CWD },
    { "pid-file", required_argument, NULL, E_PIDFILE },
    { "console-socket", required_argument, NULL, E_CONSOLE },
    { "no-new-privs", no_argument, NULL, E_NNP },
    { "apparmor", required_argument, NULL, E_APPARMOR },
    { "process-label", required_argument, NULL, E_LABEL },
    { "preserve-fds", required_argument, NULL, E_PRESERVE },
    { "cgroup", required_argument, NULL, E_CGROUP },
    { "ignore-paused", no_argument, NULL, E_IGNORE_PAUSED },
    { "pidfd-socket", required_argument, NULL, E_PIDFD },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  static const char *const h[] = {
    "process.json for the new process", "allocate a pseudo-TTY", "do not wait for the process",
    "set an environment variable (repeatable)", "uid[:gid]", "additional gid (repeatable)",
    "add a capability (repeatable)", "working directory", "write the process's pid to this file",
    "unix socket that receives the pty master", "set no_new_privileges", "AppArmor profile",
    "SELinux label", "pass N more fds to the process", "sub-cgroup to join", "exec into a paused container",
    "unix socket that receives a pidfd", "this help",
  };
  struct brig_exec_opts e = { 0 };
  char *envs[256], *caps[64];
  uint32_t gids[64];
  int c, status = 0;

  e.g = g;
  e.env = envs;
  e.caps = caps;
  e.extra_gids = gids;
  while ((c = getopt_long (argc, argv, "+p:tde:u:g:c:h", o, NULL)) != -1)
    switch (c)
      {
      case E_PROCESS:
        e.process_file = optarg;
        break;
      case E_TTY:
        e.tty = e.tty_set = true;
        break;
      case E_DETACH:
        e.detach = true;
        break;
      case E_ENV:
        if (e.n_env >= ARRAY_SIZE (envs))
          return brig_error_set (err, 0, "exec: too many --env"), 1;
        e.env[e.n_env++] = optarg;
        break;
      case E_USER:
        e.user = optarg;
        break;
      case E_GIDS:
        {
          char *s = optarg, *tok, *save = NULL;
          for (tok = strtok_r (s, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
            {
              if (e.n_extra_gids >= ARRAY_SIZE (gids) || brig_parse_u32 (tok, &gids[e.n_extra_gids]) < 0)
                return brig_error_set (err, 0, "exec: --additional-gids: invalid gid `%s`", tok), 1;
              e.n_extra_gids++;
            }
          break;
        }
      case E_CAP:
        if (e.n_caps >= ARRAY_SIZE (caps))
          return brig_error_set (err, 0, "exec: too many --cap"), 1;
        e.caps[e.n_caps++] = optarg;
        break;
      case E_CWD:
        e.cwd = optarg;
        break;
      case E_PIDFILE:
        e.pid_file = optarg;
        break;
      case E_CONSOLE:
        e.console_socket = optarg;
        break;
      case E_NNP:
        e.no_new_privs = true;
        break;
      case E_APPARMOR:
        e.apparmor = optarg;
        break;
      case E_LABEL:
        e.process_label = optarg;
        break;
      case E_PRESERVE:
        if (brig_parse_int (optarg, &e.preserve_fds) < 0 || e.preserve_fds < 0)
          return brig_error_set (err, 0, "exec: --preserve-fds: invalid value `%s`", optarg), 1;
        break;
      case E_CGROUP:
        e.cgroup = optarg;
        break;
      case E_IGNORE_PAUSED:
        e.ignore_paused = true;
        break;
      case E_PIDFD:
        e.pidfd_socket = optarg;
        break;
      case 'h':
        brig_cmd_help ("exec", o, h);
        exit (0);
      default:
        return brig_error_set (err, 0, "exec: unknown option `%s`", argv[optind - 1]), 1;
      }
  if (argc - optind < 1)
    return brig_error_set (err, 0, "exec: missing container id"), 1;
  e.id = argv[optind];
  e.args = argv + optind + 1;
  e.n_args = argc - optind - 1;
  if (e.process_file == NULL && e.n_args == 0)
    return brig_error_set (err, 0, "exec: missing the command (or --process)"), 1;
  if (brig_container_exec (&e, &status, err) < 0)
    return 255;
  return status;
}
