/* Small helpers: strict numbers, signals, ids, mount options, in-root paths. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/wait.h>

#include "inroot.h"
#include "mountopts.h"
#include "signals.h"
#include "state.h"
#include "unit.h"
#include "utils.h"

#include <sys/mount.h>

static void
inroot_checks (const char *mode)
{
  char tmpl[] = "/tmp/brig-unit.XXXXXX";
  char *root = mkdtemp (tmpl);
  char path[512];
  int rootfd, fd;
  struct stat st;

  snprintf (path, sizeof (path), "%s/etc", root);
  mkdir (path, 0755);
  snprintf (path, sizeof (path), "%s/abs", root);
  symlink ("/etc", path);         /* absolute: must stay in root */
  snprintf (path, sizeof (path), "%s/up", root);
  symlink ("../../../../etc", path); /* climbing: must stay in root */
  snprintf (path, sizeof (path), "%s/etc/marker", root);
  close (open (path, O_CREAT | O_WRONLY, 0644));
  rootfd = open (root, O_PATH | O_DIRECTORY);

  fd = brig_inroot_open (rootfd, "/abs/marker", O_RDONLY, 0, NULL);
  CHECK (fd >= 0, "%s: absolute symlink resolves inside the root", mode);
  if (fd >= 0)
    close (fd);
  fd = brig_inroot_open (rootfd, "/up/marker", O_RDONLY, 0, NULL);
  CHECK (fd >= 0, "%s: .. symlink cannot climb out of the root", mode);
  if (fd >= 0)
    close (fd);
  fd = brig_inroot_open (rootfd, "/abs/passwd", O_RDONLY, 0, NULL);
  CHECK (fd < 0, "%s: the host's /etc/passwd is not reachable through a symlink", mode);
  fd = brig_inroot_mkdir_all (rootfd, "/abs/new/dir", 0755, NULL);
  snprintf (path, sizeof (path), "%s/etc/new/dir", root);
  CHECK (fd >= 0 && stat (path, &st) == 0 && stat ("/etc/new", &st) != 0,
         "%s: mkdir through a symlink creates inside the root", mode);
  if (fd >= 0)
    close (fd);
  fd = brig_inroot_mkfile (rootfd, "/up/file", 0644, NULL);
  snprintf (path, sizeof (path), "%s/etc/file", root);
  CHECK (fd >= 0 && stat (path, &st) == 0, "%s: mkfile through a climbing symlink stays inside", mode);
  if (fd >= 0)
    close (fd);
  close (rootfd);
  {
    char cmd[600];
    snprintf (cmd, sizeof (cmd), "rm -rf %s", root);
    system (cmd);
  }
}

int
main (void)
{
  uint64_t u;
  int64_t i;
  struct brig_mount_opts o;
  char *opts[] = { "nosuid", "ro", "size=64k", "mode=755", "rbind", "rro", "rshared" };

  CHECK (brig_parse_u64 ("18446744073709551615", &u) == 0 && u == UINT64_MAX, "u64 max");
  CHECK (brig_parse_u64 ("18446744073709551616", &u) < 0, "u64 overflow refused");
  CHECK (brig_parse_u64 ("12x", &u) < 0 && brig_parse_u64 ("", &u) < 0 && brig_parse_u64 ("-1", &u) < 0,
         "junk refused");
  CHECK (brig_parse_i64 ("-42", &i) == 0 && i == -42, "i64");

  CHECK (brig_parse_signal ("KILL") == SIGKILL && brig_parse_signal ("SIGTERM") == SIGTERM
             && brig_parse_signal ("9") == 9 && brig_parse_signal ("sigusr1") == SIGUSR1,
         "signal names and numbers");
  CHECK (brig_parse_signal ("RTMIN+2") == SIGRTMIN + 2, "realtime signals");
  CHECK (brig_parse_signal ("FOO") < 0 && brig_parse_signal ("0") < 0 && brig_parse_signal ("65") < 0,
         "unknown signals refused");

  CHECK (brig_validate_id ("abc-1_2+x.y", NULL) == 0, "valid id");
  CHECK (brig_validate_id ("a/b", NULL) < 0 && brig_validate_id ("..", NULL) < 0
             && brig_validate_id (".x", NULL) < 0 && brig_validate_id ("", NULL) < 0,
         "ids with / or .. or a leading dot refused");

  CHECK (brig_mount_opts_parse (opts, 7, &o, NULL) == 0, "mount options parse");
  CHECK ((o.flags & (MS_NOSUID | MS_RDONLY)) == (MS_NOSUID | MS_RDONLY), "flags");
  CHECK (o.data && strcmp (o.data, "size=64k,mode=755") == 0, "data options kept in order");
  CHECK (o.bind && o.rbind && o.attr_set && o.propagation == (MS_SHARED | MS_REC), "rbind, rro, rshared");
  brig_mount_opts_clear (&o);

  inroot_checks ("openat2");
  setenv ("BRIG_FORCE_NO_OPENAT2", "1", 1);
  /* the fallback is chosen once per process: run it in a child */
  fflush (stdout);
  if (fork () == 0)
    {
      inroot_checks ("fallback");
      fflush (stdout);
      _exit (unit_failed);
    }
  {
    int status;
    wait (&status);
    if (! WIFEXITED (status) || WEXITSTATUS (status))
      unit_failed = 1;
  }
  UNIT_END ();
}
