/* Regression tests for tests/security and the fuzzers' findings:
   - the JSON parser refuses deep nesting (brig died of SIGSEGV on a few
     MB of "[[[[", yajl recursing) and \u0000 in strings;
   - an integer too large for 64 bits says "out of range";
   - an empty mount option adds nothing to the data string (fuzz finding);
   - the in-root resolver, with openat2 and with the userspace fallback
     (BRIG_FORCE_NO_OPENAT2=1, in a child process: the choice is made
     once), keeps absolute and ../ symlinks inside the root and follows a
     final symlink to a directory with O_DIRECTORY (the fallback got ENOTDIR
     there). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inroot.h"
#include "mountopts.h"
#include "ocispec.h"
#include "unit.h"

static void
json_checks (void)
{
  size_t n = 2000000, i;
  char *deep = malloc (2 * n + 1), *err = NULL;
  struct oci_spec *s;
  for (i = 0; i < n; i++)
    deep[i] = '[', deep[n + i] = ']';
  deep[2 * n] = '\0';
  s = oci_spec_parse (deep, 2 * n, &err);
  CHECK (s == NULL && err && strstr (err, "nested deeper"), "2 M levels of nesting refused (got `%s`)", err ? err : "");
  free (err), err = NULL;
  /* 100 levels are fine (inside a string map nobody reads) */
  {
    char buf[512] = "{\"x\":";
    for (i = 0; i < 100; i++)
      strcat (buf, "[");
    for (i = 0; i < 100; i++)
      strcat (buf, "]");
    strcat (buf, "}");
    s = oci_spec_parse (buf, strlen (buf), &err);
    CHECK (s == NULL && err && strstr (err, "nested") == NULL, "100 levels parse (then fail on content: `%s`)",
           err ? err : "");
    free (err), err = NULL;
  }
  {
    const char *j = "{\"ociVersion\\u0000x\":\"1.0\"}";
    s = oci_spec_parse (j, strlen (j), &err);
    CHECK (s == NULL && err && strstr (err, "u0000"), "\\u0000 in a key refused (got `%s`)", err ? err : "");
    free (err), err = NULL;
    j = "{\"ociVersion\":\"1.0\\\\u0000\"}"; /* an escaped backslash, then text */
    s = oci_spec_parse (j, strlen (j), &err);
    CHECK (err == NULL || strstr (err, "u0000") == NULL, "an escaped backslash before u0000 is not a NUL");
    if (s)
      oci_spec_free (s);
    free (err), err = NULL;
  }
  {
    const char *j = "{\"ociVersion\":\"1.0\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/\","
                    "\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":18446744073709551616,\"hard\":1}]}}";
    s = oci_spec_parse (j, strlen (j), &err);
    CHECK (s == NULL && err && strstr (err, "out of range"), "2^64 is out of range (got `%s`)", err ? err : "");
    free (err), err = NULL;
  }
  free (deep);
}

static void
mountopt_checks (void)
{
  char *opts[] = { (char *) "", (char *) "mode=755", (char *) "", (char *) "size=1m", (char *) "" };
  struct brig_mount_opts o;
  struct brig_error *err = NULL;
  int r = brig_mount_opts_parse (opts, 5, &o, &err);
  CHECK (r == 0 && o.data && strcmp (o.data, "mode=755,size=1m") == 0, "empty mount options are skipped (data `%s`)",
         o.data ? o.data : "(null)");
  brig_mount_opts_clear (&o);
  brig_error_free (&err);
}

/* A root with links that aim out of it; RESULT is "inside" or why not. */
static int
inroot_checks (const char *mode)
{
  char tmpl[] = "/tmp/brig-unit-root.XXXXXX";
  char *top = mkdtemp (tmpl), path[4200];
  int failed = 0, root, fd;
  struct stat a, b;

  if (top == NULL)
    return 1;
  snprintf (path, sizeof (path), "%s/root", top);
  mkdir (path, 0755);
  snprintf (path, sizeof (path), "%s/root/etc", top);
  mkdir (path, 0755);
  snprintf (path, sizeof (path), "%s/root/etc/marker", top);
  close (open (path, O_CREAT | O_WRONLY, 0644));
  snprintf (path, sizeof (path), "%s/outside", top);
  mkdir (path, 0755);
  snprintf (path, sizeof (path), "%s/root/abs", top);
  symlink ("/etc", path);
  snprintf (path, sizeof (path), "%s/root/up", top);
  symlink ("../../../../../../..", path);
  snprintf (path, sizeof (path), "%s/root/esc", top);
  {
    char target[4200];
    snprintf (target, sizeof (target), "%s/outside", top);
    symlink (target, path); /* an absolute host path: dangling in root */
  }
  snprintf (path, sizeof (path), "%s/root", top);
  root = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  snprintf (path, sizeof (path), "%s/root/etc/marker", top);
  stat (path, &a);

#define SAME(fd) ((fd) >= 0 && fstat ((fd), &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
  fd = brig_inroot_open (root, "/abs/marker", O_PATH, 0, NULL);
  if (! SAME (fd))
    failed = 1, printf ("not ok - %s: /abs/marker (abs -> /etc) resolves to root/etc/marker\n", mode);
  else
    printf ("ok - %s: /abs/marker (abs -> /etc) resolves to root/etc/marker\n", mode);
  if (fd >= 0)
    close (fd);
  fd = brig_inroot_open (root, "/up/up/etc/marker", O_PATH, 0, NULL);
  if (! SAME (fd))
    failed = 1, printf ("not ok - %s: ../ links stop at the root\n", mode);
  else
    printf ("ok - %s: ../ links stop at the root\n", mode);
  if (fd >= 0)
    close (fd);
  fd = brig_inroot_open (root, "/abs", O_PATH | O_DIRECTORY, 0, NULL);
  snprintf (path, sizeof (path), "%s/root/etc", top);
  stat (path, &a);
  if (! SAME (fd))
    failed = 1, printf ("not ok - %s: a final symlink to a directory, O_DIRECTORY\n", mode);
  else
    printf ("ok - %s: a final symlink to a directory, O_DIRECTORY\n", mode);
  if (fd >= 0)
    close (fd);
  /* mkdir -p through a link to a host path: made inside, never outside */
  fd = brig_inroot_mkdir_all (root, "/esc/new/dir", 0755, NULL);
  if (fd >= 0)
    close (fd);
  snprintf (path, sizeof (path), "%s/outside/new", top);
  if (access (path, F_OK) == 0)
    failed = 1, printf ("not ok - %s: mkdir -p through a link to a host path stays inside\n", mode);
  else
    printf ("ok - %s: mkdir -p through a link to a host path stays inside\n", mode);
  fd = brig_inroot_mkdir_all (root, "/up/etc/sub", 0755, NULL);
  snprintf (path, sizeof (path), "%s/root/etc/sub", top);
  if (fd < 0 || access (path, F_OK) != 0)
    failed = 1, printf ("not ok - %s: mkdir -p through ../ links lands in the root\n", mode);
  else
    printf ("ok - %s: mkdir -p through ../ links lands in the root\n", mode);
  if (fd >= 0)
    close (fd);
  close (root);
  {
    char cmd[4300];
    snprintf (cmd, sizeof (cmd), "rm -rf '%s'", top);
    if (system (cmd) != 0)
      failed = 1;
  }
  fflush (stdout);
  return failed;
}

int
main (void)
{
  pid_t pid;
  int st;

  json_checks ();
  mountopt_checks ();
  if (inroot_checks ("openat2"))
    unit_failed = 1;
  fflush (stdout);
  pid = fork ();
  if (pid == 0)
    {
      setenv ("BRIG_FORCE_NO_OPENAT2", "1", 1);
      _exit (inroot_checks ("fallback resolver"));
    }
  if (pid < 0 || waitpid (pid, &st, 0) < 0 || ! WIFEXITED (st) || WEXITSTATUS (st) != 0)
    unit_failed = 1;
  UNIT_END ();
}
