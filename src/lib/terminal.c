#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "inroot.h"
#include "mountfd.h"
#include "terminal.h"
#include "utils.h"

#ifndef TIOCGPTPEER
# define TIOCGPTPEER _IO ('T', 0x41)
#endif

int
brig_terminal_create (const struct oci_console_size *size, uid_t uid, bool console, int *master,
                      struct brig_error **err)
{
  _cleanup_close_ int m = -1;
  _cleanup_close_ int s = -1;
  int unlock = 0;

  /* the container's devpts instance: /dev/ptmx links to it */
  m = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0)
    return brig_error_set (err, errno, "process.terminal: open /dev/ptmx");
  if (ioctl (m, TIOCSPTLCK, &unlock) < 0)
    return brig_error_set (err, errno, "process.terminal: unlock pty");
  /* the slave from the master itself, not from a path under /dev/pts
     that the container could have replaced */
  s = ioctl (m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    return brig_error_set (err, errno, "process.terminal: open the pty slave (TIOCGPTPEER)");
  if (fchown (s, uid, -1) < 0 && errno != EPERM && errno != EINVAL)
    return brig_error_set (err, errno, "process.terminal: chown the pty");
  if (size)
    {
      struct winsize ws = { 0 };
      ws.ws_row = size->height;
      ws.ws_col = size->width;
      if (ioctl (m, TIOCSWINSZ, &ws) < 0)
        return brig_error_set (err, errno, "process.consoleSize");
    }
  if (console)
    {
      _cleanup_close_ int root = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      _cleanup_close_ int target = root >= 0 ? brig_inroot_mkfile (root, "/dev/console", 0600, err) : -1;
      if (target < 0 || brig_bind_fd (s, target, false, 0, 0, false, "/dev/console", err) < 0)
        return brig_error_prefix (err, "process.terminal");
    }
  if (setsid () < 0)
    return brig_error_set (err, errno, "process.terminal: setsid");
  if (ioctl (s, TIOCSCTTY, 0) < 0)
    return brig_error_set (err, errno, "process.terminal: make the pty the controlling terminal");
  if (dup2 (s, 0) < 0 || dup2 (s, 1) < 0 || dup2 (s, 2) < 0)
    return brig_error_set (err, errno, "process.terminal: dup the pty to stdio");
  *master = steal_fd (&m);
  return 0;
}

int
brig_terminal_send (const char *path, int master, struct brig_error **err)
{
  char name[64];
  /* the payload is the pty's name, as runc sends it */
  if (ptsname_r (master, name, sizeof (name)) != 0)
    strcpy (name, "/dev/ptmx");
  if (brig_unix_send_fd (path, master, name, err) < 0)
    return brig_error_prefix (err, "--console-socket");
  return 0;
}

int
brig_terminal_proxy (int master, int pidfd)
{
  struct termios saved, raw;
  bool restore = false;
  bool in_open = true;
  char buf[8192];

  if (isatty (0) && tcgetattr (0, &saved) == 0)
    {
      struct winsize ws;
      raw = saved;
      cfmakeraw (&raw);
      raw.c_oflag |= OPOST; /* keep our own output readable */
      restore = tcsetattr (0, TCSANOW, &raw) == 0;
      if (ioctl (0, TIOCGWINSZ, &ws) == 0)
        ioctl (master, TIOCSWINSZ, &ws);
    }
  for (;;)
    {
      struct pollfd p[3] = { { master, POLLIN, 0 }, { 0, in_open ? POLLIN : 0, 0 }, { pidfd, POLLIN, 0 } };
      int r = poll (p, 3, -1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        break;
      if (p[0].revents & POLLIN)
        {
          ssize_t n = read (master, buf, sizeof (buf));
          if (n > 0)
            brig_write_all (1, buf, n);
          else if (n < 0 && errno != EINTR && errno != EAGAIN)
            break;
        }
      else if (p[0].revents & (POLLHUP | POLLERR))
        break;
      if (in_open && (p[1].revents & (POLLIN | POLLHUP)))
        {
          ssize_t n = read (0, buf, sizeof (buf));
          if (n > 0)
            brig_write_all (master, buf, n);
          else
            in_open = false;
        }
      if ((p[2].revents & POLLIN) && ! (p[0].revents & POLLIN))
        break; /* the process is gone and nothing is left to read */
    }
  if (restore)
    tcsetattr (0, TCSANOW, &saved);
  return 0;
}
