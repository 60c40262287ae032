/* brig: the command line.  Global flags, then one subcommand (runc's
 * command line, so engines can drive brig unchanged). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "log.h"
#include "selfexe.h"
#include "state.h"
#include "userns.h"
#include "utils.h"

extern char **environ;

static const struct brig_cmd commands[] = {
  { "create", cmd_create, "[options] <container-id>", "create a container", true },
  { "start", cmd_start, "<container-id>", "start a created container", false },
  { "run", cmd_run, "[options] <container-id>", "create and start a container", true },
  { "state", cmd_state, "<container-id>", "print the state of a container", false },
  { "kill", cmd_kill, "[options] <container-id> [signal]", "send a signal to a container", false },
  { "delete", cmd_delete, "[options] <container-id>", "delete a container", false },
  { "list", cmd_list, "[options]", "list containers", false },
  { "spec", cmd_spec, "[options]", "write a new config.json", false },
  { "exec", cmd_exec, "[options] <container-id> [command...]", "run a process in a container", true },
  { "ps", cmd_ps, "[options] <container-id> [ps options]", "list the processes of a container", false },
  { "pause", cmd_pause, "<container-id>", "freeze every process of a container", false },
  { "resume", cmd_resume, "<container-id>", "thaw a paused container", false },
  { "update", cmd_update, "[options] <container-id>", "change a container's resources", false },
  { "events", cmd_events, "[options] <container-id>", "stats and events of a container", false },
  { "features", cmd_features, "", "print what this build supports (JSON)", false },
  { "check", cmd_check, "[--format text|json]", "check the host for rootless containers", false },
};

const struct brig_cmd *
brig_find_cmd (const char *name)
{
  size_t i;
  for (i = 0; i < ARRAY_SIZE (commands); i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

void
brig_cmd_help (const char *name, const struct option *opts, const char *const *help)
{
  const struct brig_cmd *c = brig_find_cmd (name);
  int i;
  printf ("Usage: brig %s %s\n\n%s\n", name, c ? c->usage : "", c ? c->summary : "");
  if (opts && opts[0].name)
    {
      printf ("\nOptions:\n");
      for (i = 0; opts[i].name; i++)
        {
          if (help[i] == NULL)
            continue;
          if (opts[i].val > 0 && opts[i].val < 128)
            printf ("  -%c, --%-22s %s\n", opts[i].val, opts[i].name, help[i]);
          else
            printf ("      --%-22s %s\n", opts[i].name, help[i]);
        }
    }
}

int
brig_cmd_args (int argc, char **argv, int want, const char *cmd, struct brig_error **err)
{
  int have = argc - optind;
  if (have < want)
    return brig_error_set (err, 0, "%s: missing container id (usage: brig %s %s)", cmd, cmd,
                           brig_find_cmd (cmd) ? brig_find_cmd (cmd)->usage : "");
  if (have > want)
    return brig_error_set (err, 0, "%s: unexpected argument `%s`", cmd, argv[optind + want]);
  return 0;
}

int
brig_parse_bool (const char *s, bool *out)
{
  if (s == NULL || strcmp (s, "true") == 0 || strcmp (s, "1") == 0)
    *out = true;
  else if (strcmp (s, "false") == 0 || strcmp (s, "0") == 0)
    *out = false;
  else
    return -1;
  return 0;
}

static void
usage (FILE *f)
{
  size_t i;
  fprintf (f, "Usage: brig [global options] COMMAND [options] [arguments]\n\n"
              "brig runs OCI containers (a runc-compatible runtime).\n\nCommands:\n");
  for (i = 0; i < ARRAY_SIZE (commands); i++)
    fprintf (f, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (f, "\nGlobal options:\n"
              "  --root DIR              state directory (default /run/brig, $XDG_RUNTIME_DIR/brig when rootless)\n"
              "  --log FILE              log file (engines read errors there)\n"
              "  --log-format text|json  format of the log file\n"
              "  --debug                 debug messages in the log\n"
              "  --systemd-cgroup        use the systemd cgroup driver (cgroupsPath slice:prefix:name)\n"
              "  --cgroup-manager M      cgroupfs, systemd or disabled\n"
              "  --rootless true|false|auto\n"
              "  -v, --version           print the version\n"
              "  -h, --help              this help\n");
}

static void
version (void)
{
  const struct scmp_version *sv = seccomp_version ();
  printf ("brig version %s\nspec: %s\nlibseccomp: %u.%u.%u\n+CAP +SECCOMP"
#ifdef HAVE_SYSTEMD
          " +SYSTEMD"
#endif
#ifdef HAVE_SELINUX
          " +SELINUX"
#endif
          " +APPARMOR +YAJL\n",
          PACKAGE_VERSION, BRIG_SPEC_VERSION, sv->major, sv->minor, sv->micro);
}

enum
{
  OPT_ROOT = 256,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD,
  OPT_ROOTLESS,
  OPT_CGMGR,
  OPT_LOG_LEVEL,
  OPT_CRIU,
};

int
main (int argc, char **argv)
{
  static const struct option opts[] = {
    { "root", required_argument, NULL, OPT_ROOT },
    { "log", required_argument, NULL, OPT_LOG },
    { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
    { "log-level", required_argument, NULL, OPT_LOG_LEVEL },
    { "debug", no_argument, NULL, OPT_DEBUG },
    { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD },
    { "cgroup-manager", required_argument, NULL, OPT_CGMGR },
    { "rootless", required_argument, NULL, OPT_ROOTLESS },
    { "criu", required_argument, NULL, OPT_CRIU },
    { "version", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  struct brig_global g = { 0 };
  struct brig_error *err = NULL;
  const char *log_path = NULL, *rootless = "auto";
  _cleanup_free_ char *root = NULL;
  const struct brig_cmd *cmd;
  bool json = false;
  int c, ret;

  /* a hook or a reader that goes away must never kill brig */
  signal (SIGPIPE, SIG_IGN);

  opterr = 0;
  while ((c = getopt_long (argc, argv, "+vh", opts, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOT:
        root = xstrdup (optarg);
        break;
      case OPT_LOG:
        log_path = optarg;
        break;
      case OPT_LOG_FORMAT:
        if (strcmp (optarg, "json") != 0 && strcmp (optarg, "text") != 0)
          {
            fprintf (stderr, "brig: --log-format: unknown format `%s` (text or json)\n", optarg);
            return 1;
          }
        json = strcmp (optarg, "json") == 0;
        break;
      case OPT_LOG_LEVEL:
        g.debug = strcmp (optarg, "debug") == 0;
        break;
      case OPT_DEBUG:
        g.debug = true;
        break;
      case OPT_SYSTEMD:
        g.systemd_cgroup = true;
        break;
      case OPT_CGMGR:
        if (strcmp (optarg, "systemd") == 0)
          g.systemd_cgroup = true;
        else if (strcmp (optarg, "disabled") == 0)
          g.cgroup_disabled = true;
        else if (strcmp (optarg, "cgroupfs") != 0)
          {
            fprintf (stderr, "brig: --cgroup-manager: unknown manager `%s`\n", optarg);
            return 1;
          }
        break;
      case OPT_ROOTLESS:
        rootless = optarg;
        break;
      case OPT_CRIU:
        break;
      case 'v':
        version ();
        return 0;
      case 'h':
        usage (stdout);
        return 0;
      default:
        fprintf (stderr, "brig: unknown global option `%s`\n", argv[optind - 1]);
        return 1;
      }

  if (optind >= argc)
    {
      usage (stderr);
      return 1;
    }
  cmd = brig_find_cmd (argv[optind]);
  if (cmd == NULL)
    {
      if (strcmp (argv[optind], "checkpoint") == 0 || strcmp (argv[optind], "restore") == 0)
        fprintf (stderr, "brig: %s: not supported by this build (no CRIU)\n", argv[optind]);
      else
        fprintf (stderr, "brig: unknown command `%s` (see brig --help)\n", argv[optind]);
      return 1;
    }

  /* auto: not root of the initial user namespace (a user, or root in a
     rootlesskit namespace), as runc decides */
  if (strcmp (rootless, "auto") == 0)
    g.rootless = brig_userns_running_rootless ();
  else if (brig_parse_bool (rootless, &g.rootless) < 0)
    {
      fprintf (stderr, "brig: --rootless: expected true, false or auto, got `%s`\n", rootless);
      return 1;
    }
  if (root == NULL)
    {
      /* state under $XDG_RUNTIME_DIR for a user; for root only when asked
         (--rootless true) and set.  Commands that keep no state (spec,
         features, check) work without it. */
      /* as runc: a user, or root of a user namespace that is not the
         host's (rootless podman runs its runtime that way) unless $USER
         says root */
      const char *xdg_env = getenv ("XDG_RUNTIME_DIR");
      const char *user = getenv ("USER");
      bool have_xdg = xdg_env != NULL && *xdg_env != '\0';
      bool xdg = geteuid () != 0
                 || (have_xdg && brig_userns_running_rootless () && (user == NULL || strcmp (user, "root") != 0))
                 || (strcmp (rootless, "auto") != 0 && g.rootless && have_xdg);
      root = brig_default_root (xdg, &err);
      if (root == NULL)
        {
          if (strcmp (cmd->name, "spec") != 0 && strcmp (cmd->name, "features") != 0
              && strcmp (cmd->name, "check") != 0)
            {
              brig_log_error (err);
              brig_error_free (&err);
              return 1;
            }
          brig_error_free (&err);
        }
    }
  g.root = root;

  if (brig_log_init (log_path, json, g.debug, &err) < 0)
    {
      brig_log_error (err);
      brig_error_free (&err);
      return 1;
    }

  if (cmd->enters_container && brig_selfexe_protect (argv, environ) < 0)
    {
      brig_error_set (&err, errno, "protect the brig binary (sealed copy)");
      brig_log_error (err);
      brig_error_free (&err);
      return 1;
    }

  /* the subcommand parses from its own name on */
  argc -= optind;
  argv += optind;
  optind = 0;
  opterr = 0;
  ret = cmd->fn (argc, argv, &g, &err);
  if (err)
    {
      brig_log_error (err);
      brig_error_free (&err);
      if (ret == 0)
        ret = 1;
    }
  return ret;
}
