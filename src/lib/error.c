#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

int
brig_error_setv (struct brig_error **err, int errnum, const char *fmt, va_list ap)
{
  char *base = NULL, *full = NULL;
  struct brig_error *e;

  if (err == NULL || *err != NULL)
    return -1;
  if (vasprintf (&base, fmt, ap) < 0)
    base = NULL;
  if (base && errnum)
    {
      if (asprintf (&full, "%s: %s", base, strerror (errnum)) < 0)
        full = NULL;
      free (base);
    }
  else
    full = base;

  e = calloc (1, sizeof (*e));
  if (e == NULL)
    {
      free (full);
      return -1;
    }
  e->errnum = errnum;
  e->msg = full ? full : strdup ("out of memory");
  *err = e;
  return -1;
}

int
brig_error_set (struct brig_error **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = brig_error_setv (err, errnum, fmt, ap);
  va_end (ap);
  return ret;
}

int
brig_error_prefix (struct brig_error **err, const char *fmt, ...)
{
  char *prefix = NULL, *full = NULL;
  va_list ap;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&prefix, fmt, ap) < 0)
    prefix = NULL;
  va_end (ap);
  if (prefix == NULL)
    return -1;
  if (asprintf (&full, "%s: %s", prefix, (*err)->msg) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = full;
    }
  free (prefix);
  return -1;
}

void
brig_error_free (struct brig_error **err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}

void
brig_error_move (struct brig_error **dst, struct brig_error **src)
{
  brig_error_free (dst);
  *dst = *src;
  *src = NULL;
}
