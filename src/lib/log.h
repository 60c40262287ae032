/* Logging: errors and warnings to stderr and, with --log, to a file in
 * text or JSON ({"level","msg","time"} per line, as engines read it). */
#ifndef BRIG_LOG_H
#define BRIG_LOG_H

#include <stdbool.h>

#include "error.h"

enum brig_log_level
{
  BRIG_LOG_ERROR,
  BRIG_LOG_WARNING,
  BRIG_LOG_INFO,
  BRIG_LOG_DEBUG,
};

/* PATH may be NULL (stderr only).  json selects --log-format json. */
int brig_log_init (const char *path, bool json, bool debug, struct brig_error **err);
void brig_log (enum brig_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
#define brig_warn(...) brig_log (BRIG_LOG_WARNING, __VA_ARGS__)
#define brig_debug(...) brig_log (BRIG_LOG_DEBUG, __VA_ARGS__)

/* Print the final error once: "brig: MSG" on stderr, and an error line in
   the log file. */
void brig_log_error (const struct brig_error *err);

/* The log fd (or -1), for processes that must keep it across setup. */
int brig_log_fd (void);

#endif
