#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <strings.h>

#include "signals.h"
#include "utils.h"

static const struct
{
  const char *name;
  int sig;
} signals[] = {
  { "HUP", SIGHUP },     { "INT", SIGINT },       { "QUIT", SIGQUIT },   { "ILL", SIGILL },
  { "TRAP", SIGTRAP },   { "ABRT", SIGABRT },     { "IOT", SIGIOT },     { "BUS", SIGBUS },
  { "FPE", SIGFPE },     { "KILL", SIGKILL },     { "USR1", SIGUSR1 },   { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 },   { "PIPE", SIGPIPE },     { "ALRM", SIGALRM },   { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },   { "CLD", SIGCHLD },    { "CONT", SIGCONT },
  { "STOP", SIGSTOP },   { "TSTP", SIGTSTP },     { "TTIN", SIGTTIN },   { "TTOU", SIGTTOU },
  { "URG", SIGURG },     { "XCPU", SIGXCPU },     { "XFSZ", SIGXFSZ },   { "VTALRM", SIGVTALRM },
  { "PROF", SIGPROF },   { "WINCH", SIGWINCH },   { "IO", SIGIO },       { "POLL", SIGPOLL },
  { "PWR", SIGPWR },     { "SYS", SIGSYS },
};

int
brig_parse_signal (const char *s)
{
  int n;
  size_t i;

  if (s == NULL || *s == '\0')
    return -1;
  if (brig_parse_int (s, &n) == 0)
    return (n > 0 && n < NSIG) ? n : -1;
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  for (i = 0; i < ARRAY_SIZE (signals); i++)
    if (strcasecmp (s, signals[i].name) == 0)
      return signals[i].sig;
  if (strncasecmp (s, "RTMIN", 5) == 0)
    {
      int off = 0;
      if (s[5] == '+' && brig_parse_int (s + 6, &off) < 0)
        return -1;
      if (s[5] && s[5] != '+')
        return -1;
      n = SIGRTMIN + off;
      return n <= SIGRTMAX ? n : -1;
    }
  if (strncasecmp (s, "RTMAX", 5) == 0)
    {
      int off = 0;
      if (s[5] == '-' && brig_parse_int (s + 6, &off) < 0)
        return -1;
      if (s[5] && s[5] != '-')
        return -1;
      n = SIGRTMAX - off;
      return n >= SIGRTMIN ? n : -1;
    }
  return -1;
}
