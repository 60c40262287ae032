#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "devices.h"
#include "inroot.h"
#include "mountfd.h"
#include "userns.h"
#include "utils.h"

static const struct
{
  const char *path;
  unsigned maj, min;
} default_devices[] = {
  { "/dev/null", 1, 3 }, { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
  { "/dev/random", 1, 8 }, { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

/* Make one device node at PATH (absolute, inside the rootfs).  In a user
   namespace mknod is not allowed: bind-mount the host's node instead, as
   runc does. */
static int
make_device (struct brig_rootfs *r, const char *path, mode_t type, unsigned maj, unsigned min, mode_t mode,
             uid_t uid, gid_t gid, struct brig_error **err)
{
  _cleanup_free_ char *copy = xstrdup (path);
  char *slash = strrchr (copy, '/');
  _cleanup_close_ int dir = -1;
  const char *name;

  *slash = '\0';
  name = slash + 1;
  dir = brig_inroot_mkdir_all (r->rootfd, *copy ? copy : "/", 0755, err);
  if (dir < 0)
    return -1;
  /* a runtime that itself runs in a user namespace (rootlesskit,
     podman's) cannot mknod either, even for a container without one */
  if (! r->userns && brig_userns_in_initial ())
    {
      unlinkat (dir, name, 0);
      if (mknodat (dir, name, type | (mode & 07777), makedev (maj, min)) < 0)
        return brig_error_set (err, errno, "mknod `%s`", path);
      if (fchmodat (dir, name, mode & 07777, 0) < 0)
        return brig_error_set (err, errno, "chmod `%s`", path);
      if (fchownat (dir, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
        return brig_error_set (err, errno, "chown `%s`", path);
      return 0;
    }
  {
    _cleanup_close_ int host = open (path, O_PATH | O_CLOEXEC);
    _cleanup_close_ int target = -1;
    int fd;
    struct stat st;
    if (host < 0)
      return brig_error_set (err, errno,
                             "open host device `%s` to bind it (in a user namespace mknod is not allowed: "
                             "devices are bind-mounted from the same path on the host)",
                             path);
    if (fstat (host, &st) < 0 || (st.st_mode & S_IFMT) != type || st.st_rdev != makedev (maj, min))
      return brig_error_set (err, ENODEV,
                             "host `%s` is not device %u:%u (in a user namespace devices are bind-mounted from "
                             "the same path on the host)",
                             path, maj, min);
    /* an image's symlink there is replaced, as mknod replaces it */
    if (fstatat (dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode))
      unlinkat (dir, name, 0);
    fd = openat (dir, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
      return brig_error_set (err, errno, "create `%s`", path);
    if (fd >= 0)
      close (fd);
    target = openat (dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (target < 0)
      return brig_error_set (err, errno, "open `%s`", path);
    return brig_bind_fd (host, target, false, 0, 0, false, path, err);
  }
}

static void
dev_symlink (int devfd, const char *target, const char *name)
{
  struct stat st;
  if (fstatat (devfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return; /* keep what the config or image put there */
  symlinkat (target, devfd, name);
}

int
brig_devices_setup (struct brig_rootfs *r, struct brig_error **err)
{
  const struct oci_linux *lx = r->spec->linux_;
  _cleanup_close_ int dev = -1;
  struct stat st;
  size_t i;

  /* /dev itself must be a directory of the rootfs: a symlink would aim
     the device nodes and links elsewhere (CVE-2026-41579). */
  dev = brig_inroot_open (r->rootfd, "/dev", O_PATH | O_NOFOLLOW, 0, NULL);
  if (dev >= 0 && fstat (dev, &st) == 0 && ! S_ISDIR (st.st_mode))
    return brig_error_set (err, 0, "`/dev` in the rootfs is not a directory");
  if (dev < 0)
    {
      dev = brig_inroot_mkdir_all (r->rootfd, "/dev", 0755, err);
      if (dev < 0)
        return -1;
    }

  for (i = 0; i < ARRAY_SIZE (default_devices); i++)
    {
      bool overridden = false;
      size_t j;
      for (j = 0; lx && j < lx->devices_len; j++)
        if (strcmp (lx->devices[j]->path, default_devices[i].path) == 0)
          overridden = true;
      if (overridden)
        continue;
      if (make_device (r, default_devices[i].path, S_IFCHR, default_devices[i].maj, default_devices[i].min, 0666,
                       0, 0, err)
          < 0)
        return -1;
    }
  for (i = 0; lx && i < lx->devices_len; i++)
    {
      const struct oci_device *d = lx->devices[i];
      mode_t type = d->type[0] == 'b' ? S_IFBLK : d->type[0] == 'p' ? S_IFIFO : S_IFCHR;
      mode_t mode = d->has_file_mode ? d->file_mode : 0666;
      if (make_device (r, d->path, type, d->has_major ? d->major : 0, d->has_minor ? d->minor : 0, mode,
                       d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, err)
          < 0)
        return brig_error_prefix (err, "linux.devices[%zu]", i);
    }

  {
    _cleanup_close_ int devdir = brig_inroot_open (r->rootfd, "/dev", O_PATH | O_DIRECTORY | O_NOFOLLOW, 0, err);
    struct stat pts;
    if (devdir < 0)
      return -1;
    dev_symlink (devdir, "/proc/self/fd", "fd");
    dev_symlink (devdir, "/proc/self/fd/0", "stdin");
    dev_symlink (devdir, "/proc/self/fd/1", "stdout");
    dev_symlink (devdir, "/proc/self/fd/2", "stderr");
    if (access ("/proc/kcore", F_OK) == 0)
      dev_symlink (devdir, "/proc/kcore", "core");
    /* with a devpts instance, /dev/ptmx is its ptmx */
    if (fstatat (devdir, "pts/ptmx", &pts, AT_SYMLINK_NOFOLLOW) == 0)
      {
        struct stat cur;
        if (fstatat (devdir, "ptmx", &cur, AT_SYMLINK_NOFOLLOW) == 0 && ! S_ISLNK (cur.st_mode))
          unlinkat (devdir, "ptmx", 0);
        dev_symlink (devdir, "pts/ptmx", "ptmx");
      }
  }
  return 0;
}
