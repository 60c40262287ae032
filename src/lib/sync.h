/* Typed messages between the runtime and the container process over a
 * SOCK_SEQPACKET socketpair.  Each message is a fixed header plus at most
 * BRIG_SYNC_MAX bytes of payload and optionally one fd (SCM_RIGHTS);
 * every length is checked on receipt. */
#ifndef BRIG_SYNC_H
#define BRIG_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

enum brig_sync_type
{
  SYNC_ERROR = 1,   /* child -> parent: errnum + message; the child exits */
  SYNC_MAPS,        /* child -> parent: write my uid/gid maps (2-stage path) */
  SYNC_MAPS_DONE,   /* parent -> child */
  SYNC_INIT_PID,    /* child -> parent: the container init (SCM_CREDENTIALS) */
  SYNC_HOOKS,       /* child -> parent: mounts done, run prestart/createRuntime */
  SYNC_HOOKS_DONE,  /* parent -> child */
  SYNC_SECCOMP_FD,  /* child -> parent: the seccomp notify fd */
  SYNC_CONSOLE_FD,  /* child -> parent: the pty master */
  SYNC_FD_DONE,     /* parent -> child: fd handled */
  SYNC_READY,       /* child -> parent: parked before exec.fifo */
  SYNC_GO,          /* parent -> child: go on (after cgroup/userns setup) */
};

#define BRIG_SYNC_MAX 65536

struct brig_sync_msg
{
  uint32_t type;
  int32_t errnum;
  uint32_t len;
  pid_t pid;        /* SYNC_INIT_PID: the sender's pid in the receiver's namespace */
  int fd;           /* received fd or -1 */
  char data[BRIG_SYNC_MAX + 1];
};

int brig_sync_send (int sock, uint32_t type, int32_t errnum, const void *data, size_t len, int fd);
/* Send with the sender's credentials, so the receiver learns its pid. */
int brig_sync_send_creds (int sock, uint32_t type);
/* 0 on success, -1 with errno (EPIPE on EOF). */
int brig_sync_recv (int sock, struct brig_sync_msg *m);
/* Receive and expect TYPE; a SYNC_ERROR becomes *err. */
int brig_sync_expect (int sock, uint32_t type, struct brig_sync_msg *m, struct brig_error **err);

/* The same with write(2)/read(2): what a process under a seccomp filter
   that may notify sendmsg/recvmsg can still use (no fd passing). */
int brig_sync_write (int sock, uint32_t type, const void *data, size_t len);
int brig_sync_read (int sock, struct brig_sync_msg *m);

/* Parent side: the fd a SYNC_SECCOMP_FD message from PID names. */
struct brig_error;
int brig_sync_take_fd (int pidfd, pid_t pid, const struct brig_sync_msg *m, struct brig_error **err);

/* Child side: report ERR to the parent. */
void brig_sync_send_error (int sock, const struct brig_error *err);

#endif
