#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "devices.h"
#include "idmap.h"
#include "inroot.h"
#include "mountfd.h"
#include "mountopts.h"
#include "procfs.h"
#include "rootfs.h"
#include "rootless.h"
#include "utils.h"

#ifndef CGROUP2_SUPER_MAGIC
# define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static bool
is_type (const char *t, const char *want)
{
  return t && strcmp (t, want) == 0;
}

/* /proc, /sys and friends must be real directories in the rootfs: a
   symlink there is how several escapes started (CVE-2019-19921,
   CVE-2023-27561, youki's GHSA for symlinked /proc). */
static int
refuse_symlink (int rootfd, const char *dest, struct brig_error **err)
{
  _cleanup_close_ int fd = brig_inroot_open (rootfd, dest, O_PATH | O_NOFOLLOW, 0, NULL);
  struct stat st;
  if (fd < 0)
    return 0;
  if (fstat (fd, &st) == 0 && S_ISLNK (st.st_mode))
    return brig_error_set (err, 0, "mount destination `%s` is a symlink in the rootfs", dest);
  return 0;
}

static int
mount_on_fd (const char *src, int dstfd, const char *type, unsigned long flags, const char *data,
             const char *what, struct brig_error **err)
{
  char buf[32];
  if (mount (src, brig_fd_path (dstfd, buf), type, flags, data) < 0)
    return brig_error_set (err, errno, "mount %s on `%s`", type ? type : src, what);
  return 0;
}

/* Our own cgroup in the hierarchy whose super options are SUPER (the v1
   controllers, "name=systemd"), or in the unified one when SUPER is NULL:
   the path from /proc/self/cgroup, or NULL. */
static char *
own_cgroup (const char *super)
{
  _cleanup_free_ char *buf = NULL;
  char *line, *save = NULL;

  if (brig_read_file ("/proc/self/cgroup", &buf, NULL, 1 << 16, NULL) < 0)
    return NULL;
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      char *ctrls, *tok, *tsave = NULL;
      bool all = true;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      ctrls = c1 + 1;
      if (super == NULL || *ctrls == '\0')
        {
          if (super == NULL && *ctrls == '\0')
            return xstrdup (c2 + 1);
          continue;
        }
      for (tok = strtok_r (ctrls, ",", &tsave); tok; tok = strtok_r (NULL, ",", &tsave))
        {
          /* whole words of the super options */
          const char *p = super;
          size_t l = strlen (tok);
          bool found = false;
          while ((p = strstr (p, tok)))
            {
              if ((p == super || p[-1] == ',') && (p[l] == ',' || p[l] == '\0'))
                {
                  found = true;
                  break;
                }
              p += l;
            }
          all = all && found;
        }
      if (all)
        return xstrdup (c2 + 1);
    }
  return NULL;
}

/* Without a private cgroup namespace the container sees its own cgroup,
   bound from the host (as runc does), read-only unless asked otherwise;
   the hierarchy's root if ours is not found. */
static int
bind_own_cgroup (const char *mp, const char *super, int target, unsigned long flags, const char *dest,
                 struct brig_error **err)
{
  _cleanup_free_ char *own = own_cgroup (super);
  _cleanup_free_ char *path = own && strcmp (own, "/") != 0 ? xasprintf ("%s%s", mp, own) : xstrdup (mp);
  _cleanup_close_ int src = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (src < 0)
    src = open (mp, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (src < 0)
    return 0;
  return brig_bind_fd (src, target, false, brig_ms_to_attr (flags | MS_NOSUID | MS_NODEV | MS_NOEXEC), 0, false,
                       dest, err);
}

/* /sys/fs/cgroup for a "cgroup" mount: cgroup2 where the host is v2; on
   v1 and hybrid hosts a tmpfs holding one mount per hierarchy, as runc
   does.  Fresh mounts in a private cgroup namespace, else binds of the
   host's (read-only unless asked otherwise). */
static int
mount_cgroup (struct brig_rootfs *r, int target, const char *dest, unsigned long flags,
              struct brig_error **err)
{
  struct statfs sfs;
  FILE *mi;
  char *line = NULL;
  size_t cap = 0;
  _cleanup_close_ int top = -1;
  int ret = 0;

  if (statfs ("/sys/fs/cgroup", &sfs) < 0)
    return 0; /* no cgroupfs on the host: nothing to show */
  if (sfs.f_type == CGROUP2_SUPER_MAGIC)
    {
      if (r->new_cgroupns && mount_on_fd ("cgroup2", target, "cgroup2", flags, NULL, dest, NULL) == 0)
        return 0;
      return bind_own_cgroup ("/sys/fs/cgroup", NULL, target, flags, dest, err);
    }

  if (mount_on_fd ("tmpfs", target, "tmpfs", (flags & ~MS_RDONLY) | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   "mode=755", dest, err) < 0)
    return -1;
  top = brig_inroot_open (r->rootfd, dest, O_PATH | O_DIRECTORY, 0, err);
  if (top < 0)
    return -1;
  mi = fopen ("/proc/self/mountinfo", "re");
  if (mi == NULL)
    return brig_error_set (err, errno, "open /proc/self/mountinfo");
  while (getline (&line, &cap, mi) > 0 && ret == 0)
    {
      /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
      char mp[4096], fstype[64], super[1024];
      const char *sep = strstr (line, " - ");
      const char *name, *opts;
      _cleanup_close_ int sub = -1;
      if (sep == NULL || sscanf (line, "%*s %*s %*s %*s %4095s", mp) != 1)
        continue;
      if (sscanf (sep + 3, "%63s %*s %1023s", fstype, super) != 2)
        continue;
      if (strncmp (mp, "/sys/fs/cgroup/", 15) != 0 || strchr (mp + 15, '/'))
        continue;
      if (strcmp (fstype, "cgroup") != 0 && strcmp (fstype, "cgroup2") != 0)
        continue;
      name = mp + 15;
      if (mkdirat (top, name, 0755) < 0 && errno != EEXIST)
        {
          ret = brig_error_set (err, errno, "mkdir `%s/%s`", dest, name);
          break;
        }
      sub = openat (top, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        {
          ret = brig_error_set (err, errno, "open `%s/%s`", dest, name);
          break;
        }
      /* the controllers of a v1 hierarchy are in its super options */
      opts = strcmp (fstype, "cgroup2") == 0 ? NULL : super;
      if (r->new_cgroupns && ! r->userns
          && mount_on_fd (fstype, sub, fstype, flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, opts, dest, NULL) == 0)
        continue;
      ret = bind_own_cgroup (mp, opts, sub, flags, dest, err);
    }
  free (line);
  fclose (mi);
  if (ret < 0)
    return ret;
  /* co-mounted controllers: the host's symlinks (cpu -> cpu,cpuacct) */
  {
    _cleanup_close_ int host = open ("/sys/fs/cgroup", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = host >= 0 ? fdopendir (dup (host)) : NULL;
    struct dirent *de;
    while (d && (de = readdir (d)))
      {
        char target[256];
        ssize_t n;
        if (de->d_type != DT_LNK)
          continue;
        n = readlinkat (host, de->d_name, target, sizeof (target) - 1);
        if (n <= 0)
          continue;
        target[n] = '\0';
        symlinkat (target, top, de->d_name);
      }
    if (d)
      closedir (d);
  }
  if (flags & MS_RDONLY)
    return brig_setattr_fd (top, MOUNT_ATTR_RDONLY, 0, false, dest, err);
  return 0;
}

static int
mount_one (struct brig_rootfs *r, size_t idx, struct brig_error **err)
{
  const struct oci_mount *m = r->spec->mounts[idx];
  struct brig_mount_opts o;
  const char *type = m->type;
  const char *dest = m->destination;
  _cleanup_close_ int target = -1;
  _cleanup_close_ int top = -1;
  bool bind;
  int ret = -1;

  if (brig_mount_opts_parse (m->options, m->options_len, &o, err) < 0)
    return brig_error_prefix (err, "mounts[%zu].options", idx);
  bind = o.bind || is_type (type, "bind");
  if (brig_idmap_wanted (m, &o))
    {
      /* idmap.h: made by the parent (root) or here (rootless) */
      if (brig_idmap_mount (r->spec, r->bundle, r->rootfd, r->idmap_fds, r->userns, idx, &o, err) < 0)
        goto out;
    }
  else if (bind)
    {
      _cleanup_free_ char *src = NULL;
      _cleanup_close_ int srcfd = -1;
      struct stat st;
      if (m->source == NULL)
        {
          brig_error_set (err, 0, "mounts[%zu].source: a bind mount needs a source", idx);
          goto out;
        }
      src = m->source[0] == '/' ? xstrdup (m->source) : xasprintf ("%s/%s", r->bundle, m->source);
      srcfd = open (src, O_PATH | O_CLOEXEC);
      if (srcfd < 0 || fstat (srcfd, &st) < 0)
        {
          brig_error_set (err, errno, "mounts[%zu]: bind source `%s`", idx, src);
          goto out;
        }
      target = S_ISDIR (st.st_mode) ? brig_inroot_mkdir_all (r->rootfd, dest, 0755, err)
                                    : brig_inroot_mkfile (r->rootfd, dest, 0644, err);
      if (target < 0)
        goto prefix;
      if (brig_bind_fd (srcfd, target, o.rbind, brig_ms_to_attr (o.flags) | o.attr_set,
                        brig_ms_to_attr (o.clear) | o.attr_clr, false, dest, err) < 0)
        goto prefix;
      /* r* attributes apply to every mount below, not just the top one */
      if (o.attr_set || o.attr_clr)
        {
          top = brig_inroot_open (r->rootfd, dest, O_PATH, 0, err);
          if (top < 0 || brig_setattr_fd (top, o.attr_set, o.attr_clr, true, dest, err) < 0)
            goto prefix;
        }
    }
  else
    {
      const char *src = m->source ? m->source : (type ? type : "none");
      if (type == NULL)
        {
          brig_error_set (err, 0, "mounts[%zu].type: required for a mount that is not a bind mount", idx);
          goto out;
        }
      if (is_type (type, "proc") || is_type (type, "sysfs") || is_type (type, "cgroup")
          || is_type (type, "cgroup2") || is_type (type, "devpts") || is_type (type, "mqueue"))
        if (refuse_symlink (r->rootfd, dest, err) < 0)
          goto out;
      target = brig_inroot_mkdir_all (r->rootfd, dest, 0755, err);
      if (target < 0)
        goto prefix;
      if (is_type (type, "cgroup"))
        {
          if (mount_cgroup (r, target, dest, o.flags, err) < 0)
            goto prefix;
        }
      else if (mount_on_fd (src, target, type, o.flags, o.data, dest, err) < 0)
        {
          /* what a user namespace refuses: sysfs and mqueue from the host,
             devpts without unmapped ids, or the reason (rootless.h) */
          struct brig_rootless_mount fb = { type, src, dest, target, o.flags, o.data, r->userns };
          if (brig_rootless_mount_fallback (&fb, err && *err ? (*err)->errnum : errno, err) < 0)
            goto prefix;
        }
      if (o.attr_set || o.attr_clr)
        {
          top = brig_inroot_open (r->rootfd, dest, O_PATH, 0, err);
          if (top < 0 || brig_setattr_fd (top, o.attr_set, o.attr_clr, true, dest, err) < 0)
            goto prefix;
        }
    }

  if (o.propagation)
    {
      char buf[32];
      if (top < 0)
        top = brig_inroot_open (r->rootfd, dest, O_PATH, 0, err);
      if (top < 0)
        goto prefix;
      if (mount (NULL, brig_fd_path (top, buf), NULL, o.propagation, NULL) < 0)
        {
          brig_error_set (err, errno, "set propagation of `%s`", dest);
          goto prefix;
        }
    }
  ret = 0;
  goto out;
prefix:
  brig_error_prefix (err, "mounts[%zu]", idx);
out:
  brig_mount_opts_clear (&o);
  return ret;
}

static unsigned long
root_propagation (const struct oci_spec *s, bool early)
{
  const char *p = s->linux_ ? s->linux_->rootfs_propagation : NULL;
  if (p == NULL)
    return early ? MS_SLAVE | MS_REC : 0;
  if (early)
    {
      /* pivot_root refuses a shared new root: go slave first, the
         requested propagation is applied once the root is in place */
      if (strcmp (p, "private") == 0 || strcmp (p, "rprivate") == 0)
        return MS_PRIVATE | MS_REC;
      return MS_SLAVE | MS_REC;
    }
  if (strstr (p, "shared"))
    return MS_SHARED | (p[0] == 'r' ? MS_REC : 0);
  if (strstr (p, "unbindable"))
    return MS_UNBINDABLE | (p[0] == 'r' ? MS_REC : 0);
  if (strcmp (p, "slave") == 0)
    return MS_SLAVE;
  return 0;
}

/* Without a cgroup namespace of its own, a container in a user namespace
   (every rootless one) sees the host's cgroup hierarchies: a "cgroup"
   mount falls back to binds of them, an rbind of /sys brings them along
   under a top-level-only "ro".  Every cgroupfs under the rootfs is made
   read-only then, whatever the options said (CVE-2023-25809). */
static int
cgroupfs_readonly (struct brig_rootfs *r, struct brig_error **err)
{
  size_t plen = strlen (r->rootfs);
  _cleanup_close_ int fd = -1;
  char *line = NULL;
  size_t cap = 0;
  FILE *mi;
  int ret = 0;

  if (r->new_cgroupns || ! r->userns)
    return 0;
  fd = brig_procfs_openat ("self/mountinfo", O_RDONLY, err);
  if (fd < 0)
    return -1;
  mi = fdopen (fd, "re");
  if (mi == NULL)
    return brig_error_set (err, errno, "read /proc/self/mountinfo");
  fd = -1;
  while (ret == 0 && getline (&line, &cap, mi) > 0)
    {
      char mp[4096], fstype[64];
      const char *sep = strstr (line, " - ");
      _cleanup_close_ int t = -1;
      if (sep == NULL || sscanf (line, "%*s %*s %*s %*s %4095s", mp) != 1 || sscanf (sep + 3, "%63s", fstype) != 1)
        continue;
      if (strcmp (fstype, "cgroup") != 0 && strcmp (fstype, "cgroup2") != 0)
        continue;
      if (strncmp (mp, r->rootfs, plen) != 0 || (mp[plen] != '/' && mp[plen] != '\0'))
        continue;
      if (strchr (mp, '\\'))
        {
          ret = brig_error_set (err, 0, "cannot make cgroupfs `%s` read-only (escaped mount point)", mp);
          break;
        }
      t = brig_inroot_open (r->rootfd, mp[plen] ? mp + plen : "/", O_PATH | O_NOFOLLOW, 0, NULL);
      if (t < 0)
        continue; /* over-mounted: out of reach anyway */
      ret = brig_setattr_fd (t, MOUNT_ATTR_RDONLY, 0, false, mp + plen, err);
    }
  free (line);
  fclose (mi);
  return ret < 0 ? brig_error_prefix (err, "read-only cgroupfs without a cgroup namespace") : 0;
}

static int
host_devnull (struct brig_rootfs *r, struct brig_error **err)
{
  struct stat st;
  r->devnull = open ("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (r->devnull < 0)
    return brig_error_set (err, errno, "open the host's /dev/null");
  if (fstat (r->devnull, &st) < 0 || ! S_ISCHR (st.st_mode) || st.st_rdev != makedev (1, 3))
    return brig_error_set (err, ENODEV, "the host's /dev/null is not the null device");
  return 0;
}

int
brig_rootfs_prepare (struct brig_rootfs *r, struct brig_error **err)
{
  const struct oci_spec *s = r->spec;
  size_t i;

  /* Masked files get the host's /dev/null, taken before anything of the
     rootfs is looked at: never the container's, which it could have made
     a symlink to core_pattern or a host file, or swap in a shared /dev
     (CVE-2025-31133). */
  if (s->linux_ && s->linux_->masked_paths_len && host_devnull (r, err) < 0)
    return brig_error_prefix (err, "linux.maskedPaths");

  if (mount (NULL, "/", NULL, root_propagation (s, true), NULL) < 0)
    return brig_error_set (err, errno, "make / %s", "rslave");

  if (mount (r->rootfs, r->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return brig_error_set (err, errno, "bind mount rootfs `%s`", r->rootfs);
  r->rootfd = open (r->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r->rootfd < 0)
    return brig_error_set (err, errno, "open rootfs `%s`", r->rootfs);

  /* after each mount, not once at the end: a later mount over
     /sys/fs/cgroup would hide an rw cgroupfs that the container could
     uncover with umount */
  for (i = 0; i < s->mounts_len; i++)
    if (mount_one (r, i, err) < 0 || cgroupfs_readonly (r, err) < 0)
      return -1;

  return brig_devices_setup (r, err);
}

int
brig_rootfs_pivot (struct brig_rootfs *r, struct brig_error **err)
{
  if (fchdir (r->rootfd) < 0)
    return brig_error_set (err, errno, "chdir to rootfs");
  if (r->no_pivot)
    {
      if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
        return brig_error_set (err, errno, "move rootfs to /");
      if (chroot (".") < 0)
        return brig_error_set (err, errno, "chroot");
    }
  else
    {
      /* pivot_root(".", "."): the old root ends up on top of the new one
         and is detached right away, no directory needed for it */
      if (syscall (SYS_pivot_root, ".", ".") < 0)
        return brig_error_set (err, errno, "pivot_root");
      /* the old root is already rslave (prepare made / so before any
         mount), so detaching it cannot propagate to the host; a second
         rslave here would land on the new root and undo the mounts'
         own propagation */
      if (umount2 (".", MNT_DETACH) < 0)
        return brig_error_set (err, errno, "detach old root");
    }
  if (chdir ("/") < 0)
    return brig_error_set (err, errno, "chdir /");
  close (r->rootfd);
  r->rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (r->rootfd < 0)
    return brig_error_set (err, errno, "open /");
  return 0;
}

/* The empty read-only tmpfs of the masks, on FD.  It is attached by fd,
   so no path string is involved (a /proc/self/fd/N path is only as good
   as the /proc it goes through); mount(2) only without the mount API. */
static int
mask_tmpfs (int fd, const char *path, struct brig_error **err)
{
  static const char opts[] = "size=0,nr_inodes=1,mode=555";
  char buf[32];

  if (brig_have_mount_api ())
    {
      _cleanup_close_ int tree = brig_fsmount ("tmpfs", NULL, opts,
                                               MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV
                                                   | MOUNT_ATTR_NOEXEC,
                                               err);
      if (tree >= 0)
        {
          if (syscall (SYS_move_mount, tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
            return brig_error_set (err, errno, "mask `%s`", path);
          return 0;
        }
      if (brig_have_mount_api ())
        return brig_error_prefix (err, "mask `%s`", path);
      brig_error_free (err); /* no fsopen: mount(2) below */
    }
  if (mount ("tmpfs", brig_fd_path (fd, buf), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, opts) < 0)
    return brig_error_set (err, errno, "mask `%s`", path);
  return 0;
}

static int
mask_path (struct brig_rootfs *r, const char *path, int *masktree, struct brig_error **err)
{
  _cleanup_close_ int fd = brig_inroot_open (r->rootfd, path, O_PATH | O_NOFOLLOW, 0, NULL);
  struct stat st;

  /* missing paths are fine: masks list what might exist */
  if (fd < 0 || fstat (fd, &st) < 0 || S_ISLNK (st.st_mode))
    return 0;
  if (S_ISDIR (st.st_mode))
    {
      /* one read-only empty tmpfs for the container, bound on every
         masked directory */
      if (*masktree < 0)
        {
          if (mask_tmpfs (fd, path, err) < 0)
            return -1;
          *masktree = brig_inroot_open (r->rootfd, path, O_PATH | O_DIRECTORY, 0, err);
          return *masktree < 0 ? -1 : 0;
        }
      return brig_bind_fd (*masktree, fd, false, 0, 0, false, path, err);
    }
  return brig_bind_fd (r->devnull, fd, false, 0, 0, false, path, err);
}

static int
readonly_path (struct brig_rootfs *r, const char *path, struct brig_error **err)
{
  _cleanup_close_ int fd = brig_inroot_open (r->rootfd, path, O_PATH | O_NOFOLLOW, 0, NULL);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || S_ISLNK (st.st_mode))
    return 0;
  return brig_bind_fd (fd, fd, true, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
                       0, true, path, err);
}

int
brig_rootfs_mask (struct brig_rootfs *r, struct brig_error **err)
{
  const struct oci_linux *lx = r->spec->linux_;
  _cleanup_close_ int masktree = -1;
  size_t i;

  for (i = 0; lx && i < lx->readonly_paths_len; i++)
    if (readonly_path (r, lx->readonly_paths[i], err) < 0)
      return -1;
  for (i = 0; lx && i < lx->masked_paths_len; i++)
    if (mask_path (r, lx->masked_paths[i], &masktree, err) < 0)
      return -1;
  if (r->devnull >= 0)
    close (r->devnull);
  r->devnull = -1;
  return 0;
}

int
brig_rootfs_finalize (struct brig_rootfs *r, struct brig_error **err)
{
  unsigned long prop;

  if (r->spec->root->has_readonly && r->spec->root->readonly)
    {
      if (brig_setattr_fd (r->rootfd, MOUNT_ATTR_RDONLY, 0, false, "/", err) < 0)
        return brig_error_prefix (err, "root.readonly");
    }
  prop = root_propagation (r->spec, false);
  if (prop && mount (NULL, "/", NULL, prop, NULL) < 0)
    return brig_error_set (err, errno, "linux.rootfsPropagation: set propagation of /");
  return 0;
}
