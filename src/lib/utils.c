#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <time.h>

#include "procfs.h"
#include "utils.h"

void
brig_close_fdp (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
      *fd = -1;
    }
}

void
brig_free_strv (char ***v)
{
  char **p;
  if (*v == NULL)
    return;
  for (p = *v; *p; p++)
    free (*p);
  free (*v);
  *v = NULL;
}

static void
oom (void)
{
  static const char msg[] = "brig: out of memory\n";
  (void) ! write (2, msg, sizeof (msg) - 1);
  _exit (EXIT_FAILURE);
}

void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xcalloc (size_t n, size_t m)
{
  void *p = calloc (n ? n : 1, m ? m : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

bool
brig_env_forced (const char *var)
{
  const char *f = getenv (var);
  return f && *f == '1';
}

char *
xstrdup (const char *s)
{
  char *r;
  if (s == NULL)
    return NULL;
  r = strdup (s);
  if (r == NULL)
    oom ();
  return r;
}

char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *r;
  va_start (ap, fmt);
  if (vasprintf (&r, fmt, ap) < 0)
    oom ();
  va_end (ap);
  return r;
}

int
brig_read_fd (int fd, char **out, size_t *len, size_t max, struct brig_error **err)
{
  size_t cap = 4096, n = 0;
  char *buf = xmalloc (cap);

  for (;;)
    {
      ssize_t r;
      if (n + 1 >= cap)
        {
          if (max && cap > max)
            {
              free (buf);
              return brig_error_set (err, EFBIG, "read: file larger than %zu bytes", max);
            }
          cap *= 2;
          buf = xrealloc (buf, cap);
        }
      r = read (fd, buf + n, cap - n - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;
          free (buf);
          return brig_error_set (err, e, "read");
        }
      if (r == 0)
        break;
      n += r;
    }
  if (max && n > max)
    {
      free (buf);
      return brig_error_set (err, EFBIG, "read: file larger than %zu bytes", max);
    }
  buf[n] = '\0';
  *out = buf;
  if (len)
    *len = n;
  return 0;
}

int
brig_read_file_at (int dirfd, const char *path, char **out, size_t *len, size_t max,
                   struct brig_error **err)
{
  _cleanup_close_ int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return brig_error_set (err, errno, "open `%s`", path);
  if (brig_read_fd (fd, out, len, max, err) < 0)
    return brig_error_prefix (err, "`%s`", path);
  return 0;
}

int
brig_read_file (const char *path, char **out, size_t *len, size_t max, struct brig_error **err)
{
  return brig_read_file_at (AT_FDCWD, path, out, len, max, err);
}

ssize_t
brig_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  size_t left = len;
  while (left > 0)
    {
      ssize_t r = write (fd, p, left);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      p += r;
      left -= r;
    }
  return len;
}

int
brig_write_file_at (int dirfd, const char *path, const char *data, size_t len, struct brig_error **err)
{
  _cleanup_close_ int fd = openat (dirfd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return brig_error_set (err, errno, "open `%s`", path);
  if (brig_write_all (fd, data, len) < 0)
    return brig_error_set (err, errno, "write `%s`", path);
  return 0;
}

int
brig_write_file_atomic (int dirfd, const char *name, const char *data, size_t len, mode_t mode,
                        struct brig_error **err)
{
  _cleanup_free_ char *tmp = xasprintf (".%s.%d", name, (int) getpid ());
  _cleanup_close_ int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return brig_error_set (err, errno, "create `%s`", tmp);
  if (brig_write_all (fd, data, len) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return brig_error_set (err, e, "write `%s`", name);
    }
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return brig_error_set (err, e, "rename `%s` to `%s`", tmp, name);
    }
  return 0;
}

int
brig_write_pid_file (const char *path, pid_t pid, struct brig_error **err)
{
  _cleanup_free_ char *dir = xstrdup (path);
  _cleanup_close_ int dfd = -1;
  char *slash = strrchr (dir, '/');
  const char *name = path;
  char buf[32];
  int n = snprintf (buf, sizeof (buf), "%d", (int) pid);

  if (slash)
    {
      *slash = '\0';
      name = slash + 1;
    }
  dfd = open (slash ? (*dir ? dir : "/") : ".", O_DIRECTORY | O_PATH | O_CLOEXEC);
  if (dfd < 0)
    return brig_error_set (err, errno, "--pid-file: open directory of `%s`", path);
  if (brig_write_file_atomic (dfd, name, buf, n, 0644, err) < 0)
    return brig_error_prefix (err, "--pid-file");
  return 0;
}

int
brig_parse_u64 (const char *s, uint64_t *out)
{
  char *end;
  unsigned long long v;
  if (s == NULL || *s == '\0' || ! isdigit ((unsigned char) *s))
    return -1;
  errno = 0;
  v = strtoull (s, &end, 10);
  if (errno || *end)
    return -1;
  *out = v;
  return 0;
}

int
brig_parse_i64 (const char *s, int64_t *out)
{
  char *end;
  long long v;
  if (s == NULL || *s == '\0' || isspace ((unsigned char) *s))
    return -1;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno || *end)
    return -1;
  *out = v;
  return 0;
}

int
brig_parse_u32 (const char *s, uint32_t *out)
{
  uint64_t v;
  if (brig_parse_u64 (s, &v) < 0 || v > UINT32_MAX)
    return -1;
  *out = (uint32_t) v;
  return 0;
}

int
brig_parse_int (const char *s, int *out)
{
  int64_t v;
  if (brig_parse_i64 (s, &v) < 0 || v < INT_MIN || v > INT_MAX)
    return -1;
  *out = (int) v;
  return 0;
}

int
brig_mkdir_p (const char *path, mode_t mode, struct brig_error **err)
{
  _cleanup_free_ char *p = xstrdup (path);
  char *s;

  for (s = p + 1; *s; s++)
    {
      if (*s != '/')
        continue;
      *s = '\0';
      if (mkdir (p, mode) < 0 && errno != EEXIST)
        return brig_error_set (err, errno, "mkdir `%s`", p);
      *s = '/';
    }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return brig_error_set (err, errno, "mkdir `%s`", p);
  return 0;
}

int
brig_proc_start_time (pid_t pid, uint64_t *start, bool *zombie)
{
  char path[64], buf[1024];
  _cleanup_close_ int fd = -1;
  ssize_t n;
  char *p;
  int field;

  *start = 0;
  if (zombie)
    *zombie = false;
  snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  n = read (fd, buf, sizeof (buf) - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  /* comm may contain spaces and parentheses: fields start after the last ')' */
  p = strrchr (buf, ')');
  if (p == NULL || p[1] != ' ')
    return -1;
  p += 2;
  if (zombie)
    *zombie = (*p == 'Z' || *p == 'X');
  /* p is at field 3 (state); start time is field 22 */
  for (field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p == NULL)
    return -1;
  p[strcspn (p, " ")] = '\0';
  return brig_parse_u64 (p, start);
}

char *
brig_now_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64];
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return xasprintf ("%s.%09ldZ", buf, ts.tv_nsec);
}

int
brig_cloexec_from (int from)
{
#ifdef SYS_close_range
# ifndef CLOSE_RANGE_CLOEXEC
#  define CLOSE_RANGE_CLOEXEC (1U << 2)
# endif
  /* BRIG_FORCE_NO_CLOSE_RANGE=1: the walk below, as on kernels before 5.11 */
  if (! brig_env_forced ("BRIG_FORCE_NO_CLOSE_RANGE")
      && syscall (SYS_close_range, (unsigned) from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
#endif
  {
    /* the verified procfs: a container's fake /proc/self/fd could hide fds */
    int pfd = brig_procfs_openat ("self/fd", O_RDONLY | O_DIRECTORY, NULL);
    DIR *d = pfd >= 0 ? fdopendir (pfd) : opendir ("/proc/self/fd");
    struct dirent *de;
    if (d == NULL)
      {
        if (pfd >= 0)
          close (pfd);
        return -1;
      }
    while ((de = readdir (d)))
      {
        int fd;
        if (brig_parse_int (de->d_name, &fd) < 0 || fd < from || fd == dirfd (d))
          continue;
        fcntl (fd, F_SETFD, FD_CLOEXEC);
      }
    closedir (d);
  }
  return 0;
}

int
brig_unix_send_fd (const char *path, int fd, const char *payload, struct brig_error **err)
{
  struct sockaddr_un addr = { 0 };
  _cleanup_close_ int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct iovec iov;
  struct msghdr mh = { 0 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } cm;
  struct cmsghdr *c;

  if (sock < 0)
    return brig_error_set (err, errno, "socket");
  if (strlen (path) >= sizeof (addr.sun_path))
    return brig_error_set (err, ENAMETOOLONG, "socket `%s`", path);
  addr.sun_family = AF_UNIX;
  strcpy (addr.sun_path, path);
  if (connect (sock, (struct sockaddr *) &addr, sizeof (addr)) < 0)
    return brig_error_set (err, errno, "connect `%s`", path);
  iov.iov_base = (void *) payload;
  iov.iov_len = strlen (payload);
  memset (&cm, 0, sizeof (cm));
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = cm.buf;
  mh.msg_controllen = sizeof (cm.buf);
  c = CMSG_FIRSTHDR (&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof (int));
  if (sendmsg (sock, &mh, MSG_NOSIGNAL) < 0)
    return brig_error_set (err, errno, "send fd to `%s`", path);
  return 0;
}

int
brig_send_pidfd (const char *path, pid_t pid, int pidfd, const char *id, struct brig_error **err)
{
  _cleanup_close_ int own = pidfd < 0 ? (int) syscall (SYS_pidfd_open, pid, 0) : -1;
  if (pidfd < 0 && own < 0)
    return brig_error_set (err, errno, "--pidfd-socket: pidfd_open %d", (int) pid);
  if (brig_unix_send_fd (path, pidfd < 0 ? own : pidfd, id, err) < 0)
    return brig_error_prefix (err, "--pidfd-socket");
  return 0;
}

bool
brig_str_has_prefix (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

char *
brig_find_executable (const char *file, const char *path_env, const char *root)
{
  const char *p;
  int last_err = ENOENT;

  if (strchr (file, '/'))
    return xstrdup (file);
  if (path_env == NULL)
    path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  p = path_env;
  while (*p)
    {
      size_t l = strcspn (p, ":");
      _cleanup_free_ char *cand = NULL;
      struct stat st;
      if (l == 0)
        cand = xasprintf ("%s./%s", root ? root : "", file);
      else
        cand = xasprintf ("%s%.*s/%s", root ? root : "", (int) l, p, file);
      if (stat (cand, &st) == 0 && S_ISREG (st.st_mode))
        {
          if (access (cand, X_OK) == 0)
            {
              if (root && *root)
                return xstrdup (cand + strlen (root));
              return steal_pointer (&cand);
            }
          last_err = EACCES;
        }
      p += l;
      if (*p == ':')
        p++;
    }
  errno = last_err;
  return NULL;
}
