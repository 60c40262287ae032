/* Shared bits of brig's libFuzzer targets (tests/fuzz/README.md). */
#ifndef BRIG_FUZZ_COMMON_H
#define BRIG_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "error.h"
#include "ocispec.h"

/* Parse DATA as TYPE; on success print it and parse the print again (the
   printer must produce what the parser takes), then free both. */
static inline void *
fuzz_parse_roundtrip (const struct ocispec_type *type, const uint8_t *data, size_t size)
{
  char *perr = NULL;
  void *obj = ocispec_parse (type, (const char *) data, size, &perr);
  free (perr);
  if (obj)
    {
      size_t len = 0;
      char *json = ocispec_print (type, obj, (size & 1) != 0, &len);
      if (json)
        {
          char *perr2 = NULL;
          void *again = ocispec_parse (type, json, len, &perr2);
          if (again == NULL)
            abort (); /* what we print we must read back */
          ocispec_free (type, again);
          free (perr2);
          free (json);
        }
    }
  return obj;
}

#endif
