/* A tiny seccomp agent for tests/oci-validation/seccomp.sh.
 *
 *   seccomp-agent SOCKET STATE_FILE LOG_FILE
 *
 * Listens on the unix socket SOCKET (the container's listenerPath),
 * accepts one connection and reads the container process state with the
 * seccomp notify fd (SCM_RIGHTS), as the runtime-spec describes.  The state
 * goes to STATE_FILE.  Then it answers notifications until the container
 * is gone: mkdir and mkdirat get a fake success (nothing is created),
 * everything else is let through (SECCOMP_USER_NOTIF_FLAG_CONTINUE).  Each
 * answer is a line in LOG_FILE ("mkdir /x" or "continue NR").  Gives up
 * after 60 s. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef SECCOMP_USER_NOTIF_FLAG_CONTINUE
#define SECCOMP_USER_NOTIF_FLAG_CONTINUE (1UL << 0)
#endif

static void
die (const char *what)
{
  fprintf (stderr, "seccomp-agent: %s: %s\n", what, strerror (errno));
  exit (1);
}

/* Read the path argument of the notified syscall from the target's memory
   (for the log only). */
static void
read_path (pid_t pid, unsigned long addr, char *buf, size_t len)
{
  struct iovec local = { buf, len - 1 }, remote = { (void *) addr, len - 1 };
  ssize_t n = process_vm_readv (pid, &local, 1, &remote, 1, 0);
  if (n < 0)
    n = 0;
  buf[n] = '\0';
  buf[strnlen (buf, n)] = '\0';
}

/* Whether BUF holds a whole JSON object (braces balanced outside strings). */
static int
json_complete (const char *buf, ssize_t len)
{
  int depth = 0, in_str = 0, esc = 0, seen = 0;
  ssize_t i;
  for (i = 0; i < len; i++)
    {
      char c = buf[i];
      if (in_str)
        {
          if (esc)
            esc = 0;
          else if (c == '\\')
            esc = 1;
          else if (c == '"')
            in_str = 0;
          continue;
        }
      if (c == '"')
        in_str = 1;
      else if (c == '{')
        depth++, seen = 1;
      else if (c == '}')
        depth--;
    }
  return seen && depth == 0;
}

int
main (int argc, char **argv)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  static char state[1 << 16];
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { state, sizeof (state) - 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof (u.buf) };
  struct cmsghdr *cm;
  struct seccomp_notif_sizes sizes;
  struct seccomp_notif *req;
  struct seccomp_notif_resp *resp;
  size_t req_size, resp_size;
  int lsock, conn, fd = -1;
  ssize_t n, total;
  FILE *f, *log;

  if (argc != 4)
    {
      fprintf (stderr, "usage: seccomp-agent SOCKET STATE_FILE LOG_FILE\n");
      return 2;
    }
  alarm (60);
  log = fopen (argv[3], "w");
  if (log == NULL)
    die ("open the log");
  setvbuf (log, NULL, _IOLBF, 0);

  if (strlen (argv[1]) >= sizeof (addr.sun_path))
    {
      errno = ENAMETOOLONG;
      die (argv[1]);
    }
  strcpy (addr.sun_path, argv[1]);
  unlink (argv[1]);
  lsock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (lsock < 0 || bind (lsock, (struct sockaddr *) &addr, sizeof (addr)) < 0 || listen (lsock, 1) < 0)
    die ("listen");

  conn = accept4 (lsock, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    die ("accept");
  n = recvmsg (conn, &msg, MSG_CMSG_CLOEXEC);
  if (n < 0)
    die ("recvmsg");
  for (cm = CMSG_FIRSTHDR (&msg); cm; cm = CMSG_NXTHDR (&msg, cm))
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
      memcpy (&fd, CMSG_DATA (cm), sizeof (int));
  /* the spec allows the rest of the state in later writes; the runtime
     may keep the connection open, so read up to the end of the object */
  total = n;
  while (! json_complete (state, total) && total < (ssize_t) sizeof (state) - 1
         && (n = read (conn, state + total, sizeof (state) - 1 - total)) > 0)
    total += n;
  state[total] = '\0';
  close (conn);
  close (lsock);

  f = fopen (argv[2], "w");
  if (f == NULL)
    die ("open the state file");
  fprintf (f, "%s\n", state);
  fclose (f);
  if (fd < 0)
    {
      fprintf (log, "no fd\n");
      return 1;
    }
  fprintf (log, "got fd\n");

  if (syscall (SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
    die ("SECCOMP_GET_NOTIF_SIZES");

  req_size = sizes.seccomp_notif > sizeof (*req) ? sizes.seccomp_notif : sizeof (*req);
  resp_size = sizes.seccomp_notif_resp > sizeof (*resp) ? sizes.seccomp_notif_resp : sizeof (*resp);
  req = malloc (req_size);
  resp = malloc (resp_size);
  if (req == NULL || resp == NULL)
    die ("malloc");
  for (;;)
    {
      struct pollfd p = { fd, POLLIN, 0 };
      char path[256];

      memset (req, 0, req_size);
      memset (resp, 0, resp_size);

      if (poll (&p, 1, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          die ("poll");
        }
      if (! (p.revents & POLLIN))
        break; /* POLLHUP: nobody uses the filter any more */
      if (ioctl (fd, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
        {
          if (errno == EINTR || errno == ENOENT)
            continue;
          die ("SECCOMP_IOCTL_NOTIF_RECV");
        }
      resp->id = req->id;
      if (req->data.nr == SYS_mkdir || req->data.nr == SYS_mkdirat)
        {
          read_path (req->pid, req->data.nr == SYS_mkdir ? req->data.args[0] : req->data.args[1], path,
                     sizeof (path));
          /* the target may have been killed meanwhile: the id says */
          if (ioctl (fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
            continue;
          resp->val = 0;
          resp->error = 0;
          resp->flags = 0;
          fprintf (log, "mkdir %s\n", path);
        }
      else
        {
          resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
          fprintf (log, "continue %d\n", req->data.nr);
        }
      if (ioctl (fd, SECCOMP_IOCTL_NOTIF_SEND, resp) < 0 && errno != ENOENT)
        die ("SECCOMP_IOCTL_NOTIF_SEND");
    }
  fprintf (log, "done\n");
  return 0;
}
