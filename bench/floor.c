/* floor: the kernel-side floor of a container start, for bench/run.sh.
 *
 * What a low-level runtime cannot avoid for the default `runc spec` config,
 * and nothing else: one clone() with the config's namespaces (pid, net, ipc,
 * uts, mount), the config's mounts (proc, /dev tmpfs + device nodes, devpts,
 * shm, mqueue, read-only sysfs, a /sys/fs/cgroup placeholder), the masked
 * and read-only paths, pivot_root, sethostname and execve of the command.
 * No config parsing, no state, no cgroups, no seccomp, no capabilities
 * dropping: a runtime is "at the floor" when its cost approaches this.
 *
 *   floor [-U] ROOTFS [CMD [ARGS...]]     (CMD defaults to /bin/true)
 *
 * -U: rootless variant (what `runc spec --rootless` asks for): adds a user
 *     namespace mapping the caller's uid/gid to 0, drops the network
 *     namespace, binds /sys and the host's device nodes instead of mounting
 *     sysfs and calling mknod.
 *
 * Exit status: the command's, or 125 when the setup failed.
 * Build: cc -O2 -o floor floor.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int rootless;
static const char *rootfs;
static char **cmd;
static int sync_pipe[2];

#define STACK_SIZE (256 * 1024)

static void die(const char *what, const char *arg)
{
  fprintf(stderr, "floor: %s %s: %s\n", what, arg ? arg : "", strerror(errno));
  _exit(125);
}

static void do_mount(const char *src, const char *dst, const char *type,
                     unsigned long flags, const char *data)
{
  if (mount(src, dst, type, flags, data) < 0)
    die("mount", dst);
}

static void mkdir_p(const char *path)
{
  if (mkdir(path, 0755) < 0 && errno != EEXIST)
    die("mkdir", path);
}

/* Same device set as runc's defaults. */
static const struct { const char *name; unsigned maj, min; } devices[] = {
  {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
  {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

static const char *masked[] = {
  "proc/acpi", "proc/asound", "proc/kcore", "proc/keys", "proc/latency_stats",
  "proc/timer_list", "proc/timer_stats", "proc/sched_debug", "sys/firmware",
  "proc/scsi",
};

static const char *readonly[] = {
  "proc/bus", "proc/fs", "proc/irq", "proc/sys", "proc/sysrq-trigger",
};

static int child(void *arg)
{
  char c;
  size_t i;
  struct stat st;
  const unsigned long nsd = MS_NOSUID | MS_NODEV | MS_NOEXEC;

  (void) arg;
  close(sync_pipe[1]);
  /* wait for the parent (uid/gid maps in rootless mode) */
  if (read(sync_pipe[0], &c, 1) != 1)
    _exit(125);
  close(sync_pipe[0]);

  do_mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL);
  do_mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL);
  if (chdir(rootfs) < 0)
    die("chdir", rootfs);

  do_mount("proc", "proc", "proc", nsd, NULL);
  do_mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
           "mode=755,size=65536k");
  mkdir_p("dev/pts");
  do_mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
           rootless ? "newinstance,ptmxmode=0666,mode=0620"
                    : "newinstance,ptmxmode=0666,mode=0620,gid=5");
  mkdir_p("dev/shm");
  do_mount("shm", "dev/shm", "tmpfs", nsd, "mode=1777,size=65536k");
  mkdir_p("dev/mqueue");
  do_mount("mqueue", "dev/mqueue", "mqueue", nsd, NULL);
  if (rootless)
    do_mount("/sys", "sys", NULL, MS_BIND | MS_REC, NULL);
  else {
    do_mount("sysfs", "sys", "sysfs", nsd | MS_RDONLY, NULL);
    do_mount("tmpfs", "sys/fs/cgroup", "tmpfs", nsd | MS_RDONLY, "mode=755");
  }

  for (i = 0; i < sizeof devices / sizeof devices[0]; i++) {
    char path[64], host[64];
    snprintf(path, sizeof path, "dev/%s", devices[i].name);
    if (rootless) {
      int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0666);
      if (fd < 0)
        die("create", path);
      close(fd);
      snprintf(host, sizeof host, "/dev/%s", devices[i].name);
      do_mount(host, path, NULL, MS_BIND, NULL);
    } else if (mknod(path, S_IFCHR | 0666, makedev(devices[i].maj, devices[i].min)) < 0)
      die("mknod", path);
  }
  if (symlink("/proc/self/fd", "dev/fd") < 0 || symlink("/proc/self/fd/0", "dev/stdin") < 0
      || symlink("/proc/self/fd/1", "dev/stdout") < 0 || symlink("/proc/self/fd/2", "dev/stderr") < 0
      || symlink("pts/ptmx", "dev/ptmx") < 0)
    die("symlink", "dev");

  for (i = 0; i < sizeof masked / sizeof masked[0]; i++) {
    if (stat(masked[i], &st) < 0)
      continue;
    if (S_ISDIR(st.st_mode))
      do_mount("tmpfs", masked[i], "tmpfs", MS_RDONLY, NULL);
    else
      do_mount("dev/null", masked[i], NULL, MS_BIND, NULL);
  }
  for (i = 0; i < sizeof readonly / sizeof readonly[0]; i++) {
    if (stat(readonly[i], &st) < 0)
      continue;
    do_mount(readonly[i], readonly[i], NULL, MS_BIND | MS_REC, NULL);
    do_mount(NULL, readonly[i], NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | nsd, NULL);
  }

  if (syscall(SYS_pivot_root, ".", ".") < 0)
    die("pivot_root", rootfs);
  if (umount2(".", MNT_DETACH) < 0)
    die("umount2", "old root");
  if (chdir("/") < 0)
    die("chdir", "/");
  /* root.readonly = true in the default config */
  do_mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
  if (sethostname("runc", 4) < 0)
    die("sethostname", "runc");

  execv(cmd[0], cmd);
  die("execv", cmd[0]);
  return 125;
}

static void write_file(pid_t pid, const char *name, const char *data)
{
  char path[64];
  int fd;
  snprintf(path, sizeof path, "/proc/%d/%s", (int) pid, name);
  fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t) strlen(data))
    die("write", path);
  close(fd);
}

int main(int argc, char **argv)
{
  static char *default_cmd[] = {"/bin/true", NULL};
  int flags = CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS | SIGCHLD;
  int status, argi = 1;
  char *stack;
  pid_t pid;

  if (argi < argc && strcmp(argv[argi], "-U") == 0) {
    rootless = 1;
    argi++;
  }
  if (argi >= argc) {
    fprintf(stderr, "usage: floor [-U] ROOTFS [CMD [ARGS...]]\n");
    return 2;
  }
  rootfs = argv[argi++];
  cmd = argi < argc ? argv + argi : default_cmd;
  flags |= rootless ? CLONE_NEWUSER : CLONE_NEWNET;

  if (pipe2(sync_pipe, O_CLOEXEC) < 0)
    die("pipe", NULL);
  stack = malloc(STACK_SIZE);
  if (!stack)
    die("malloc", NULL);
  pid = clone(child, stack + STACK_SIZE, flags, NULL);
  if (pid < 0)
    die("clone", NULL);
  close(sync_pipe[0]);
  if (rootless) {
    char map[64];
    write_file(pid, "setgroups", "deny");
    snprintf(map, sizeof map, "0 %u 1\n", (unsigned) getuid());
    write_file(pid, "uid_map", map);
    snprintf(map, sizeof map, "0 %u 1\n", (unsigned) getgid());
    write_file(pid, "gid_map", map);
  }
  if (write(sync_pipe[1], "x", 1) != 1)
    die("write", "sync pipe");
  close(sync_pipe[1]);

  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      die("waitpid", NULL);
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}
