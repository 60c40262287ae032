#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "idmap.h"
#include "inroot.h"
#include "mountfd.h"
#include "userns.h"
#include "utils.h"

#ifndef MOUNT_ATTR_IDMAP
# define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef STATX_MNT_ID
# define STATX_MNT_ID 0x00001000U
#endif

bool
brig_idmap_wanted (const struct oci_mount *m, const struct brig_mount_opts *o)
{
  return o->idmap || o->ridmap || m->uid_mappings_len || m->gid_mappings_len;
}

/* The mappings of mount IDX: its own, or with a bare `idmap` option the
   container's user namespace ones (as runc and crun). */
static int
mount_maps (const struct oci_spec *s, size_t idx, struct oci_id_mapping ***u, size_t *nu,
            struct oci_id_mapping ***g, size_t *ng, struct brig_error **err)
{
  const struct oci_mount *m = s->mounts[idx];
  if (m->uid_mappings_len || m->gid_mappings_len)
    {
      if (m->uid_mappings_len == 0 || m->gid_mappings_len == 0)
        return brig_error_set (err, 0, "mounts[%zu]: an id-mapped mount needs both uidMappings and gidMappings",
                               idx);
      *u = m->uid_mappings, *nu = m->uid_mappings_len;
      *g = m->gid_mappings, *ng = m->gid_mappings_len;
      return 0;
    }
  if (s->linux_ == NULL || s->linux_->uid_mappings_len == 0 || s->linux_->gid_mappings_len == 0)
    return brig_error_set (err, 0,
                           "mounts[%zu]: `idmap` without mounts[%zu].uidMappings/gidMappings uses the "
                           "container's linux.uidMappings/gidMappings, and there are none",
                           idx, idx);
  *u = s->linux_->uid_mappings, *nu = s->linux_->uid_mappings_len;
  *g = s->linux_->gid_mappings, *ng = s->linux_->gid_mappings_len;
  return 0;
}

/* The filesystem type of the mount holding FD, for messages. */
static char *
fs_type_of (int fd)
{
  struct statx sx;
  FILE *f;
  char *line = NULL, *ret = NULL;
  size_t cap = 0;

  if (syscall (SYS_statx, fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &sx) < 0 || ! (sx.stx_mask & STATX_MNT_ID))
    return xstrdup ("this");
  f = fopen ("/proc/self/mountinfo", "re");
  while (f && getline (&line, &cap, f) > 0 && ret == NULL)
    {
      unsigned long long id;
      char type[64];
      const char *sep = strstr (line, " - ");
      if (sscanf (line, "%llu", &id) == 1 && id == sx.stx_mnt_id && sep && sscanf (sep + 3, "%63s", type) == 1)
        ret = xstrdup (type);
    }
  free (line);
  if (f)
    fclose (f);
  return ret ? ret : xstrdup ("this");
}

/* A detached mount of m: open_tree of a bind source, fsopen/fsmount of
   anything else.  *fsfd gets an fd on the new mount's filesystem, for
   messages. */
static int
detached_mount (const struct oci_mount *m, const struct brig_mount_opts *o, const char *bundle, size_t idx,
                char **fstype, struct brig_error **err)
{
  bool bind = o->bind || (m->type && strcmp (m->type, "bind") == 0);
  int tree;

  if (bind)
    {
      _cleanup_free_ char *src = NULL;
      _cleanup_close_ int srcfd = -1;
      if (m->source == NULL)
        return brig_error_set (err, 0, "mounts[%zu].source: a bind mount needs a source", idx);
      src = m->source[0] == '/' ? xstrdup (m->source) : xasprintf ("%s/%s", bundle, m->source);
      srcfd = open (src, O_PATH | O_CLOEXEC);
      if (srcfd < 0)
        return brig_error_set (err, errno, "mounts[%zu]: bind source `%s`", idx, src);
      *fstype = fs_type_of (srcfd);
      tree = syscall (SYS_open_tree, srcfd, "",
                      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | (o->rbind ? AT_RECURSIVE : 0));
      if (tree < 0)
        return brig_error_set (err, errno, "mounts[%zu]: open_tree `%s`", idx, src);
      return tree;
    }
  if (m->type == NULL)
    return brig_error_set (err, 0, "mounts[%zu].type: required for a mount that is not a bind mount", idx);
  *fstype = xstrdup (m->type);
  tree = brig_fsmount (m->type, m->source, o->data, 0, err);
  return tree < 0 ? brig_error_prefix (err, "mounts[%zu]", idx) : tree;
}

static int
apply_idmap (int tree, int userns_fd, const struct brig_mount_opts *o, size_t idx, const char *fstype,
             bool rootless, struct brig_error **err)
{
  struct mount_attr attr = { 0 };

  attr.attr_set = MOUNT_ATTR_IDMAP | brig_ms_to_attr (o->flags);
  attr.userns_fd = userns_fd;
  if (syscall (SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (o->ridmap ? AT_RECURSIVE : 0), &attr,
               sizeof (attr))
      < 0)
    {
      int e = errno;
      if (e == EINVAL)
        return brig_error_set (err, e, "mounts[%zu]: id-mapped mount: the %s filesystem does not support "
                                       "id-mapped mounts on this kernel", idx, fstype);
      if (e == EPERM && rootless)
        return brig_error_set (err, e,
                               "mounts[%zu]: id-mapped mount: the %s filesystem belongs to the host's user "
                               "namespace, which an unprivileged user does not control, so the kernel refuses "
                               "to id-map it (run as root, or drop uidMappings/gidMappings and idmap)",
                               idx, fstype);
      if (e == EPERM)
        return brig_error_set (err, e, "mounts[%zu]: id-mapped mount of a %s filesystem (already id-mapped, "
                                       "or not owned by this user namespace)", idx, fstype);
      if (e == ENOSYS || e == E2BIG)
        return brig_error_set (err, e, "mounts[%zu]: id-mapped mounts need mount_setattr (Linux 5.12)", idx);
      return brig_error_set (err, e, "mounts[%zu]: mount_setattr MOUNT_ATTR_IDMAP on %s", idx, fstype);
    }
  if ((o->attr_set || o->attr_clr)
      && brig_setattr_fd (tree, o->attr_set, o->attr_clr, true, "id-mapped mount", err) < 0)
    return brig_error_prefix (err, "mounts[%zu]", idx);
  return 0;
}

/* ---- the parent (privileged): detached id-mapped mounts, made before
   the container exists ---- */

int
brig_idmap_prepare (const struct oci_spec *s, const char *bundle, int **fds, struct brig_error **err)
{
  size_t i;

  *fds = NULL;
  if (geteuid () != 0)
    return 0; /* the container's init tries, where the kernel may allow it */
  for (i = 0; i < s->mounts_len; i++)
    {
      struct brig_mount_opts o;
      struct oci_id_mapping **u, **g;
      size_t nu, ng;
      _cleanup_close_ int userns = -1;
      _cleanup_free_ char *fstype = NULL;
      int tree;

      if (brig_mount_opts_parse (s->mounts[i]->options, s->mounts[i]->options_len, &o, err) < 0)
        return brig_error_prefix (err, "mounts[%zu].options", i);
      if (! brig_idmap_wanted (s->mounts[i], &o))
        {
          brig_mount_opts_clear (&o);
          continue;
        }
      if (*fds == NULL)
        {
          size_t j;
          *fds = xcalloc (s->mounts_len, sizeof (int));
          for (j = 0; j < s->mounts_len; j++)
            (*fds)[j] = -1;
        }
      if (mount_maps (s, i, &u, &nu, &g, &ng, err) < 0)
        goto fail;
      userns = brig_userns_fd_for (u, nu, g, ng, err);
      if (userns < 0)
        {
          brig_error_prefix (err, "mounts[%zu]", i);
          goto fail;
        }
      tree = detached_mount (s->mounts[i], &o, bundle, i, &fstype, err);
      if (tree < 0)
        goto fail;
      if (apply_idmap (tree, userns, &o, i, fstype, false, err) < 0)
        {
          close (tree);
          goto fail;
        }
      (*fds)[i] = tree;
      brig_mount_opts_clear (&o);
      continue;
    fail:
      brig_mount_opts_clear (&o);
      brig_idmap_close (*fds, s->mounts_len);
      *fds = NULL;
      return -1;
    }
  return 0;
}

void
brig_idmap_close (int *fds, size_t n)
{
  size_t i;
  if (fds == NULL)
    return;
  for (i = 0; i < n; i++)
    if (fds[i] >= 0)
      close (fds[i]);
  free (fds);
}

/* ---- the container's init ---- */

/* HOST (an id of the parent namespace) as an id of our user namespace,
   through /proc/self/KIND_map; for the whole range [HOST, HOST+N). */
static int
to_own_id (const char *kind, uint32_t host, uint32_t n, uint32_t *out)
{
  _cleanup_free_ char *buf = NULL;
  _cleanup_free_ char *path = xasprintf ("/proc/self/%s_map", kind);
  size_t len;
  char *line, *save = NULL;
  if (brig_read_file (path, &buf, &len, 1 << 16, NULL) < 0)
    return -1;
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      unsigned long in, outside, count;
      if (sscanf (line, "%lu %lu %lu", &in, &outside, &count) != 3)
        continue;
      if (host >= outside && (unsigned long) host + n <= outside + count)
        {
          *out = in + (host - outside);
          return 0;
        }
    }
  return -1;
}

static int
translate (const char *kind, struct oci_id_mapping **m, size_t n, struct oci_id_mapping ***out, size_t idx,
           struct brig_error **err)
{
  size_t i;
  *out = xcalloc (n + 1, sizeof (**out));
  for (i = 0; i < n; i++)
    {
      (*out)[i] = xcalloc (1, sizeof (struct oci_id_mapping));
      *(*out)[i] = *m[i];
      if (to_own_id (kind, m[i]->host_id, m[i]->size, &(*out)[i]->host_id) < 0)
        return brig_error_set (err, 0,
                               "mounts[%zu]: id-mapped mount: host %ss %u-%lu are not all mapped in the "
                               "container's user namespace (linux.%sMappings)",
                               idx, kind, m[i]->host_id, (unsigned long) m[i]->host_id + m[i]->size - 1, kind);
    }
  return 0;
}

static void
free_maps (struct oci_id_mapping **m, size_t n)
{
  size_t i;
  if (m == NULL)
    return;
  for (i = 0; i < n; i++)
    free (m[i]);
  free (m);
}

int
brig_idmap_mount (const struct oci_spec *s, const char *bundle, int rootfd, const int *fds, bool userns,
                  size_t idx, const struct brig_mount_opts *o, struct brig_error **err)
{
  const struct oci_mount *m = s->mounts[idx];
  _cleanup_close_ int tree = -1;
  _cleanup_close_ int target = -1;
  struct stat st;
  int ret = -1;

  if (fds && fds[idx] >= 0)
    tree = dup (fds[idx]);
  else
    {
      /* unprivileged: the mount is made here, in the container's user
         namespace, with a user namespace of ours whose ids are the
         container's own; the kernel decides if that is enough */
      struct oci_id_mapping **u, **g, **tu = NULL, **tg = NULL;
      size_t nu, ng;
      _cleanup_close_ int uns = -1;
      _cleanup_free_ char *fstype = NULL;
      if (mount_maps (s, idx, &u, &nu, &g, &ng, err) < 0)
        return -1;
      if (userns && (translate ("uid", u, nu, &tu, idx, err) < 0 || translate ("gid", g, ng, &tg, idx, err) < 0))
        goto out_maps;
      uns = brig_userns_fd_for (userns ? tu : u, nu, userns ? tg : g, ng, err);
      if (uns < 0)
        {
          brig_error_prefix (err, "mounts[%zu]", idx);
          goto out_maps;
        }
      tree = detached_mount (m, o, bundle, idx, &fstype, err);
      if (tree >= 0 && apply_idmap (tree, uns, o, idx, fstype, geteuid () != 0 || userns, err) == 0)
        ret = 0;
    out_maps:
      free_maps (tu, nu);
      free_maps (tg, ng);
      if (ret < 0)
        return -1;
      ret = -1;
    }
  if (tree < 0)
    return brig_error_set (err, errno, "mounts[%zu]: dup id-mapped mount", idx);
  if (fstat (tree, &st) < 0)
    return brig_error_set (err, errno, "mounts[%zu]: stat id-mapped mount", idx);
  target = S_ISDIR (st.st_mode) ? brig_inroot_mkdir_all (rootfd, m->destination, 0755, err)
                                : brig_inroot_mkfile (rootfd, m->destination, 0644, err);
  if (target < 0)
    return brig_error_prefix (err, "mounts[%zu]", idx);
  if (syscall (SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return brig_error_set (err, errno, "mounts[%zu]: move the id-mapped mount to `%s`", idx, m->destination);
  return 0;
}
