#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "hooks.h"
#include "process.h"
#include "utils.h"

extern char **environ;

static int64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
run_one (const struct oci_hook *h, const char *which, size_t idx, const char *state, struct brig_error **err)
{
  int in[2], out[2];
  pid_t pid;
  _cleanup_close_ int pidfd = -1;
  _cleanup_close_ int inw = -1, outr = -1;
  char output[1024];
  size_t olen = 0, slen = strlen (state), written = 0;
  int64_t deadline = h->has_timeout && h->timeout > 0 ? now_ms () + (int64_t) h->timeout * 1000 : -1;
  int status = 0;
  bool exited = false;

  if (pipe2 (in, O_CLOEXEC) < 0 || pipe2 (out, O_CLOEXEC) < 0)
    return brig_error_set (err, errno, "%s hook: pipe", which);
  pid = fork ();
  if (pid < 0)
    return brig_error_set (err, errno, "%s hook: fork", which);
  if (pid == 0)
    {
      char *const *argv = h->args_len ? h->args : (char *const[]){ h->path, NULL };
      brig_reset_signals ();
      dup2 (in[0], 0);
      dup2 (out[1], 1);
      dup2 (out[1], 2);
      execve (h->path, argv, h->env ? h->env : (char *const[]){ NULL });
      dprintf (2, "exec `%s`: %s", h->path, strerror (errno));
      _exit (127);
    }
  close (in[0]);
  close (out[1]);
  inw = in[1];
  outr = out[0];
  fcntl (inw, F_SETFL, O_NONBLOCK);
  fcntl (outr, F_SETFL, O_NONBLOCK);
  pidfd = syscall (SYS_pidfd_open, pid, 0);

  while (! exited)
    {
      struct pollfd fds[3];
      int nf = 0, timeout = -1, r;
      fds[nf++] = (struct pollfd){ pidfd, POLLIN, 0 };
      fds[nf++] = (struct pollfd){ outr, POLLIN, 0 };
      if (inw >= 0)
        fds[nf++] = (struct pollfd){ inw, POLLOUT, 0 };
      if (deadline >= 0)
        {
          int64_t left = deadline - now_ms ();
          if (left <= 0)
            {
              kill (pid, SIGKILL);
              waitpid (pid, NULL, 0);
              return brig_error_set (err, ETIMEDOUT, "%s hook %zu `%s`: timed out after %d s", which, idx,
                                     h->path, h->timeout);
            }
          timeout = (int) left;
        }
      r = poll (fds, nf, timeout);
      if (r < 0 && errno != EINTR)
        return brig_error_set (err, errno, "%s hook: poll", which);
      if (r <= 0)
        continue;
      if (inw >= 0 && nf == 3 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP)))
        {
          /* EPIPE here just means the hook did not want its stdin */
          ssize_t w = write (inw, state + written, slen - written);
          if (w > 0)
            written += w;
          if (w < 0 && errno != EAGAIN)
            written = slen;
          if (written >= slen)
            {
              close (inw);
              inw = -1;
            }
        }
      if (fds[1].revents & (POLLIN | POLLHUP))
        {
          char buf[512];
          ssize_t n = read (outr, buf, sizeof (buf));
          if (n > 0 && olen < sizeof (output) - 1)
            {
              size_t c = (size_t) n < sizeof (output) - 1 - olen ? (size_t) n : sizeof (output) - 1 - olen;
              memcpy (output + olen, buf, c);
              olen += c;
            }
        }
      if (fds[0].revents & POLLIN)
        {
          if (waitpid (pid, &status, 0) == pid)
            exited = true;
        }
    }
  output[olen] = '\0';
  while (olen > 0 && (output[olen - 1] == '\n' || output[olen - 1] == ' '))
    output[--olen] = '\0';
  for (char *c = output; *c; c++)
    if (*c == '\n')
      *c = ' ';
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (WIFSIGNALED (status))
    return brig_error_set (err, 0, "%s hook %zu `%s`: killed by signal %d%s%s", which, idx, h->path,
                           WTERMSIG (status), olen ? ": " : "", output);
  return brig_error_set (err, 0, "%s hook %zu `%s`: exit status %d%s%s", which, idx, h->path,
                         WEXITSTATUS (status), olen ? ": " : "", output);
}

int
brig_hooks_run (struct oci_hook **hooks, size_t n, const char *which, const char *state_json,
                bool keep_going, struct brig_error **err)
{
  size_t i;
  int ret = 0;
  for (i = 0; i < n; i++)
    if (run_one (hooks[i], which, i, state_json, err) < 0)
      {
        ret = -1;
        if (! keep_going)
          break;
      }
  return ret;
}
