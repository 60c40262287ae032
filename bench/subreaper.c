/* subreaper: run a command as a child subreaper, for bench/run.sh.
 *
 *   subreaper CMD [ARGS...]
 *
 * `create` leaves the container's init orphaned; engines run the runtime
 * under a shim or conmon that is a subreaper and reaps it.  This host's
 * pid 1 does not reap orphans, so the bench runs every runtime under this
 * stand-in: it reaps every orphan and exits with CMD's status as soon as CMD
 * exits (orphans still alive then go to the next reaper up; the bench
 * deletes its containers before that).  SIGINT/SIGTERM/SIGHUP are forwarded
 * to CMD.
 * Build: cc -O2 -o subreaper subreaper.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t main_pid;

static void forward(int sig)
{
  if (main_pid > 0)
    kill(main_pid, sig);
}

int main(int argc, char **argv)
{
  struct sigaction sa;
  int status;
  pid_t pid;

  if (argc < 2) {
    fprintf(stderr, "usage: subreaper CMD [ARGS...]\n");
    return 2;
  }
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
    perror("subreaper: prctl");
    return 125;
  }
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);

  pid = fork();
  if (pid < 0) {
    perror("subreaper: fork");
    return 125;
  }
  if (pid == 0) {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    execvp(argv[1], argv + 1);
    fprintf(stderr, "subreaper: exec %s: %s\n", argv[1], strerror(errno));
    _exit(127);
  }
  main_pid = pid;
  for (;;) {
    pid_t p = wait(&status);
    if (p < 0) {
      if (errno == EINTR)
        continue;
      return 125;
    }
    if (p == pid)
      break;
  }
  /* reap whatever else is already dead */
  while (waitpid(-1, NULL, WNOHANG) > 0)
    ;
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
