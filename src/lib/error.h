/* Chained errors: a fallible function returns < 0 and fills *err.
 *
 *   if (mount (...) < 0)
 *     return brig_error_set (err, errno, "mount proc on `%s`", target);
 *
 * gives "mount proc on `/proc`: Operation not permitted".  A caller that
 * wants to add context calls brig_error_prefix (err, "create container").
 * The top level prints the message once (see log.h). */
#ifndef BRIG_ERROR_H
#define BRIG_ERROR_H

#include <stdarg.h>

struct brig_error
{
  int errnum;   /* errno of the root cause, 0 when none */
  char *msg;    /* full message, strerror included */
};

/* Fill *err (if err is not NULL and *err is empty) and return -1.
   errnum 0 means no strerror suffix. */
int brig_error_set (struct brig_error **err, int errnum, const char *fmt, ...)
  __attribute__ ((format (printf, 3, 4)));
int brig_error_setv (struct brig_error **err, int errnum, const char *fmt, va_list ap);

/* Prepend "PREFIX: " to an existing error; returns -1. */
int brig_error_prefix (struct brig_error **err, const char *fmt, ...)
  __attribute__ ((format (printf, 2, 3)));

void brig_error_free (struct brig_error **err);

/* Move an error from SRC into *DST (freeing any previous one). */
void brig_error_move (struct brig_error **dst, struct brig_error **src);

#endif
