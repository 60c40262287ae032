#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "mountfd.h"
#include "selfexe.h"
#include "utils.h"

#ifndef MFD_EXEC
# define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
# define F_SEAL_EXEC 0x0020
#endif

#ifndef FUSE_SUPER_MAGIC
# define FUSE_SUPER_MAGIC 0x65735546
#endif

#define WANTED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

/* The bytes execve needs: up to the end of the last segment in the file.
   What follows (symbol tables, section headers) is never mapped, and every
   byte copied stays pinned in the memfd while a created container waits.
   Anything unexpected: the whole file. */
static off_t
loaded_size (int fd, off_t size)
{
  ElfW (Ehdr) eh;
  ElfW (Phdr) ph[32];
  off_t end = 0;
  size_t i, n;

  if (pread (fd, &eh, sizeof (eh), 0) != (ssize_t) sizeof (eh) || memcmp (eh.e_ident, ELFMAG, SELFMAG) != 0
      || eh.e_phentsize != sizeof (ph[0]) || eh.e_phnum == 0 || eh.e_phnum > ARRAY_SIZE (ph))
    return size;
  n = eh.e_phnum * sizeof (ph[0]);
  if (pread (fd, ph, n, eh.e_phoff) != (ssize_t) n)
    return size;
  if ((off_t) (eh.e_phoff + n) > end)
    end = eh.e_phoff + n;
  for (i = 0; i < eh.e_phnum; i++)
    if (ph[i].p_filesz && (off_t) (ph[i].p_offset + ph[i].p_filesz) > end)
      end = ph[i].p_offset + ph[i].p_filesz;
  return end > 0 && end <= size ? end : size;
}

/* A read-only bind mount of the binary itself, attached nowhere: no copy,
   the page cache is the on-disk file's.  Opening it for writing fails with
   EROFS, and a clone of it into a container's user namespace keeps
   read-only locked.  Needs CAP_SYS_ADMIN over brig's mount namespace, so
   a rootless brig gets EPERM and uses the memfd.  Returns the mount's fd. */
static int
readonly_clone (int self)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };
  _cleanup_close_ int tree = -1;

  if (! brig_have_mount_api () || brig_env_forced ("BRIG_FORCE_NO_EXE_CLONE"))
    return -1;
  tree = syscall (SYS_open_tree, self, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0)
    return -1;
  if (syscall (SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof (attr)) < 0)
    return -1;
  return steal_fd (&tree);
}

/* A sealed memfd copy: works everywhere, costs the binary's loaded size
   in shmem for as long as a process runs from it. */
static int
sealed_copy (int self)
{
  _cleanup_close_ int mfd = -1;
  struct stat st;
  off_t off = 0;

  if (fstat (self, &st) < 0)
    return -1;
  mfd = memfd_create ("brig", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL)
    mfd = memfd_create ("brig", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return -1;
  st.st_size = loaded_size (self, st.st_size);
  while (off < st.st_size)
    {
      ssize_t n = sendfile (mfd, self, NULL, st.st_size - off);
      if (n <= 0)
        {
          if (n < 0 && errno == EINTR)
            continue;
          return -1;
        }
      off += n;
    }
  if (fcntl (mfd, F_ADD_SEALS, WANTED_SEALS | F_SEAL_EXEC) < 0
      && fcntl (mfd, F_ADD_SEALS, WANTED_SEALS) < 0)
    return -1;
  return steal_fd (&mfd);
}

/* A user's containers run as the user and its subordinate ids, with
   capabilities only in user namespaces where host root is not mapped.
   None of them can write a binary that host root owns, with no group or
   other write bit, no ACL, on a filesystem that enforces the mode bits
   (not FUSE, whose server decides): there is nothing to protect, and no
   copy to pin in memory while a created container waits. */
static bool
unwritable_for_users (int self)
{
  struct stat st;
  struct statfs sfs;
  if (geteuid () == 0 || brig_env_forced ("BRIG_FORCE_EXE_COPY"))
    return false;
  if (fstat (self, &st) < 0 || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
    return false;
  if (fgetxattr (self, "system.posix_acl_access", NULL, 0) >= 0 || (errno != ENODATA && errno != ENOTSUP))
    return false;
  return fstatfs (self, &sfs) == 0 && sfs.f_type != FUSE_SUPER_MAGIC;
}

int
brig_selfexe_protect (char **argv, char **envp)
{
  _cleanup_close_ int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  _cleanup_close_ int img = -1;
  struct statvfs vfs;
  int seals;

  if (self < 0)
    return -1;
  seals = fcntl (self, F_GET_SEALS);
  if (seals >= 0 && (seals & WANTED_SEALS) == WANTED_SEALS)
    return 0; /* already the sealed copy */
  /* already on a read-only mount (the clone below, after the re-exec, or
     brig installed on a read-only /usr): nothing can open it for writing */
  if (fstatvfs (self, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
    return 0;
  if (unwritable_for_users (self))
    {
      brig_debug ("binary protection: owned by root and not writable by this user's containers: no copy");
      return 0;
    }
  img = readonly_clone (self);
  if (img >= 0)
    {
      brig_debug ("binary protection: re-exec from a read-only clone of the binary");
      syscall (SYS_execveat, img, "", argv, envp, AT_EMPTY_PATH);
      close (steal_fd (&img)); /* e.g. a noexec mount: the copy then */
    }
  img = sealed_copy (self);
  if (img < 0)
    return -1;
  brig_debug ("binary protection: re-exec from a sealed memfd copy");
  syscall (SYS_execveat, img, "", argv, envp, AT_EMPTY_PATH);
  return -1;
}
