#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sync.h"
#include "utils.h"

struct wire_hdr
{
  uint32_t type;
  int32_t errnum;
  uint32_t len;
};

int
brig_sync_send (int sock, uint32_t type, int32_t errnum, const void *data, size_t len, int fd)
{
  char buf[sizeof (struct wire_hdr) + BRIG_SYNC_MAX];
  struct wire_hdr h = { type, errnum, (uint32_t) len };
  struct iovec iov;
  struct msghdr mh = { 0 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } cm;

  if (len > BRIG_SYNC_MAX)
    len = h.len = BRIG_SYNC_MAX;
  memcpy (buf, &h, sizeof (h));
  if (len)
    memcpy (buf + sizeof (h), data, len);
  iov.iov_base = buf;
  iov.iov_len = sizeof (h) + len;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  if (fd >= 0)
    {
      struct cmsghdr *c;
      memset (&cm, 0, sizeof (cm));
      mh.msg_control = cm.buf;
      mh.msg_controllen = sizeof (cm.buf);
      c = CMSG_FIRSTHDR (&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof (int));
    }
  while (sendmsg (sock, &mh, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return -1;
  return 0;
}

int
brig_sync_send_creds (int sock, uint32_t type)
{
  struct wire_hdr h = { type, 0, 0 };
  struct iovec iov = { &h, sizeof (h) };
  struct msghdr mh = { 0 };
  struct ucred cred = { getpid (), getuid (), getgid () };
  union
  {
    char buf[CMSG_SPACE (sizeof (struct ucred))];
    struct cmsghdr align;
  } cm;
  struct cmsghdr *c;

  memset (&cm, 0, sizeof (cm));
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = cm.buf;
  mh.msg_controllen = sizeof (cm.buf);
  c = CMSG_FIRSTHDR (&mh);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = CMSG_LEN (sizeof (struct ucred));
  memcpy (CMSG_DATA (c), &cred, sizeof (cred));
  while (sendmsg (sock, &mh, MSG_NOSIGNAL) < 0)
    if (errno != EINTR)
      return -1;
  return 0;
}

int
brig_sync_recv (int sock, struct brig_sync_msg *m)
{
  char buf[sizeof (struct wire_hdr) + BRIG_SYNC_MAX];
  struct wire_hdr h;
  struct iovec iov = { buf, sizeof (buf) };
  struct msghdr mh = { 0 };
  union
  {
    char buf[CMSG_SPACE (sizeof (int)) + CMSG_SPACE (sizeof (struct ucred))];
    struct cmsghdr align;
  } cm;
  struct cmsghdr *c;
  ssize_t n;

  m->fd = -1;
  m->pid = 0;
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = cm.buf;
  mh.msg_controllen = sizeof (cm.buf);
  do
    n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -1;
  if (n == 0)
    {
      errno = EPIPE;
      return -1;
    }
  for (c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
    {
      if (c->cmsg_level != SOL_SOCKET)
        continue;
      if (c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN (sizeof (int)))
        memcpy (&m->fd, CMSG_DATA (c), sizeof (int));
      else if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN (sizeof (struct ucred)))
        {
          struct ucred cr;
          memcpy (&cr, CMSG_DATA (c), sizeof (cr));
          m->pid = cr.pid;
        }
    }
  if ((size_t) n < sizeof (h) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
    {
      if (m->fd >= 0)
        close (m->fd);
      m->fd = -1;
      errno = EBADMSG;
      return -1;
    }
  memcpy (&h, buf, sizeof (h));
  if (h.len > BRIG_SYNC_MAX || h.len != (size_t) n - sizeof (h))
    {
      if (m->fd >= 0)
        close (m->fd);
      m->fd = -1;
      errno = EBADMSG;
      return -1;
    }
  m->type = h.type;
  m->errnum = h.errnum;
  m->len = h.len;
  memcpy (m->data, buf + sizeof (h), h.len);
  m->data[h.len] = '\0';
  return 0;
}

int
brig_sync_expect (int sock, uint32_t type, struct brig_sync_msg *m, struct brig_error **err)
{
  if (brig_sync_recv (sock, m) < 0)
    {
      if (errno == EPIPE)
        return brig_error_set (err, 0, "container process exited during setup");
      return brig_error_set (err, errno, "read from container process");
    }
  if (m->type == SYNC_ERROR)
    {
      if (err && *err == NULL)
        {
          *err = xcalloc (1, sizeof (**err));
          (*err)->errnum = m->errnum;
          (*err)->msg = xstrdup (m->data);
        }
      return -1;
    }
  if (m->type != type)
    return brig_error_set (err, EPROTO, "unexpected message %u from container process (wanted %u)",
                           m->type, type);
  return 0;
}

int
brig_sync_write (int sock, uint32_t type, const void *data, size_t len)
{
  char buf[sizeof (struct wire_hdr) + 64];
  struct wire_hdr h = { type, 0, (uint32_t) len };
  if (len > sizeof (buf) - sizeof (h))
    {
      errno = EMSGSIZE;
      return -1;
    }
  memcpy (buf, &h, sizeof (h));
  memcpy (buf + sizeof (h), data, len);
  return brig_write_all (sock, buf, sizeof (h) + len) < 0 ? -1 : 0;
}

int
brig_sync_read (int sock, struct brig_sync_msg *m)
{
  char buf[sizeof (struct wire_hdr) + 256];
  struct wire_hdr h;
  ssize_t n;

  m->fd = -1;
  m->pid = 0;
  do
    n = read (sock, buf, sizeof (buf));
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    {
      errno = n == 0 ? EPIPE : errno;
      return -1;
    }
  if ((size_t) n < sizeof (h))
    {
      errno = EBADMSG;
      return -1;
    }
  memcpy (&h, buf, sizeof (h));
  if (h.len != (size_t) n - sizeof (h))
    {
      errno = EBADMSG;
      return -1;
    }
  m->type = h.type;
  m->errnum = h.errnum;
  m->len = h.len;
  memcpy (m->data, buf + sizeof (h), h.len);
  m->data[h.len] = '\0';
  return 0;
}

void
brig_sync_send_error (int sock, const struct brig_error *err)
{
  const char *msg = err && err->msg ? err->msg : "unknown error";
  brig_sync_send (sock, SYNC_ERROR, err ? err->errnum : 0, msg, strlen (msg), -1);
}

/* The fd a SYNC_SECCOMP_FD message names, copied out of the process with
   pidfd_getfd (the message carries its number, not the fd). */
int
brig_sync_take_fd (int pidfd, pid_t pid, const struct brig_sync_msg *m, struct brig_error **err)
{
  _cleanup_close_ int own = -1;
  int num, fd;

  if (m->fd >= 0)
    return dup (m->fd);
  if (m->len != sizeof (int))
    return brig_error_set (err, EPROTO, "bad seccomp fd message");
  memcpy (&num, m->data, sizeof (int));
  if (pidfd < 0)
    pidfd = own = syscall (SYS_pidfd_open, pid, 0);
  fd = pidfd < 0 ? -1 : syscall (SYS_pidfd_getfd, pidfd, num, 0);
  if (fd < 0)
    return brig_error_set (err, errno, "linux.seccomp: take the notify fd from the container (pidfd_getfd)");
  return fd;
}

