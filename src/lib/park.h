/* The init of a created container waits for `start`, for seconds or for
 * days.  While it waits it needs none of brig's code. */
#ifndef BRIG_PARK_H
#define BRIG_PARK_H

#include <stdbool.h>
#include <sys/types.h>

/* read(2) of FD, restarted on EINTR.  With RELEASE, first unmap brig's
   read-only segments (code, constants) from this process: they stay in the
   page cache, shared with every other brig, but are charged to no parked
   process and are the first to be reclaimed; what the exec path needs
   faults back in after `start`. */
ssize_t brig_park_read (int fd, void *buf, size_t len, bool release);

#endif
