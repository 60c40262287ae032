/* Minimal unit-test helpers: TAP-like lines, counted by tests/run.sh. */
#ifndef BRIG_UNIT_H
#define BRIG_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failed;

#define CHECK(cond, ...)                                                                                     \
  do                                                                                                         \
    {                                                                                                        \
      if (cond)                                                                                              \
        printf ("ok - ");                                                                                    \
      else                                                                                                   \
        {                                                                                                    \
          printf ("not ok - ");                                                                              \
          unit_failed = 1;                                                                                   \
        }                                                                                                    \
      printf (__VA_ARGS__);                                                                                  \
      printf ("\n");                                                                                         \
    }                                                                                                        \
  while (0)

#define UNIT_END() return unit_failed

#endif
