#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cmd.h"
#include "rootless.h"
#include "state.h"
#include "utils.h"

/* The pids of the container: its cgroup's, or just the init without one. */
static int
container_pids (struct brig_global *g, const char *id, pid_t **pids, size_t *n, struct brig_error **err)
{
  _cleanup_close_ int dirfd = -1;
  struct brig_state *st = NULL;
  struct brig_cgroup *cg = NULL;
  int r = 0;

  if (brig_container_load (g, id, &dirfd, &st, err) < 0)
    return -1;
  *pids = NULL;
  *n = 0;
  if (brig_state_status (dirfd, st) != BRIG_STOPPED)
    {
      if (brig_cgroup_load (st, &cg, NULL) == 0 && cg)
        {
          r = brig_cgroup_pids (cg, pids, n, err);
          brig_cgroup_free (cg);
        }
      else
        r = brig_rootless_pids (st->pid, pids, n);
    }
  ocispec_free (&brig_state_type, st);
  return r;
}

int
cmd_ps (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  static const struct option o[] = {
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  static const char *const h[] = { "table or json", "this help" };
  const char *format = "table";
  pid_t *pids = NULL;
  size_t n = 0, i;
  int c;

  while ((c = getopt_long (argc, argv, "+f:h", o, NULL)) != -1)
    switch (c)
      {
      case 'f':
        format = optarg;
        break;
      case 'h':
        brig_cmd_help ("ps", o, h);
        exit (0);
      default:
        return brig_error_set (err, 0, "ps: unknown option `%s`", argv[optind - 1]), 1;
      }
  if (argc - optind < 1)
    return brig_error_set (err, 0, "ps: missing container id"), 1;
  if (strcmp (format, "json") != 0 && strcmp (format, "table") != 0)
    return brig_error_set (err, 0, "ps: --format: unknown format `%s` (table or json)", format), 1;
  if (container_pids (g, argv[optind], &pids, &n, err) < 0)
    return 1;
  if (strcmp (format, "json") == 0)
    {
      fputc ('[', stdout);
      for (i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", (int) pids[i]);
      fputs ("]\n", stdout);
      free (pids);
      return 0;
    }
  {
    /* `ps` with the caller's arguments (default -ef), keeping the header
       and the container's lines, as runc does */
    int pipefd[2], status;
    pid_t child;
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    int pidcol = -1, lineno = 0;
    char **pargv = xcalloc (argc - optind + 2, sizeof (char *));
    int k = 0;

    pargv[k++] = (char *) "ps";
    if (argc - optind > 1)
      for (i = optind + 1; i < (size_t) argc; i++)
        pargv[k++] = argv[i];
    else
      pargv[k++] = (char *) "-ef";
    if (pipe (pipefd) < 0)
      return brig_error_set (err, errno, "ps: pipe"), 1;
    child = fork ();
    if (child == 0)
      {
        dup2 (pipefd[1], 1);
        close (pipefd[0]);
        execvp ("ps", pargv);
        _exit (127);
      }
    close (pipefd[1]);
    f = fdopen (pipefd[0], "r");
    while (getline (&line, &cap, f) > 0)
      {
        if (lineno++ == 0)
          {
            /* find the PID column in the header */
            char *copy = xstrdup (line), *tok, *save = NULL;
            int col = 0;
            for (tok = strtok_r (copy, " \t\n", &save); tok; tok = strtok_r (NULL, " \t\n", &save), col++)
              if (strcmp (tok, "PID") == 0)
                pidcol = col;
            free (copy);
            fputs (line, stdout);
            continue;
          }
        {
          char *copy = xstrdup (line), *tok, *save = NULL;
          int col = 0, pid = -1;
          for (tok = strtok_r (copy, " \t\n", &save); tok; tok = strtok_r (NULL, " \t\n", &save), col++)
            if (col == pidcol)
              {
                brig_parse_int (tok, &pid);
                break;
              }
          free (copy);
          for (i = 0; i < n; i++)
            if (pids[i] == pid)
              fputs (line, stdout);
        }
      }
    free (line);
    fclose (f);
    waitpid (child, &status, 0);
    free (pargv);
    free (pids);
    if (pidcol < 0)
      return brig_error_set (err, 0, "ps: no PID column in the output of ps"), 1;
  }
  return 0;
}
