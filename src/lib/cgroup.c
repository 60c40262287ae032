/* Cgroups: hierarchy detection, path resolution, the lifecycle entry points
 * and what every driver shares (knob I/O, removal, pid listing, kill,
 * freeze dispatch, stats JSON, OOM watch).
 *
 * Layouts (brig_cgroup_detect):
 *   v2      cgroup2 at /sys/fs/cgroup: one directory, resources in cgroup2
 *           files, devices as an eBPF program (cgroup-v2.c, cgroup-ebpf.c).
 *   v1      tmpfs at /sys/fs/cgroup with one mount per controller (or group
 *           of co-mounted controllers, e.g. cpu,cpuacct): one directory per
 *           hierarchy, named hierarchy name=systemd joined too (cgroup-v1.c).
 *   hybrid  v1 plus cgroup2 at /sys/fs/cgroup/unified: controllers come from
 *           v1, the container is also placed in the unified hierarchy (as
 *           runc does), which gives cgroup.kill and clone3 placement.
 *
 * cgroupsPath (cgroupfs driver) is absolute (below each hierarchy's root)
 * or relative (below brig's own cgroup in each hierarchy, as read from
 * /proc/self/cgroup); a path that leaves the hierarchy with ".." is
 * refused.  No cgroupsPath and no resources: no cgroup at all.  cgroupsPath
 * without resources: the cgroup is made anyway (ps, pause, kill --all and
 * stats rely on it).  No cgroupsPath but resources: "<id>" below brig's
 * own cgroup (runc's default).
 *
 * Existing cgroups are never changed, except that on cgroup v2 a needed
 * controller missing from an ancestor's cgroup.subtree_control is enabled
 * there (from the nearest ancestor that has it available, between brig's
 * own cgroup - or the root for an absolute path - and the container). */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include <linux/magic.h>

#include <yajl/yajl_gen.h>

#include "cgroup-internal.h"
#include "log.h"
#include "utils.h"

#ifndef CGROUP2_SUPER_MAGIC
# define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
# define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

/* ------------------------------------------------------------------ */
/* warnings */

static void (*warn_fn) (const char *msg);

void
brig_cgroup_set_warn_handler (void (*fn) (const char *msg))
{
  warn_fn = fn;
}

void
cg_warn (const char *fmt, ...)
{
  va_list ap;
  char *msg = NULL;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg == NULL)
    return;
  if (warn_fn)
    warn_fn (msg);
  else
    fprintf (stderr, "brig: warning: %s\n", msg);
  free (msg);
}

/* ------------------------------------------------------------------ */
/* detection */

enum brig_cgroup_mode
brig_cgroup_detect (void)
{
  static int cached = -1;
  struct statfs s;

  if (cached >= 0)
    return (enum brig_cgroup_mode) cached;
  if (statfs (CG_ROOT, &s) < 0)
    cached = BRIG_CGROUP_NONE;
  else if ((unsigned long) s.f_type == CGROUP2_SUPER_MAGIC)
    cached = BRIG_CGROUP_V2;
  else if (statfs (CG_ROOT "/unified", &s) == 0 && (unsigned long) s.f_type == CGROUP2_SUPER_MAGIC)
    cached = BRIG_CGROUP_HYBRID;
  else if ((unsigned long) s.f_type == TMPFS_MAGIC || (unsigned long) s.f_type == CGROUP_SUPER_MAGIC)
    cached = BRIG_CGROUP_V1;
  else
    cached = BRIG_CGROUP_NONE;
  return (enum brig_cgroup_mode) cached;
}

const char *
brig_cgroup_mode_name (enum brig_cgroup_mode m)
{
  switch (m)
    {
    case BRIG_CGROUP_V1:
      return "v1";
    case BRIG_CGROUP_HYBRID:
      return "hybrid";
    case BRIG_CGROUP_V2:
      return "v2";
    default:
      return "none";
    }
}

/* ------------------------------------------------------------------ */
/* small file helpers */

void
cg_sleep_ms (unsigned ms)
{
  struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

int
cg_try_write (const char *dir, const char *file, const char *value)
{
  _cleanup_free_ char *p = xasprintf ("%s/%s", dir, file);
  _cleanup_close_ int fd = open (p, O_WRONLY | O_CLOEXEC);
  size_t len = strlen (value);
  ssize_t r;

  if (fd < 0)
    return -errno;
  do
    r = write (fd, value, len);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return -errno;
  if ((size_t) r != len)
    return -EIO;
  return 0;
}

int
cg_write (const char *dir, const char *file, const char *value, const char *field,
          struct brig_error **err)
{
  int r = cg_try_write (dir, file, value);
  if (r == 0)
    return 0;
  if (r == -ENOENT)
    return brig_error_set (err, ENOENT, "%s: write %s: not supported here (no such file in `%s`)", field,
                           file, dir);
  return brig_error_set (err, -r, "%s: write %s", field, file);
}

int
cg_writef (const char *dir, const char *file, const char *field, struct brig_error **err,
           const char *fmt, ...)
{
  va_list ap;
  char *v = NULL;
  int r;
  va_start (ap, fmt);
  if (vasprintf (&v, fmt, ap) < 0)
    v = NULL;
  va_end (ap);
  if (v == NULL)
    return brig_error_set (err, ENOMEM, "%s", field);
  r = cg_write (dir, file, v, field, err);
  free (v);
  return r;
}

char *
cg_read (const char *dir, const char *file)
{
  _cleanup_free_ char *p = file ? xasprintf ("%s/%s", dir, file) : xstrdup (dir);
  struct brig_error *e = NULL;
  char *buf = NULL;
  size_t len = 0;

  if (brig_read_file (p, &buf, &len, 0, &e) < 0)
    {
      int en = e ? e->errnum : EIO;
      brig_error_free (&e);
      errno = en;
      return NULL;
    }
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
    buf[--len] = '\0';
  return buf;
}

int
cg_read_u64 (const char *dir, const char *file, uint64_t *out)
{
  _cleanup_free_ char *s = cg_read (dir, file);
  if (s == NULL)
    return -1;
  if (strcmp (s, "max") == 0)
    {
      *out = UINT64_MAX;
      return 0;
    }
  if (brig_parse_u64 (s, out) < 0)
    {
      errno = EINVAL;
      return -1;
    }
  return 0;
}

int
cg_read_keyed (const char *dir, const char *file, const char *key, uint64_t *out)
{
  _cleanup_free_ char *s = cg_read (dir, file);
  size_t kl = strlen (key);
  char *line, *save = NULL;

  if (s == NULL)
    return -1;
  for (line = strtok_r (s, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      if (strncmp (line, key, kl) == 0 && line[kl] == ' ')
        {
          const char *v = line + kl + 1;
          if (strcmp (v, "max") == 0)
            *out = UINT64_MAX;
          else if (brig_parse_u64 (v, out) < 0)
            {
              errno = EINVAL;
              return -1;
            }
          return 0;
        }
    }
  errno = ENOENT;
  return -1;
}

bool
cg_file_exists (const char *dir, const char *file)
{
  _cleanup_free_ char *p = xasprintf ("%s/%s", dir, file);
  return access (p, F_OK) == 0;
}

static int
rmdir_retry (const char *dir)
{
  unsigned delay = 2, waited = 0;
  for (;;)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY || waited > 5000)
        return -1;
      cg_sleep_ms (delay);
      waited += delay;
      if (delay < 200)
        delay *= 2;
    }
}

int
cg_rmdir_tree (const char *dir, struct brig_error **err)
{
  DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return brig_error_set (err, errno, "remove cgroup `%s`", dir);
    }
  while ((de = readdir (d)))
    {
      _cleanup_free_ char *sub = NULL;
      if (de->d_type != DT_DIR || strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      sub = xasprintf ("%s/%s", dir, de->d_name);
      if (cg_rmdir_tree (sub, err) < 0)
        {
          closedir (d);
          return -1;
        }
    }
  closedir (d);
  if (rmdir_retry (dir) < 0)
    {
      if (errno == EBUSY)
        return brig_error_set (err, EBUSY, "remove cgroup `%s`: processes are still in it", dir);
      return brig_error_set (err, errno, "remove cgroup `%s`", dir);
    }
  return 0;
}

int
cg_collect_pids (const char *dir, pid_t **pids, size_t *n, size_t *cap, struct brig_error **err)
{
  _cleanup_free_ char *procs = cg_read (dir, "cgroup.procs");
  DIR *d;
  struct dirent *de;
  char *line, *save = NULL;

  if (procs == NULL)
    {
      if (errno == ENOENT)
        return 0; /* raced with removal */
      return brig_error_set (err, errno, "read `%s/cgroup.procs`", dir);
    }
  for (line = strtok_r (procs, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      int p;
      if (brig_parse_int (line, &p) < 0)
        continue;
      if (*n == *cap)
        {
          *cap = *cap ? *cap * 2 : 16;
          *pids = xrealloc (*pids, *cap * sizeof (pid_t));
        }
      (*pids)[(*n)++] = p;
    }
  d = opendir (dir);
  if (d == NULL)
    return 0;
  while ((de = readdir (d)))
    {
      _cleanup_free_ char *sub = NULL;
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      sub = xasprintf ("%s/%s", dir, de->d_name);
      if (cg_collect_pids (sub, pids, n, cap, err) < 0)
        {
          closedir (d);
          return -1;
        }
    }
  closedir (d);
  return 0;
}

/* ------------------------------------------------------------------ */
/* conversions (runc's, from libcontainer/cgroups/utils.go) */

/* cpu.shares (v1, 2..262144) -> cpu.weight (v2, 1..10000):
   weight = 1 + ((shares - 2) * 9999) / 262142.  Out-of-range shares are
   clamped first (runc would wrap around for shares < 2). */
uint64_t
cg_shares_to_weight (uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

/* blkio.weight (10..1000) -> io.weight (1..10000):
   1 + (weight - 10) * 9999 / 990. */
uint64_t
cg_blkio_to_io_weight (uint64_t w)
{
  if (w == 0)
    return 0;
  if (w < 10)
    w = 10;
  if (w > 1000)
    w = 1000;
  return 1 + (w - 10) * 9999 / 990;
}

/* memory.swap (memory+swap, v1 semantics) -> memory.swap.max:
   limit -1 and swap unset: -1 (both unlimited); swap -1 or 0: as is;
   else swap - limit, which needs a limit and swap >= limit. */
int
cg_swap_v2 (int64_t swap, int64_t limit, int64_t *out, struct brig_error **err)
{
  if (limit == -1 && swap == 0)
    {
      *out = -1;
      return 0;
    }
  if (swap == -1 || swap == 0)
    {
      *out = swap;
      return 0;
    }
  if (limit == 0 || limit == -1)
    return brig_error_set (err, EINVAL,
                           "linux.resources.memory.swap: unable to set swap limit without memory limit");
  if (limit < 0)
    return brig_error_set (err, EINVAL, "linux.resources.memory.limit: invalid memory value: %" PRId64, limit);
  if (swap < limit)
    return brig_error_set (err, EINVAL,
                           "linux.resources.memory.swap: memory+swap limit (%" PRId64
                           ") should be >= memory limit (%" PRId64 ")",
                           swap, limit);
  *out = swap - limit;
  return 0;
}

int
cg_range_to_bits (const char *s, uint8_t **bits, size_t *n)
{
  const char *p = s;
  uint8_t *b = NULL;
  size_t nb = 0;

  *bits = NULL;
  *n = 0;
  while (*p)
    {
      char *end;
      unsigned long a, z;
      while (*p == ' ' || *p == '\n')
        p++;
      if (*p == '\0')
        break;
      errno = 0;
      a = strtoul (p, &end, 10);
      if (end == p || errno)
        goto bad;
      z = a;
      p = end;
      if (*p == '-')
        {
          p++;
          z = strtoul (p, &end, 10);
          if (end == p || errno || z < a)
            goto bad;
          p = end;
        }
      if (z > 65535)
        goto bad;
      if (z / 8 + 1 > nb)
        {
          b = xrealloc (b, z / 8 + 1);
          memset (b + nb, 0, z / 8 + 1 - nb);
          nb = z / 8 + 1;
        }
      for (unsigned long i = a; i <= z; i++)
        b[i / 8] |= (uint8_t) (1u << (i % 8));
      while (*p == ' ' || *p == '\n')
        p++;
      if (*p == ',')
        p++;
      else if (*p != '\0')
        goto bad;
    }
  if (nb == 0)
    goto bad;
  *bits = b;
  *n = nb;
  return 0;
bad:
  free (b);
  errno = EINVAL;
  return -1;
}

/* ------------------------------------------------------------------ */
/* paths */

/* Resolve "." and ".." in a cgroupsPath; the result has no leading or
   trailing slash.  Going above the start is an escape. */
int
cg_normalize (const char *in, char **out, struct brig_error **err)
{
  _cleanup_free_ char *copy = xstrdup (in);
  char **parts = xcalloc (strlen (in) + 1, sizeof (char *));
  size_t np = 0, len = 0, i;
  char *tok, *save = NULL, *res, *w;

  for (tok = strtok_r (copy, "/", &save); tok; tok = strtok_r (NULL, "/", &save))
    {
      if (strcmp (tok, ".") == 0)
        continue;
      if (strcmp (tok, "..") == 0)
        {
          if (np == 0)
            {
              free (parts);
              return brig_error_set (err, EINVAL, "linux.cgroupsPath: `%s` escapes the cgroup hierarchy", in);
            }
          np--;
          continue;
        }
      parts[np++] = tok;
    }
  for (i = 0; i < np; i++)
    len += strlen (parts[i]) + 1;
  res = w = xmalloc (len + 1);
  *w = '\0';
  for (i = 0; i < np; i++)
    {
      if (i)
        *w++ = '/';
      w = stpcpy (w, parts[i]);
    }
  free (parts);
  *out = res;
  return 0;
}

bool
cg_resources_need_controllers (const struct oci_resources *r)
{
  if (r == NULL)
    return false;
  return r->memory || r->cpu || r->pids || r->block_io || r->hugepage_limits_len || r->network
         || r->rdma.len || r->unified.len;
}

struct own_entry
{
  int id;
  char *ctrls;
  char *path;
};

static void
free_own (struct own_entry *o, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (o[i].ctrls);
      free (o[i].path);
    }
  free (o);
}

static int
read_own_cgroups (pid_t pid, struct own_entry **out, size_t *n, struct brig_error **err)
{
  _cleanup_free_ char *p = pid ? xasprintf ("/proc/%d/cgroup", (int) pid) : xstrdup ("/proc/self/cgroup");
  _cleanup_free_ char *s = cg_read (p, NULL);
  struct own_entry *o = NULL;
  size_t no = 0;
  char *line, *save = NULL;

  if (s == NULL)
    return brig_error_set (err, errno, "read `%s`", p);
  for (line = strtok_r (s, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *c1 = strchr (line, ':'), *c2;
      if (c1 == NULL || (c2 = strchr (c1 + 1, ':')) == NULL)
        continue;
      *c1 = *c2 = '\0';
      o = xrealloc (o, (no + 1) * sizeof (*o));
      o[no].id = atoi (line);
      o[no].ctrls = xstrdup (c1 + 1);
      o[no].path = xstrdup (c2 + 1);
      no++;
    }
  *out = o;
  *n = no;
  return 0;
}

struct mnt
{
  char *mountpoint;
  char *root;
  char *fstype;
  char *super;
};

static void
unescape_octal (char *s)
{
  char *r = s, *w = s;
  while (*r)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0'
          && r[3] <= '7')
        {
          *w++ = (char) ((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
          r += 4;
        }
      else
        *w++ = *r++;
    }
  *w = '\0';
}

static int
read_cgroup_mounts (struct mnt **out, size_t *n, struct brig_error **err)
{
  _cleanup_free_ char *s = cg_read ("/proc/self/mountinfo", NULL);
  struct mnt *m = NULL;
  size_t nm = 0;
  char *line, *save = NULL;

  if (s == NULL)
    return brig_error_set (err, errno, "read /proc/self/mountinfo");
  for (line = strtok_r (s, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[6] = { 0 }, *sep, *fst, *src, *sup, *p = line;
      int i;
      for (i = 0; i < 6; i++)
        {
          f[i] = strsep (&p, " ");
          if (f[i] == NULL)
            break;
        }
      if (i < 6 || p == NULL)
        continue;
      sep = strstr (p, "- ");
      if (sep == NULL)
        continue;
      sep += 2;
      fst = strsep (&sep, " ");
      src = strsep (&sep, " ");
      sup = sep;
      (void) src;
      if (fst == NULL || sup == NULL)
        continue;
      if (strcmp (fst, "cgroup") != 0 && strcmp (fst, "cgroup2") != 0)
        continue;
      unescape_octal (f[3]);
      unescape_octal (f[4]);
      m = xrealloc (m, (nm + 1) * sizeof (*m));
      m[nm].root = xstrdup (f[3]);
      m[nm].mountpoint = xstrdup (f[4]);
      m[nm].fstype = xstrdup (fst);
      m[nm].super = xstrdup (sup);
      nm++;
    }
  *out = m;
  *n = nm;
  return 0;
}

static void
free_mnts (struct mnt *m, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (m[i].mountpoint);
      free (m[i].root);
      free (m[i].fstype);
      free (m[i].super);
    }
  free (m);
}

static bool
has_token (const char *list, const char *tok)
{
  size_t tl = strlen (tok);
  const char *p = list;
  while (p && *p)
    {
      size_t l = strcspn (p, ",");
      if (l == tl && strncmp (p, tok, tl) == 0)
        return true;
      p += l;
      if (*p == ',')
        p++;
    }
  return false;
}

/* all of CTRLS (comma list) appear in SUPER */
static bool
super_has_all (const char *super, const char *ctrls)
{
  _cleanup_free_ char *c = xstrdup (ctrls);
  char *tok, *save = NULL;
  for (tok = strtok_r (c, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    if (! has_token (super, tok))
      return false;
  return true;
}

static char *
own_dir (const struct mnt *m, const char *own_path)
{
  const char *rel = own_path;
  size_t rl = strlen (m->root);
  if (strcmp (m->root, "/") != 0)
    {
      if (strncmp (own_path, m->root, rl) == 0 && (own_path[rl] == '/' || own_path[rl] == '\0'))
        rel = own_path + rl;
      else
        return NULL; /* our cgroup is not visible through this mount */
    }
  if (strcmp (rel, "/") == 0 || *rel == '\0')
    return xstrdup (m->mountpoint);
  return xasprintf ("%s%s%s", m->mountpoint, rel[0] == '/' ? "" : "/", rel);
}

static void
hier_clear (struct cg_hier *h)
{
  free (h->name);
  free (h->mountpoint);
  free (h->mount_root);
  free (h->own);
  free (h->path);
  memset (h, 0, sizeof (*h));
}

/* Fill cg->hier with the hierarchies of this host (own cgroup of PID
   0 = self); paths are not set yet. */
int
cg_discover (struct brig_cgroup *cg, struct brig_error **err)
{
  struct own_entry *own = NULL;
  struct mnt *m = NULL;
  size_t nown = 0, nm = 0, i, j;
  int ret = -1;

  if (read_own_cgroups (0, &own, &nown, err) < 0)
    return -1;
  if (read_cgroup_mounts (&m, &nm, err) < 0)
    goto out;

  for (i = 0; i < nown; i++)
    {
      struct cg_hier h = { 0 };
      bool v2 = own[i].id == 0 && own[i].ctrls[0] == '\0';
      if (v2 && cg->mode == BRIG_CGROUP_V1)
        continue;
      if (! v2)
        {
          if (cg->mode == BRIG_CGROUP_V2)
            continue;
          if (own[i].ctrls[0] == '\0')
            continue;
          /* named hierarchies: only name=systemd is joined (runc) */
          if (strncmp (own[i].ctrls, "name=", 5) == 0 && strcmp (own[i].ctrls, "name=systemd") != 0)
            continue;
        }
      for (j = 0; j < nm; j++)
        {
          char *od;
          if (v2)
            {
              const char *want = cg->mode == BRIG_CGROUP_V2 ? CG_ROOT : CG_ROOT "/unified";
              if (strcmp (m[j].fstype, "cgroup2") != 0 || strcmp (m[j].mountpoint, want) != 0)
                continue;
            }
          else if (strcmp (m[j].fstype, "cgroup") != 0 || ! super_has_all (m[j].super, own[i].ctrls))
            continue;
          od = own_dir (&m[j], own[i].path);
          if (od == NULL)
            continue;
          /* prefer mounts under /sys/fs/cgroup */
          if (h.mountpoint && strncmp (h.mountpoint, CG_ROOT "/", sizeof (CG_ROOT)) == 0)
            {
              free (od);
              continue;
            }
          hier_clear (&h);
          h.name = xstrdup (v2 ? "" : own[i].ctrls);
          h.mountpoint = xstrdup (m[j].mountpoint);
          h.mount_root = xstrdup (m[j].root);
          h.own = od;
          h.hier_id = own[i].id;
          h.v2 = v2;
        }
      if (h.mountpoint == NULL)
        {
          if (v2)
            {
              brig_error_set (err, ENOENT, "cgroup2 mount for brig's own cgroup `%s` not found", own[i].path);
              goto out;
            }
          continue; /* controller not mounted (or not visible): skip */
        }
      cg->hier = xrealloc (cg->hier, (cg->n_hier + 1) * sizeof (*cg->hier));
      cg->hier[cg->n_hier++] = h;
    }
  /* unified last (hybrid), and remember it */
  for (i = 0; i < cg->n_hier; i++)
    if (cg->hier[i].v2 && i != cg->n_hier - 1)
      {
        struct cg_hier t = cg->hier[i];
        memmove (&cg->hier[i], &cg->hier[i + 1], (cg->n_hier - i - 1) * sizeof (*cg->hier));
        cg->hier[cg->n_hier - 1] = t;
        break;
      }
  cg->unified = NULL;
  if (cg->n_hier && cg->hier[cg->n_hier - 1].v2)
    cg->unified = &cg->hier[cg->n_hier - 1];
  if (cg->mode != BRIG_CGROUP_V1 && cg->unified == NULL)
    {
      brig_error_set (err, ENOENT, "brig's own cgroup2 cgroup not found in /proc/self/cgroup");
      goto out;
    }
  ret = 0;
out:
  free_own (own, nown);
  free_mnts (m, nm);
  return ret;
}

/* ------------------------------------------------------------------ */
/* lifecycle */

static struct brig_cgroup *
cg_new (enum brig_cgroup_mode mode, const char *id)
{
  struct brig_cgroup *cg = xcalloc (1, sizeof (*cg));
  cg->mode = mode;
  cg->id = xstrdup (id ? id : "");
  cg->clone_fd = -1;
  return cg;
}

void
brig_cgroup_free (struct brig_cgroup *cg)
{
  size_t i;
  if (cg == NULL)
    return;
  for (i = 0; i < cg->n_hier; i++)
    hier_clear (&cg->hier[i]);
  free (cg->hier);
  if (cg->clone_fd >= 0)
    close (cg->clone_fd);
  free (cg->id);
  free (cg->unit);
  free (cg->slice);
  free (cg->slice_path);
  if (cg->pending)
    ocispec_free (&oci_resources_type, cg->pending);
  ocispec_strmap_clear (&cg->props);
  free (cg);
}

/* mkdir the components of H->path below BOUNDARY; records how many. */
int
cg_mkdir_below (struct cg_hier *h, const char *boundary, struct brig_error **err)
{
  size_t bl = strlen (boundary);
  _cleanup_free_ char *p = xstrdup (h->path);
  char *s;
  int tries;

  if (strncmp (p, boundary, bl) != 0 || (p[bl] != '/' && p[bl] != '\0'))
    return brig_error_set (err, EINVAL, "internal error: `%s` is not below `%s`", p, boundary);
  /* another container's destroy may remove a shared parent between our
     mkdirs (it removes only what it made, and only when empty): retry */
  for (tries = 0; tries < 5; tries++)
    {
      int made = 0;
      bool again = false;
      for (s = p + bl + 1; ; s++)
        {
          char c = *s;
          if (c != '/' && c != '\0')
            continue;
          *s = '\0';
          if (mkdir (p, 0755) == 0)
            made++;
          else if (errno == ENOENT && tries < 4)
            {
              *s = c;
              again = true;
              break;
            }
          else if (errno != EEXIST)
            {
              int e = errno;
              *s = c;
              h->created_depth += made;
              return brig_error_set (err, e, "create cgroup `%s`", p);
            }
          *s = c;
          if (c == '\0')
            break;
        }
      h->created_depth += made;
      if (! again)
        break;
    }
  /* components made count from the top; the leaf was made if any was */
  h->created = h->created_depth > 0;
  if (! h->created)
    {
      struct stat st;
      if (stat (h->path, &st) < 0 || ! S_ISDIR (st.st_mode))
        return brig_error_set (err, errno ? errno : ENOTDIR, "create cgroup `%s`", h->path);
    }
  return 0;
}

/* Remove what we made: the leaf (and below), then made ancestors if empty. */
static int
remove_hier (struct cg_hier *h, bool ancestors, struct brig_error **err)
{
  int depth = h->created_depth;
  _cleanup_free_ char *p = NULL;

  if (h->path == NULL)
    return 0;
  if (cg_rmdir_tree (h->path, err) < 0)
    return -1;
  if (! ancestors)
    return 0;
  p = xstrdup (h->path);
  while (--depth > 0)
    {
      char *sl = strrchr (p, '/');
      if (sl == NULL || sl == p)
        break;
      *sl = '\0';
      if (h->own && strcmp (p, h->own) == 0)
        break;
      if (rmdir (p) < 0)
        break; /* in use by someone else: leave it */
    }
  return 0;
}

static void
undo_create (struct brig_cgroup *cg)
{
  struct brig_error *e = NULL;
  for (size_t i = cg->n_hier; i-- > 0;)
    {
      struct cg_hier *h = &cg->hier[i];
      if (h->created)
        {
          remove_hier (h, true, &e);
          brig_error_free (&e);
        }
    }
}

static int
validate (struct brig_cgroup *cg, const struct oci_resources *r, struct brig_error **err)
{
  struct cg_dev_rule *rules = NULL;
  size_t n = 0;
  if (r == NULL)
    return 0;
  /* device rules are checked even where they are not applied (rootless) */
  if (cg_dev_build_rules (cg, r, &rules, &n, err) < 0)
    return -1;
  free (rules);
  if (cg->mode == BRIG_CGROUP_V2)
    return cg_v2_validate (r, err);
  return cg_v1_validate (cg, r, err);
}

static bool
is_perm_error (int e)
{
  return e == EACCES || e == EPERM || e == EROFS;
}

int
brig_cgroup_create (const struct brig_cgroup_config *c, struct brig_cgroup **out, struct brig_error **err)
{
  enum brig_cgroup_mode mode = brig_cgroup_detect ();
  bool has_path = c->cgroups_path && c->cgroups_path[0];
  bool need = cg_resources_need_controllers (c->resources);
  struct brig_cgroup *cg = NULL;
  _cleanup_free_ char *rel = NULL;
  bool absolute = false;
  size_t i;

  *out = NULL;
  if (c->disabled)
    return 0;
  if (! has_path && c->resources == NULL)
    return 0;
  if (mode == BRIG_CGROUP_NONE)
    {
      if (need)
        return brig_error_set (err, ENOENT, "linux.resources: no cgroup filesystem at " CG_ROOT);
      return 0;
    }
  if (c->rootless && mode != BRIG_CGROUP_V2)
    {
      /* as runc: rootless containers get no cgroup on v1/hybrid hosts */
      if (need || has_path)
        cg_warn ("rootless container on a cgroup %s host: no cgroup is used, %s ignored",
                 brig_cgroup_mode_name (mode), need ? "linux.resources are" : "linux.cgroupsPath is");
      return 0;
    }

  cg = cg_new (mode, c->id);
  cg->systemd = c->systemd;
  cg->rootless = c->rootless;

  if (c->systemd)
    {
      if (cg_sd_prepare (cg, c, err) < 0)
        goto fail_free;
      if (validate (cg, c->resources, err) < 0)
        goto fail_free;
      *out = cg;
      return 0;
    }

  if (has_path)
    {
      absolute = c->cgroups_path[0] == '/';
      if (cg_normalize (c->cgroups_path, &rel, err) < 0)
        goto fail_free;
      if (rel[0] == '\0')
        {
          brig_error_set (err, EINVAL, "linux.cgroupsPath: `%s` names %s, not a cgroup of its own",
                          c->cgroups_path, absolute ? "the hierarchy root" : "brig's own cgroup");
          goto fail_free;
        }
    }
  else
    {
      if (c->id == NULL || c->id[0] == '\0' || strchr (c->id, '/') || strcmp (c->id, "..") == 0
          || strcmp (c->id, ".") == 0)
        {
          brig_error_set (err, EINVAL, "cgroup: invalid container id for a cgroup name");
          goto fail_free;
        }
      rel = xstrdup (c->id);
    }

  if (cg_discover (cg, err) < 0)
    goto fail_free;
  if (validate (cg, c->resources, err) < 0)
    goto fail_free;

  for (i = 0; i < cg->n_hier; i++)
    {
      struct cg_hier *h = &cg->hier[i];
      h->path = xasprintf ("%s/%s", absolute ? h->mountpoint : h->own, rel);
    }

  /* make the directories */
  for (i = 0; i < cg->n_hier; i++)
    {
      struct cg_hier *h = &cg->hier[i];
      const char *boundary = absolute ? h->mountpoint : h->own;
      int r;
      if (h->v2 && mode == BRIG_CGROUP_V2)
        r = cg_v2_make_path (cg, h, boundary, c->resources, true, err);
      else
        r = cg_mkdir_below (h, boundary, err);
      if (r < 0)
        {
          if (c->rootless && *err && is_perm_error ((*err)->errnum) && ! has_path && ! need)
            {
              /* no delegated cgroup and nothing asked of it: run without */
              brig_error_free (err);
              undo_create (cg);
              brig_cgroup_free (cg);
              return 0;
            }
          if (c->rootless && *err && is_perm_error ((*err)->errnum))
            brig_error_prefix (err, "rootless container without a delegated cgroup (use the systemd "
                                    "driver or a cgroupsPath in a delegated subtree)");
          goto fail;
        }
    }

  if (mode != BRIG_CGROUP_V2)
    {
      if (cg_v1_prepare (cg, err) < 0)
        goto fail;
      if (cg_v1_apply (cg, c->resources, false, err) < 0)
        goto fail;
    }
  else if (cg_v2_apply (cg, cg->unified->path, c->resources, false, err) < 0)
    goto fail;

  if (cg->unified)
    {
      cg->clone_fd = open (cg->unified->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (cg->clone_fd < 0)
        {
          brig_error_set (err, errno, "open cgroup `%s`", cg->unified->path);
          goto fail;
        }
    }
  *out = cg;
  return 0;

fail:
  undo_create (cg);
fail_free:
  brig_cgroup_free (cg);
  return -1;
}

int
brig_cgroup_clone_fd (const struct brig_cgroup *cg)
{
  /* a systemd scope exists only once enter() started it with the pid;
     BRIG_FORCE_NO_CLONE_INTO_CGROUP=1 tests the cgroup.procs way */
  if (cg == NULL || (cg->systemd && ! cg->started) || brig_env_forced ("BRIG_FORCE_NO_CLONE_INTO_CGROUP"))
    return -1;
  return cg->clone_fd;
}

int
cg_join (struct cg_hier *h, pid_t pid, struct brig_error **err)
{
  char buf[32];
  int r;
  snprintf (buf, sizeof (buf), "%d", (int) pid);
  r = cg_try_write (h->path, "cgroup.procs", buf);
  if (r < 0)
    return brig_error_set (err, -r, "put process %d in cgroup `%s`", (int) pid, h->path);
  return 0;
}

int
brig_cgroup_enter (struct brig_cgroup *cg, pid_t pid, bool placed_by_clone, struct brig_error **err)
{
  size_t i;
  if (cg == NULL)
    return 0;
  if (cg->systemd && ! cg->started)
    return cg_sd_start (cg, pid, err);
  brig_debug ("cgroup: %s", placed_by_clone ? "born in the unified cgroup (clone3 CLONE_INTO_CGROUP)"
                                             : "joined through cgroup.procs");
  for (i = 0; i < cg->n_hier; i++)
    {
      struct cg_hier *h = &cg->hier[i];
      if (h->v2 && placed_by_clone)
        continue;
      if (cg_join (h, pid, err) < 0)
        {
          if (strncmp (h->name, "name=", 5) == 0)
            {
              /* a named hierarchy is bookkeeping only: not fatal */
              cg_warn ("%s", (*err)->msg);
              brig_error_free (err);
              continue;
            }
          return -1;
        }
    }
  return 0;
}

static const char *
main_path (const struct brig_cgroup *cg)
{
  static const char *const pref[] = { "pids", "devices", "freezer", "memory", "cpu", NULL };
  if (cg->mode == BRIG_CGROUP_V2 && cg->unified)
    return cg->unified->path;
  for (size_t k = 0; pref[k]; k++)
    {
      const char *p = cg_v1_path (cg, pref[k]);
      if (p)
        return p;
    }
  if (cg->unified)
    return cg->unified->path;
  return cg->n_hier ? cg->hier[0].path : NULL;
}

const char *
brig_cgroup_path (const struct brig_cgroup *cg)
{
  return cg ? main_path (cg) : NULL;
}

const char *
brig_cgroup_unit (const struct brig_cgroup *cg)
{
  return cg ? cg->unit : NULL;
}

#define KEY_DEPTH "@created"

int
brig_cgroup_save (const struct brig_cgroup *cg, struct brig_state *st)
{
  size_t i;
  int depth = INT_MAX;
  char buf[16];

  ocispec_strmap_clear (&st->cgroup_paths);
  free (st->cgroup_path);
  st->cgroup_path = NULL;
  free (st->systemd_unit);
  st->systemd_unit = NULL;
  st->systemd_cgroup = false;
  st->has_systemd_cgroup = false;
  if (cg == NULL)
    return 0;
  for (i = 0; i < cg->n_hier; i++)
    {
      const struct cg_hier *h = &cg->hier[i];
      if (h->path == NULL)
        continue;
      if (h->v2)
        ocispec_strmap_set (&st->cgroup_paths, "unified", h->path);
      else
        {
          _cleanup_free_ char *names = xstrdup (h->name);
          char *tok, *save = NULL;
          for (tok = strtok_r (names, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
            ocispec_strmap_set (&st->cgroup_paths, tok, h->path);
        }
      if (h->created_depth < depth)
        depth = h->created_depth;
    }
  if (depth != INT_MAX && depth > 0 && ! cg->systemd)
    {
      snprintf (buf, sizeof (buf), "%d", depth);
      ocispec_strmap_set (&st->cgroup_paths, KEY_DEPTH, buf);
    }
  if (main_path (cg))
    st->cgroup_path = xstrdup (main_path (cg));
  if (cg->rootless)
    {
      /* load() needs it (user bus, no device rules) */
      st->rootless = true;
      st->has_rootless = true;
    }
  if (cg->systemd)
    {
      st->systemd_cgroup = true;
      st->has_systemd_cgroup = true;
      if (cg->unit)
        st->systemd_unit = xstrdup (cg->unit);
    }
  return 0;
}

int
brig_cgroup_load (const struct brig_state *st, struct brig_cgroup **out, struct brig_error **err)
{
  enum brig_cgroup_mode mode = brig_cgroup_detect ();
  struct brig_cgroup *cg;
  int depth = 0;
  size_t i, j;

  *out = NULL;
  if (st->cgroup_paths.len == 0 && (st->cgroup_path == NULL || st->cgroup_path[0] == '\0'))
    return 0;
  cg = cg_new (mode, st->id);
  cg->systemd = st->systemd_cgroup;
  cg->rootless = st->rootless;
  cg->started = true;
  if (st->systemd_unit)
    cg->unit = xstrdup (st->systemd_unit);
  for (i = 0; i < st->cgroup_paths.len; i++)
    {
      const char *k = st->cgroup_paths.keys[i], *v = st->cgroup_paths.values[i];
      struct cg_hier *h = NULL;
      if (strcmp (k, KEY_DEPTH) == 0)
        {
          brig_parse_int (v, &depth);
          continue;
        }
      if (v == NULL || v[0] != '/')
        continue;
      if (strcmp (k, "unified") == 0)
        {
          cg->hier = xrealloc (cg->hier, (cg->n_hier + 1) * sizeof (*cg->hier));
          h = &cg->hier[cg->n_hier++];
          memset (h, 0, sizeof (*h));
          h->name = xstrdup ("");
          h->v2 = true;
          h->path = xstrdup (v);
          continue;
        }
      for (j = 0; j < cg->n_hier; j++)
        if (! cg->hier[j].v2 && strcmp (cg->hier[j].path, v) == 0)
          {
            h = &cg->hier[j];
            break;
          }
      if (h)
        {
          char *n = xasprintf ("%s,%s", h->name, k);
          free (h->name);
          h->name = n;
          continue;
        }
      cg->hier = xrealloc (cg->hier, (cg->n_hier + 1) * sizeof (*cg->hier));
      h = &cg->hier[cg->n_hier++];
      memset (h, 0, sizeof (*h));
      h->name = xstrdup (k);
      h->path = xstrdup (v);
    }
  if (cg->n_hier == 0 && st->cgroup_path && st->cgroup_path[0] == '/')
    {
      cg->hier = xcalloc (1, sizeof (*cg->hier));
      cg->n_hier = 1;
      cg->hier[0].name = xstrdup (mode == BRIG_CGROUP_V2 ? "" : "unknown");
      cg->hier[0].v2 = mode == BRIG_CGROUP_V2;
      cg->hier[0].path = xstrdup (st->cgroup_path);
    }
  /* unified last */
  for (i = 0; i < cg->n_hier; i++)
    if (cg->hier[i].v2 && i != cg->n_hier - 1)
      {
        struct cg_hier t = cg->hier[i];
        memmove (&cg->hier[i], &cg->hier[i + 1], (cg->n_hier - i - 1) * sizeof (*cg->hier));
        cg->hier[cg->n_hier - 1] = t;
        break;
      }
  if (cg->n_hier && cg->hier[cg->n_hier - 1].v2)
    cg->unified = &cg->hier[cg->n_hier - 1];
  if (mode == BRIG_CGROUP_V2 && cg->unified == NULL)
    {
      brig_cgroup_free (cg);
      return brig_error_set (err, EINVAL, "state: no cgroup v2 path recorded for this cgroup v2 host");
    }
  for (i = 0; i < cg->n_hier; i++)
    {
      cg->hier[i].created_depth = depth;
      cg->hier[i].created = depth > 0;
    }
  /* for exec: clone3 straight into the container's cgroup */
  if (cg->unified)
    cg->clone_fd = open (cg->unified->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  *out = cg;
  return 0;
}

int
brig_cgroup_update (struct brig_cgroup *cg, const struct oci_resources *r, struct brig_error **err)
{
  if (cg == NULL)
    return brig_error_set (err, ENOENT, "update: the container has no cgroup");
  if (r == NULL)
    return 0;
  if (validate (cg, r, err) < 0)
    return -1;
  if (cg->systemd && cg_sd_update (cg, r, err) < 0)
    return -1;
  if (cg->mode == BRIG_CGROUP_V2)
    {
      if (cg_v2_enable_controllers (CG_ROOT, cg->unified->path, r, false, err) < 0)
        return -1;
      return cg_v2_apply (cg, cg->unified->path, r, true, err);
    }
  return cg_v1_apply (cg, r, true, err);
}

/* ------------------------------------------------------------------ */
/* freezer */

static int
freezer_of (struct brig_cgroup *cg, const char **dir, bool *v2, struct brig_error **err)
{
  const char *p;
  if (cg->mode == BRIG_CGROUP_V2)
    {
      *dir = cg->unified->path;
      *v2 = true;
      return 0;
    }
  p = cg_v1_path (cg, "freezer");
  if (p)
    {
      *dir = p;
      *v2 = false;
      return 0;
    }
  if (cg->unified && cg_file_exists (cg->unified->path, "cgroup.freeze"))
    {
      *dir = cg->unified->path;
      *v2 = true;
      return 0;
    }
  return brig_error_set (err, ENOENT, "freezer: the freezer controller is not mounted");
}

int
brig_cgroup_freeze (struct brig_cgroup *cg, bool freeze, struct brig_error **err)
{
  const char *dir;
  bool v2;
  if (cg == NULL)
    return brig_error_set (err, ENOENT, "%s: the container has no cgroup", freeze ? "pause" : "resume");
  if (freezer_of (cg, &dir, &v2, err) < 0)
    return -1;
  return v2 ? cg_v2_freeze (dir, freeze, err) : cg_v1_freeze (dir, freeze, err);
}

int
brig_cgroup_is_frozen (struct brig_cgroup *cg, bool *frozen, struct brig_error **err)
{
  const char *dir;
  bool v2;
  *frozen = false;
  if (cg == NULL)
    return 0;
  if (freezer_of (cg, &dir, &v2, err) < 0)
    {
      brig_error_free (err);
      return 0; /* no freezer: never frozen */
    }
  return v2 ? cg_v2_is_frozen (dir, frozen, err) : cg_v1_is_frozen (dir, frozen, err);
}

/* ------------------------------------------------------------------ */
/* processes */

int
brig_cgroup_pids (struct brig_cgroup *cg, pid_t **pids, size_t *n, struct brig_error **err)
{
  size_t cap = 0;
  const char *p;
  *pids = NULL;
  *n = 0;
  if (cg == NULL)
    return 0;
  p = main_path (cg);
  if (p == NULL)
    return 0;
  if (cg_collect_pids (p, pids, n, &cap, err) < 0)
    {
      free (*pids);
      *pids = NULL;
      *n = 0;
      return -1;
    }
  return 0;
}

int
brig_cgroup_kill_all (struct brig_cgroup *cg, int sig, struct brig_error **err)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0, i;
  bool frozen_by_us = false;
  int ret = 0;

  if (cg == NULL)
    return brig_error_set (err, ENOENT, "kill --all: the container has no cgroup");
  if (sig == SIGKILL && cg->unified && cg_file_exists (cg->unified->path, "cgroup.kill"))
    {
      int r = cg_try_write (cg->unified->path, "cgroup.kill", "1");
      if (r == 0)
        return 0;
      if (r != -ENOENT)
        return brig_error_set (err, -r, "kill --all: write %s/cgroup.kill", cg->unified->path);
    }
  /* freeze so nothing forks while we signal (runc's signalAllProcesses) */
  {
    struct brig_error *e = NULL;
    bool already = false;
    if (brig_cgroup_is_frozen (cg, &already, &e) == 0 && ! already
        && brig_cgroup_freeze (cg, true, &e) == 0)
      frozen_by_us = true;
    brig_error_free (&e);
  }
  /* ERR may be NULL (delete -f): the result is RET, not *err */
  ret = brig_cgroup_pids (cg, &pids, &n, err);
  for (i = 0; ret == 0 && i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      ret = brig_error_set (err, errno, "kill --all: kill %d", (int) pids[i]);
  if (frozen_by_us)
    {
      struct brig_error *e = NULL;
      brig_cgroup_freeze (cg, false, &e);
      brig_error_free (&e);
    }
  return ret;
}

static bool
cg_empty (struct brig_cgroup *cg)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  struct brig_error *e = NULL;
  if (brig_cgroup_pids (cg, &pids, &n, &e) < 0)
    {
      brig_error_free (&e);
      return true;
    }
  return n == 0;
}

int
brig_cgroup_destroy_full (struct brig_cgroup *cg, bool kill_rest, struct brig_error **err)
{
  size_t i;
  int ret = 0;

  if (cg == NULL)
    return 0;
  if (kill_rest && ! cg_empty (cg))
    {
      struct brig_error *e = NULL;
      unsigned waited = 0;
      if (brig_cgroup_kill_all (cg, SIGKILL, &e) < 0)
        brig_error_free (&e);
      while (! cg_empty (cg) && waited < 10000)
        {
          cg_sleep_ms (10);
          waited += 10;
        }
    }
  if (cg->systemd && cg->unit && cg->started)
    {
      if (cg_sd_stop (cg, err) < 0)
        ret = -1;
    }
  for (i = cg->n_hier; i-- > 0;)
    {
      struct brig_error *e = NULL;
      if (remove_hier (&cg->hier[i], ! cg->systemd, &e) < 0)
        {
          if (ret == 0 && (err == NULL || *err == NULL))
            brig_error_move (err, &e);
          brig_error_free (&e);
          ret = -1;
        }
    }
  return ret;
}

int
brig_cgroup_destroy (struct brig_cgroup *cg, struct brig_error **err)
{
  return brig_cgroup_destroy_full (cg, false, err);
}

/* ------------------------------------------------------------------ */
/* stats */

/* events --stats JSON goes through yajl's generator: it does the quoting,
   escaping and commas. */
void
cg_json_key (struct cg_json *j, const char *key)
{
  if (key)
    yajl_gen_string (j->g, (const unsigned char *) key, strlen (key));
}

void
cg_json_open (struct cg_json *j, const char *key)
{
  cg_json_key (j, key);
  yajl_gen_map_open (j->g);
}

void
cg_json_close (struct cg_json *j)
{
  yajl_gen_map_close (j->g);
}

void
cg_json_open_arr (struct cg_json *j, const char *key)
{
  cg_json_key (j, key);
  yajl_gen_array_open (j->g);
}

void
cg_json_close_arr (struct cg_json *j)
{
  yajl_gen_array_close (j->g);
}

void
cg_json_u64 (struct cg_json *j, const char *key, uint64_t v)
{
  char b[32];
  int n = snprintf (b, sizeof (b), "%" PRIu64, v);
  cg_json_key (j, key);
  /* as a number token: yajl_gen_integer stops at LLONG_MAX */
  yajl_gen_number (j->g, b, (size_t) n);
}

void
cg_json_u64_nz (struct cg_json *j, const char *key, uint64_t v)
{
  if (v)
    cg_json_u64 (j, key, v);
}

void
cg_json_i64 (struct cg_json *j, const char *key, int64_t v)
{
  cg_json_key (j, key);
  yajl_gen_integer (j->g, (long long) v);
}

void
cg_json_str (struct cg_json *j, const char *key, const char *v)
{
  cg_json_key (j, key);
  yajl_gen_string (j->g, (const unsigned char *) v, strlen (v));
}

void
cg_json_null (struct cg_json *j, const char *key)
{
  cg_json_key (j, key);
  yajl_gen_null (j->g);
}

/* "key":{k:v,...} from a flat keyed file */
void
cg_json_keyed_file (struct cg_json *j, const char *key, const char *dir, const char *file)
{
  _cleanup_free_ char *s = cg_read (dir, file);
  char *line, *save = NULL;
  cg_json_open (j, key);
  for (line = s ? strtok_r (s, "\n", &save) : NULL; line; line = strtok_r (NULL, "\n", &save))
    {
      char *sp = strchr (line, ' ');
      uint64_t v;
      if (sp == NULL)
        continue;
      *sp = '\0';
      if (brig_parse_u64 (sp + 1, &v) == 0)
        cg_json_u64 (j, line, v);
    }
  cg_json_close (j);
}

/* a cpu/mem list ("0-2,4") as a JSON array, omitted when empty */
void
cg_json_list_u16 (struct cg_json *j, const char *key, const char *list)
{
  uint8_t *bits = NULL;
  size_t n = 0;
  if (list == NULL || list[0] == '\0' || cg_range_to_bits (list, &bits, &n) < 0)
    return;
  cg_json_open_arr (j, key);
  for (size_t i = 0; i < n * 8; i++)
    if (bits[i / 8] & (1u << (i % 8)))
      cg_json_u64 (j, NULL, i);
  cg_json_close_arr (j);
  free (bits);
}

void
cg_json_cpuset_tail (struct cg_json *j)
{
  static const char *const keys[]
      = { "cpu_exclusive", "mem_hardwall", "mem_exclusive", "memory_migrate", "memory_spread_page",
          "memory_spread_slab", "memory_pressure", "sched_load_balance", NULL };
  for (size_t i = 0; keys[i]; i++)
    cg_json_u64 (j, keys[i], 0);
  cg_json_i64 (j, "sched_relax_domain_level", 0);
}

int
brig_cgroup_stats (struct brig_cgroup *cg, const char *id, char **json, struct brig_error **err)
{
  struct cg_json j = { 0 };
  const unsigned char *buf;
  size_t len;
  int r;

  *json = NULL;
  if (cg == NULL)
    return brig_error_set (err, ENOENT, "events: the container has no cgroup");
  j.g = yajl_gen_alloc (NULL);
  if (j.g == NULL)
    return brig_error_set (err, ENOMEM, "events --stats");
  cg_json_open (&j, NULL);
  cg_json_str (&j, "type", "stats");
  cg_json_str (&j, "id", id ? id : cg->id);
  cg_json_open (&j, "data");
  if (cg->mode == BRIG_CGROUP_V2)
    r = cg_v2_stats (cg->unified->path, cg, &j);
  else
    r = cg_v1_stats (cg, &j);
  if (r < 0)
    {
      yajl_gen_free (j.g);
      return brig_error_set (err, errno, "events --stats: read cgroup `%s`", main_path (cg));
    }
  cg_json_open (&j, "intel_rdt");
  cg_json_close (&j);
  cg_json_null (&j, "network_interfaces");
  cg_json_close (&j);
  cg_json_close (&j);
  if (yajl_gen_get_buf (j.g, &buf, &len) == yajl_gen_status_ok)
    *json = xasprintf ("%.*s", (int) len, (const char *) buf);
  yajl_gen_free (j.g);
  if (*json == NULL)
    return brig_error_set (err, EINVAL, "events --stats: unbalanced JSON");
  return 0;
}

/* ------------------------------------------------------------------ */
/* OOM notification */

struct brig_cgroup_oom
{
  int fd;
  bool v2;
  char *dir;
  uint64_t last;
};

int
brig_cgroup_oom_open (struct brig_cgroup *cg, struct brig_cgroup_oom **out, struct brig_error **err)
{
  struct brig_cgroup_oom *o;
  *out = NULL;
  if (cg == NULL)
    return brig_error_set (err, ENOENT, "events: the container has no cgroup");
  o = xcalloc (1, sizeof (*o));
  o->fd = -1;
  if (cg->mode == BRIG_CGROUP_V2)
    {
      _cleanup_free_ char *p = xasprintf ("%s/memory.events", cg->unified->path);
      o->v2 = true;
      o->dir = xstrdup (cg->unified->path);
      if (cg_read_keyed (o->dir, "memory.events", "oom_kill", &o->last) < 0)
        {
          brig_error_set (err, errno, "events: read `%s` (memory controller not enabled?)", p);
          goto fail;
        }
      o->fd = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
      if (o->fd < 0 || inotify_add_watch (o->fd, p, IN_MODIFY) < 0)
        {
          brig_error_set (err, errno, "events: watch `%s`", p);
          goto fail;
        }
    }
  else
    {
      const char *mem = cg_v1_path (cg, "memory");
      _cleanup_close_ int ofd = -1;
      char buf[64];
      int r;
      if (mem == NULL)
        {
          brig_error_set (err, ENOENT, "events: the memory controller is not mounted");
          goto fail;
        }
      _cleanup_free_ char *p = xasprintf ("%s/memory.oom_control", mem);
      o->dir = xstrdup (mem);
      ofd = open (p, O_RDONLY | O_CLOEXEC);
      if (ofd < 0)
        {
          brig_error_set (err, errno, "events: open `%s`", p);
          goto fail;
        }
      o->fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
      if (o->fd < 0)
        {
          brig_error_set (err, errno, "events: eventfd");
          goto fail;
        }
      snprintf (buf, sizeof (buf), "%d %d", o->fd, ofd);
      r = cg_try_write (mem, "cgroup.event_control", buf);
      if (r < 0)
        {
          brig_error_set (err, -r, "events: write %s/cgroup.event_control", mem);
          goto fail;
        }
    }
  *out = o;
  return 0;
fail:
  brig_cgroup_oom_free (o);
  return -1;
}

int
brig_cgroup_oom_fd (const struct brig_cgroup_oom *o)
{
  return o ? o->fd : -1;
}

int
brig_cgroup_oom_read (struct brig_cgroup_oom *o, uint64_t *count, struct brig_error **err)
{
  *count = 0;
  if (o == NULL)
    return brig_error_set (err, EINVAL, "events: no OOM watch");
  if (o->v2)
    {
      char buf[4096];
      uint64_t now = 0;
      while (read (o->fd, buf, sizeof (buf)) > 0)
        ;
      if (cg_read_keyed (o->dir, "memory.events", "oom_kill", &now) < 0)
        {
          if (errno == ENOENT || errno == ENODEV)
            return brig_error_set (err, ENOENT, "events: the cgroup is gone");
          return brig_error_set (err, errno, "events: read %s/memory.events", o->dir);
        }
      if (now > o->last)
        *count = now - o->last;
      o->last = now;
      return 0;
    }
  else
    {
      uint64_t v;
      ssize_t r = read (o->fd, &v, sizeof (v));
      if (r == (ssize_t) sizeof (v))
        *count = v;
      else if (r < 0 && errno != EAGAIN)
        return brig_error_set (err, errno, "events: read eventfd");
      /* the eventfd also fires when the cgroup is removed */
      if (access (o->dir, F_OK) < 0)
        {
          *count = 0;
          return brig_error_set (err, ENOENT, "events: the cgroup is gone");
        }
      return 0;
    }
}

void
brig_cgroup_oom_free (struct brig_cgroup_oom *o)
{
  if (o == NULL)
    return;
  if (o->fd >= 0)
    close (o->fd);
  free (o->dir);
  free (o);
}

static bool
hier_has (const struct cg_hier *h, const char *ctrls)
{
  _cleanup_free_ char *copy = xstrdup (ctrls);
  char *tok, *save = NULL;
  for (tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      const char *p = h->name;
      size_t l = strlen (tok);
      bool found = false;
      if (h->v2 && strcmp (tok, "unified") == 0)
        continue;
      while (p && (p = strstr (p, tok)))
        {
          if ((p == h->name || p[-1] == ',') && (p[l] == ',' || p[l] == '\0'))
            {
              found = true;
              break;
            }
          p += l;
        }
      if (! found)
        return false;
    }
  return true;
}

int
brig_cgroup_descend (struct brig_cgroup *cg, const char *spec, struct brig_error **err)
{
  const char *colon = strchr (spec, ':');
  _cleanup_free_ char *ctrls = colon ? strndup (spec, colon - spec) : NULL;
  const char *sub = colon ? colon + 1 : spec;
  size_t i;
  bool matched = false;

  while (*sub == '/')
    sub++;
  if (*sub == '\0' || strstr (sub, "..") != NULL)
    return brig_error_set (err, 0, "--cgroup `%s`: must name a sub-cgroup inside the container's", spec);
  for (i = 0; i < cg->n_hier; i++)
    {
      struct cg_hier *h = &cg->hier[i];
      _cleanup_free_ char *np = NULL;
      struct stat st;
      if (ctrls && ! hier_has (h, ctrls))
        continue;
      np = xasprintf ("%s/%s", h->path, sub);
      if (stat (np, &st) < 0 || ! S_ISDIR (st.st_mode))
        return brig_error_set (err, errno ? errno : ENOTDIR, "--cgroup `%s`: sub-cgroup `%s`", spec, np);
      free (h->path);
      h->path = steal_pointer (&np);
      h->created = false;
      matched = true;
      if (h == cg->unified)
        {
          if (cg->clone_fd >= 0)
            close (cg->clone_fd);
          cg->clone_fd = open (h->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
    }
  if (! matched)
    return brig_error_set (err, 0, "--cgroup `%s`: no hierarchy has controller(s) `%s`", spec, ctrls ? ctrls : "");
  return 0;
}
