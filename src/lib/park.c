#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "park.h"

/* Why: a static brig maps its whole 1.6 MB binary, and the setup of a
   container faults in about 1 MiB of it.  A parked init is often the only
   process mapping those pages, so its Pss counts all of them although it
   only sleeps in read(2) (docs/performance.md, "Memory held by a created
   container").  Only the program itself: shared libraries are mapped by
   the whole host anyway. */

struct ranges
{
  struct
  {
    uintptr_t start, len;
  } r[8];
  int n;
};

/* The pages segment PH of the object INFO occupies, rounded outwards. */
static void
seg_pages (const struct dl_phdr_info *info, const ElfW (Phdr) *ph, uintptr_t page, uintptr_t *start,
           uintptr_t *end)
{
  *start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
  *end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
}

static int
collect (struct dl_phdr_info *info, size_t size, void *data)
{
  struct ranges *rs = data;
  uintptr_t page = (uintptr_t) sysconf (_SC_PAGESIZE);
  (void) size;
  for (int i = 0; i < info->dlpi_phnum && rs->n < (int) (sizeof (rs->r) / sizeof (rs->r[0])); i++)
    {
      const ElfW (Phdr) *ph = &info->dlpi_phdr[i];
      uintptr_t start, end;
      if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
        continue;
      seg_pages (info, ph, page, &start, &end);
      /* a page shared with a writable segment (relocated data, RELRO)
         holds a private copy: it stays */
      for (int j = 0; j < info->dlpi_phnum; j++)
        {
          const ElfW (Phdr) *w = &info->dlpi_phdr[j];
          uintptr_t ws, we;
          if (w->p_type != PT_LOAD || ! (w->p_flags & PF_W))
            continue;
          seg_pages (info, w, page, &ws, &we);
          if (ws <= start && start < we)
            start = we;
          if (ws < end && end <= we)
            end = ws;
        }
      if (end > start)
        {
          rs->r[rs->n].start = start;
          rs->r[rs->n].len = end - start;
          rs->n++;
        }
    }
  return 1; /* the first object is the program: stop there */
}

ssize_t
brig_park_read (int fd, void *buf, size_t len, bool release)
{
  struct ranges rs = { .n = 0 };
  ssize_t n;
  if (release)
    dl_iterate_phdr (collect, &rs);
  /* from here to the read, touch as little code as can be: each page
     executed again faults back in with its neighbours (fault-around,
     64 KiB), so both calls go through syscall(2) */
  for (int i = 0; i < rs.n; i++)
    syscall (SYS_madvise, rs.r[i].start, rs.r[i].len, MADV_DONTNEED);
  do
    n = syscall (SYS_read, fd, buf, len);
  while (n < 0 && errno == EINTR);
  return n;
}
