#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "selfexe.h"
#include "utils.h"

#ifndef MFD_EXEC
# define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
# define F_SEAL_EXEC 0x0020
#endif

#define WANTED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int
brig_selfexe_protect (char **argv, char **envp)
{
  _cleanup_close_ int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  _cleanup_close_ int mfd = -1;
  struct stat st;
  int seals;
  off_t off = 0;

  if (self < 0)
    return -1;
  seals = fcntl (self, F_GET_SEALS);
  if (seals >= 0 && (seals & WANTED_SEALS) == WANTED_SEALS)
    return 0; /* already the sealed copy */
  if (fstat (self, &st) < 0)
    return -1;
  mfd = memfd_create ("brig", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mfd < 0 && errno == EINVAL)
    mfd = memfd_create ("brig", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return -1;
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
  syscall (SYS_execveat, mfd, "", argv, envp, AT_EMPTY_PATH);
  return -1;
}
