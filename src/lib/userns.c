#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "procfs.h"
#include "userns.h"
#include "utils.h"

static char *
format_map (struct oci_id_mapping **m, size_t n)
{
  size_t i, len = 0;
  char *buf = xmalloc (n * 40 + 1);
  buf[0] = '\0';
  for (i = 0; i < n; i++)
    len += sprintf (buf + len, "%u %u %u\n", m[i]->container_id, m[i]->host_id, m[i]->size);
  return buf;
}

static int
run_helper (const char *helper, pid_t pid, struct oci_id_mapping **m, size_t n, struct brig_error **err)
{
  char **argv = xcalloc (3 * n + 3, sizeof (char *));
  size_t i, a = 0;
  pid_t child;
  int status;

  argv[a++] = (char *) helper;
  argv[a++] = xasprintf ("%d", (int) pid);
  for (i = 0; i < n; i++)
    {
      argv[a++] = xasprintf ("%u", m[i]->container_id);
      argv[a++] = xasprintf ("%u", m[i]->host_id);
      argv[a++] = xasprintf ("%u", m[i]->size);
    }
  child = fork ();
  if (child == 0)
    {
      execvp (helper, argv);
      _exit (127);
    }
  for (i = 1; i < a; i++)
    free (argv[i]);
  free (argv);
  if (child < 0)
    return brig_error_set (err, errno, "fork %s", helper);
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      return brig_error_set (err, errno, "wait %s", helper);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
    return brig_error_set (err, ENOENT, "%s: not found (install the uidmap package)", helper);
  if (! WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return brig_error_set (err, 0, "%s failed: the mappings are not allowed by /etc/sub%cid", helper,
                           helper[3] == 'u' ? 'u' : 'g');
  return 0;
}

static int
write_map (pid_t pid, const char *kind, struct oci_id_mapping **m, size_t n, struct brig_error **err)
{
  _cleanup_free_ char *map = format_map (m, n);
  _cleanup_free_ char *rel = xasprintf ("%d/%s_map", (int) pid, kind);
  struct brig_error *werr = NULL;
  bool own_only = n == 1 && m[0]->size == 1
                  && m[0]->host_id == (strcmp (kind, "uid") == 0 ? geteuid () : getegid ());

  if (geteuid () == 0 || own_only)
    {
      if (brig_procfs_write (rel, map, strlen (map), &werr) == 0)
        return 0;
      if (geteuid () == 0)
        {
          brig_error_move (err, &werr);
          return brig_error_prefix (err, "linux.%sMappings", kind);
        }
      brig_error_free (&werr);
    }
  return run_helper (strcmp (kind, "uid") == 0 ? "newuidmap" : "newgidmap", pid, m, n, err);
}

int
brig_userns_write_maps (pid_t pid, const struct oci_linux *lx, struct brig_error **err)
{
  if (lx == NULL || (lx->uid_mappings_len == 0 && lx->gid_mappings_len == 0))
    return 0;
  if (lx->uid_mappings_len && write_map (pid, "uid", lx->uid_mappings, lx->uid_mappings_len, err) < 0)
    return -1;
  if (lx->gid_mappings_len)
    {
      /* an unprivileged writer of gid_map must deny setgroups first */
      if (geteuid () != 0 && lx->gid_mappings_len == 1 && lx->gid_mappings[0]->size == 1
          && lx->gid_mappings[0]->host_id == getegid ())
        {
          _cleanup_free_ char *rel = xasprintf ("%d/setgroups", (int) pid);
          brig_procfs_write (rel, "deny", 4, NULL);
        }
      if (write_map (pid, "gid", lx->gid_mappings, lx->gid_mappings_len, err) < 0)
        return -1;
    }
  return 0;
}
