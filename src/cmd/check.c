#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cmd.h"
#include "utils.h"

static void
json_str (const char *s)
{
  putchar ('"');
  for (; s && *s; s++)
    {
      unsigned char ch = (unsigned char) *s;
      if (ch == '"' || ch == '\\')
        printf ("\\%c", ch);
      else if (ch == '\n')
        fputs ("\\n", stdout);
      else if (ch == '\t')
        fputs ("\\t", stdout);
      else if (ch < 0x20)
        printf ("\\u%04x", ch);
      else
        putchar (ch);
    }
  putchar ('"');
}

/* `brig check [--format text|json]`: exit 0 only when every check holds. */
int
cmd_check (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  static const struct option o[] = {
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  static const char *const h[] = { "text or json", "this help" };
  const char *format = "text";
  struct brig_check_ctx ctx;
  struct brig_check_result *res;
  const struct brig_check *checks;
  size_t n, i, failed = 0;
  bool all;
  int c;

  while ((c = getopt_long (argc, argv, "+f:h", o, NULL)) != -1)
    switch (c)
      {
      case 'f':
        format = optarg;
        break;
      case 'h':
        brig_cmd_help ("check", o, h);
        exit (0);
      default:
        return brig_error_set (err, 0, "check: unknown option `%s`", argv[optind - 1]), 1;
      }
  if (strcmp (format, "text") != 0 && strcmp (format, "json") != 0)
    return brig_error_set (err, 0, "check: --format: unknown format `%s` (text or json)", format), 1;
  if (argc > optind)
    return brig_error_set (err, 0, "check: unexpected argument `%s`", argv[optind]), 1;

  checks = brig_checks (&n);
  res = xcalloc (n, sizeof (*res));
  brig_check_ctx_init (&ctx);
  all = brig_checks_run (&ctx, res);
  for (i = 0; i < n; i++)
    failed += ! res[i].ok;

  if (strcmp (format, "json") == 0)
    {
      printf ("{\"ok\": %s, \"uid\": %u, \"user\": ", all ? "true" : "false", (unsigned) ctx.uid);
      if (ctx.user)
        json_str (ctx.user);
      else
        fputs ("null", stdout);
      printf (", \"failed\": %zu, \"checks\": [", failed);
      for (i = 0; i < n; i++)
        {
          printf ("%s\n  {\"name\": ", i ? "," : "");
          json_str (checks[i].name);
          fputs (", \"title\": ", stdout);
          json_str (checks[i].title);
          printf (", \"ok\": %s, \"detail\": ", res[i].ok ? "true" : "false");
          json_str (res[i].detail);
          fputs (", \"fix\": ", stdout);
          if (res[i].fix && ! res[i].ok)
            json_str (res[i].fix);
          else
            fputs ("null", stdout);
          putchar ('}');
        }
      puts ("\n]}");
    }
  else
    {
      printf ("rootless prerequisites for %s (uid %u):\n", ctx.user ? ctx.user : "?", (unsigned) ctx.uid);
      if (ctx.uid == 0)
        printf ("(run `brig check` as the user who will run containers: these results are root's)\n");
      for (i = 0; i < n; i++)
        {
          printf ("%-4s %-32s %s\n", res[i].ok ? "ok" : "FAIL", checks[i].name, res[i].detail);
          if (! res[i].ok && res[i].fix)
            printf ("     %-32s fix: %s\n", "", res[i].fix);
        }
      if (all)
        printf ("all %zu checks hold\n", n);
      else
        printf ("%zu of %zu checks fail\n", failed, n);
    }
  fflush (stdout);
  for (i = 0; i < n; i++)
    {
      free (res[i].detail);
      free (res[i].fix);
    }
  free (res);
  brig_check_ctx_clear (&ctx);
  return all ? 0 : 1;
}
