#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "utils.h"

static int log_fd = -1;
static bool log_json;
static bool log_debug;
static bool log_to_stderr = true;

int
brig_log_init (const char *path, bool json, bool debug, struct brig_error **err)
{
  log_json = json;
  log_debug = debug;
  if (path == NULL || *path == '\0')
    return 0;
  log_fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (log_fd < 0)
    return brig_error_set (err, errno, "open log file `%s`", path);
  /* Warnings belong in the log, not on stderr, which engines show as the
     container's output (or treat as a failure). */
  log_to_stderr = false;
  return 0;
}

int
brig_log_fd (void)
{
  return log_fd;
}

static const char *
level_name (enum brig_log_level l)
{
  switch (l)
    {
    case BRIG_LOG_ERROR:
      return "error";
    case BRIG_LOG_WARNING:
      return "warning";
    case BRIG_LOG_INFO:
      return "info";
    default:
      return "debug";
    }
}

/* JSON string escaping for the log line. */
static void
json_escape (char *out, size_t outlen, const char *s)
{
  size_t o = 0;
  for (; *s && o + 7 < outlen; s++)
    {
      unsigned char c = *s;
      if (c == '"' || c == '\\')
        {
          out[o++] = '\\';
          out[o++] = c;
        }
      else if (c == '\n')
        {
          out[o++] = '\\';
          out[o++] = 'n';
        }
      else if (c < 0x20)
        o += snprintf (out + o, outlen - o, "\\u%04x", c);
      else
        out[o++] = c;
    }
  out[o] = '\0';
}

static void
write_line (enum brig_log_level level, const char *msg)
{
  char line[8192];
  int n;

  if (log_fd < 0)
    return;
  if (log_json)
    {
      char esc[6144];
      _cleanup_free_ char *now = brig_now_rfc3339 ();
      json_escape (esc, sizeof (esc), msg);
      n = snprintf (line, sizeof (line), "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n",
                    level_name (level), esc, now);
    }
  else
    {
      _cleanup_free_ char *now = brig_now_rfc3339 ();
      n = snprintf (line, sizeof (line), "%s %s: %s\n", now, level_name (level), msg);
    }
  if (n > 0)
    brig_write_all (log_fd, line, (size_t) n < sizeof (line) ? (size_t) n : sizeof (line) - 1);
}

void
brig_log (enum brig_log_level level, const char *fmt, ...)
{
  char msg[4096];
  va_list ap;
  int saved = errno;

  if (level == BRIG_LOG_DEBUG && ! log_debug)
    return;
  va_start (ap, fmt);
  vsnprintf (msg, sizeof (msg), fmt, ap);
  va_end (ap);
  write_line (level, msg);
  if (log_fd < 0 && log_to_stderr && level <= BRIG_LOG_WARNING)
    dprintf (2, "brig: %s: %s\n", level_name (level), msg);
  errno = saved;
}

void
brig_log_error (const struct brig_error *err)
{
  const char *msg = err && err->msg ? err->msg : "unknown error";
  write_line (BRIG_LOG_ERROR, msg);
  dprintf (2, "brig: %s\n", msg);
}
