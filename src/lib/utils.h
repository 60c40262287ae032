/* Small helpers shared by every part of libbrig. */
#ifndef BRIG_UTILS_H
#define BRIG_UTILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "error.h"

static inline void
brig_freep (void *p)
{
  free (*(void **) p);
}

void brig_close_fdp (int *fd);
void brig_free_strv (char ***v);

#define _cleanup_free_ __attribute__ ((cleanup (brig_freep)))
#define _cleanup_close_ __attribute__ ((cleanup (brig_close_fdp)))
#define _cleanup_strv_ __attribute__ ((cleanup (brig_free_strv)))

/* Hand ownership out of a cleanup variable. */
#define steal_pointer(pp) ({ __typeof__ (*(pp)) _p = *(pp); *(pp) = NULL; _p; })
#define steal_fd(fdp) ({ int _fd = *(fdp); *(fdp) = -1; _fd; })

#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))

void *xmalloc (size_t n);
void *xcalloc (size_t n, size_t m);
void *xrealloc (void *p, size_t n);
char *xstrdup (const char *s);
/* VAR=1 in the environment: a kernel-feature fallback forced for tests
   (BRIG_FORCE_NO_OPENAT2, BRIG_FORCE_NO_MOUNT_API, ...). */
bool brig_env_forced (const char *var);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Read a whole file (at most max bytes; 0 = no limit).  *len gets the size;
   the buffer is NUL terminated. */
int brig_read_file (const char *path, char **out, size_t *len, size_t max, struct brig_error **err);
int brig_read_fd (int fd, char **out, size_t *len, size_t max, struct brig_error **err);
int brig_read_file_at (int dirfd, const char *path, char **out, size_t *len, size_t max,
                       struct brig_error **err);

/* Write all of buf to fd, retrying on EINTR and short writes. */
ssize_t brig_write_all (int fd, const void *buf, size_t len);
/* Write a small string to an existing file (e.g. a /proc or cgroup knob). */
int brig_write_file_at (int dirfd, const char *path, const char *data, size_t len,
                        struct brig_error **err);
/* Write DATA to DIRFD/NAME atomically: temp file, fsync-free, rename. */
int brig_write_file_atomic (int dirfd, const char *name, const char *data, size_t len,
                            mode_t mode, struct brig_error **err);

/* --pid-file: PID in decimal, no newline, written to a temp name and
   renamed, so readers never see a partial pid. */
int brig_write_pid_file (const char *path, pid_t pid, struct brig_error **err);

/* Strict numeric parsing: the whole string, no junk, no overflow. */
int brig_parse_u64 (const char *s, uint64_t *out);
int brig_parse_i64 (const char *s, int64_t *out);
int brig_parse_u32 (const char *s, uint32_t *out);
int brig_parse_int (const char *s, int *out);

/* mkdir -p on a host path (not for paths inside a container rootfs). */
int brig_mkdir_p (const char *path, mode_t mode, struct brig_error **err);

/* Start time of a process (field 22 of /proc/PID/stat), 0 if it is gone.
   *zombie is set when the process exited but is not reaped yet. */
int brig_proc_start_time (pid_t pid, uint64_t *start, bool *zombie);

/* RFC 3339 time with nanoseconds in UTC, as runc prints "created". */
char *brig_now_rfc3339 (void);

/* Mark every fd >= from close-on-exec (close_range, or a /proc walk). */
int brig_cloexec_from (int from);

/* Look a program up in PATH (from env, as execvp would); returns a new
   string or NULL with errno ENOENT/EACCES. */
char *brig_find_executable (const char *file, const char *path_env, const char *root);

bool brig_str_has_prefix (const char *s, const char *prefix);

/* Connect to the unix socket at PATH and send FD (SCM_RIGHTS) with
   PAYLOAD as the message: --console-socket, --pidfd-socket. */
int brig_unix_send_fd (const char *path, int fd, const char *payload, struct brig_error **err);
/* --pidfd-socket: send a pidfd of PID (PIDFD if already open, else -1)
   with ID as the payload. */
int brig_send_pidfd (const char *path, pid_t pid, int pidfd, const char *id, struct brig_error **err);

#endif
