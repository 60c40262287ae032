#define _GNU_SOURCE
#include <linux/mount.h>
#include <string.h>
#include <sys/mount.h>

#include "mountopts.h"
#include "utils.h"

#ifndef MS_NOSYMFOLLOW
# define MS_NOSYMFOLLOW 256
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
# define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

enum kind
{
  K_SET,   /* set flag */
  K_CLR,   /* clear flag */
  K_PROP,  /* propagation */
  K_RSET,  /* recursive attribute set */
  K_RCLR,  /* recursive attribute clear */
  K_ATIME, /* recursive atime mode */
  K_BIND,
  K_RBIND,
  K_IDMAP,
  K_RIDMAP,
  K_TMPCOPYUP,
  K_IGNORE,
};

static const struct
{
  const char *name;
  enum kind kind;
  unsigned long value;
} table[] = {
  { "defaults", K_IGNORE, 0 },
  { "ro", K_SET, MS_RDONLY },
  { "rw", K_CLR, MS_RDONLY },
  { "nosuid", K_SET, MS_NOSUID },
  { "suid", K_CLR, MS_NOSUID },
  { "nodev", K_SET, MS_NODEV },
  { "dev", K_CLR, MS_NODEV },
  { "noexec", K_SET, MS_NOEXEC },
  { "exec", K_CLR, MS_NOEXEC },
  { "sync", K_SET, MS_SYNCHRONOUS },
  { "async", K_CLR, MS_SYNCHRONOUS },
  { "dirsync", K_SET, MS_DIRSYNC },
  { "remount", K_SET, MS_REMOUNT },
  { "mand", K_SET, MS_MANDLOCK },
  { "nomand", K_CLR, MS_MANDLOCK },
  { "atime", K_CLR, MS_NOATIME },
  { "noatime", K_SET, MS_NOATIME },
  { "diratime", K_CLR, MS_NODIRATIME },
  { "nodiratime", K_SET, MS_NODIRATIME },
  { "relatime", K_SET, MS_RELATIME },
  { "norelatime", K_CLR, MS_RELATIME },
  { "strictatime", K_SET, MS_STRICTATIME },
  { "nostrictatime", K_CLR, MS_STRICTATIME },
  { "lazytime", K_SET, MS_LAZYTIME },
  { "nolazytime", K_CLR, MS_LAZYTIME },
  { "iversion", K_SET, MS_I_VERSION },
  { "noiversion", K_CLR, MS_I_VERSION },
  { "silent", K_SET, MS_SILENT },
  { "loud", K_CLR, MS_SILENT },
  { "nosymfollow", K_SET, MS_NOSYMFOLLOW },
  { "symfollow", K_CLR, MS_NOSYMFOLLOW },
  { "bind", K_BIND, 0 },
  { "rbind", K_RBIND, 0 },
  { "private", K_PROP, MS_PRIVATE },
  { "rprivate", K_PROP, MS_PRIVATE | MS_REC },
  { "shared", K_PROP, MS_SHARED },
  { "rshared", K_PROP, MS_SHARED | MS_REC },
  { "slave", K_PROP, MS_SLAVE },
  { "rslave", K_PROP, MS_SLAVE | MS_REC },
  { "unbindable", K_PROP, MS_UNBINDABLE },
  { "runbindable", K_PROP, MS_UNBINDABLE | MS_REC },
  { "rro", K_RSET, MOUNT_ATTR_RDONLY },
  { "rrw", K_RCLR, MOUNT_ATTR_RDONLY },
  { "rnosuid", K_RSET, MOUNT_ATTR_NOSUID },
  { "rsuid", K_RCLR, MOUNT_ATTR_NOSUID },
  { "rnodev", K_RSET, MOUNT_ATTR_NODEV },
  { "rdev", K_RCLR, MOUNT_ATTR_NODEV },
  { "rnoexec", K_RSET, MOUNT_ATTR_NOEXEC },
  { "rexec", K_RCLR, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", K_RSET, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", K_RCLR, MOUNT_ATTR_NODIRATIME },
  { "rnosymfollow", K_RSET, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", K_RCLR, MOUNT_ATTR_NOSYMFOLLOW },
  /* the atime mode is one field: value is the mode to switch to, "no"
     variants go back to the kernel default, relatime */
  { "rrelatime", K_ATIME, MOUNT_ATTR_RELATIME },
  { "rnorelatime", K_ATIME, MOUNT_ATTR_STRICTATIME },
  { "rnoatime", K_ATIME, MOUNT_ATTR_NOATIME },
  { "ratime", K_ATIME, MOUNT_ATTR_RELATIME },
  { "rstrictatime", K_ATIME, MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", K_ATIME, MOUNT_ATTR_RELATIME },
  { "idmap", K_IDMAP, 0 },
  { "ridmap", K_RIDMAP, 0 },
  { "tmpcopyup", K_TMPCOPYUP, 0 },
};

int
brig_mount_opts_parse (char *const *opts, size_t n, struct brig_mount_opts *o, struct brig_error **err)
{
  size_t i, j;

  memset (o, 0, sizeof (*o));
  for (i = 0; i < n; i++)
    {
      const char *opt = opts[i];
      bool found = false;
      for (j = 0; j < ARRAY_SIZE (table); j++)
        {
          if (strcmp (opt, table[j].name) != 0)
            continue;
          found = true;
          switch (table[j].kind)
            {
            case K_SET:
              o->flags |= table[j].value;
              o->clear &= ~table[j].value;
              break;
            case K_CLR:
              o->flags &= ~table[j].value;
              o->clear |= table[j].value;
              break;
            case K_PROP:
              o->propagation = table[j].value;
              break;
            case K_RSET:
              o->attr_set |= table[j].value;
              o->attr_clr &= ~table[j].value;
              break;
            case K_RCLR:
              o->attr_clr |= table[j].value;
              o->attr_set &= ~table[j].value;
              break;
            case K_ATIME:
              o->attr_clr |= MOUNT_ATTR__ATIME;
              o->attr_set = (o->attr_set & ~MOUNT_ATTR__ATIME) | table[j].value;
              o->atime_set = true;
              break;
            case K_BIND:
              o->bind = true;
              break;
            case K_RBIND:
              o->bind = o->rbind = true;
              break;
            case K_IDMAP:
              o->idmap = true;
              break;
            case K_RIDMAP:
              o->idmap = o->ridmap = true;
              break;
            case K_TMPCOPYUP:
              o->tmpcopyup = true;
              break;
            case K_IGNORE:
              break;
            }
          break;
        }
      /* an empty option means nothing (it would put ",," or a leading
         comma in the data string mount(2) gets: fuzz finding) */
      if (found || *opt == '\0')
        continue;
      if (strchr (opt, ',') != NULL)
        {
          brig_mount_opts_clear (o);
          return brig_error_set (err, 0, "invalid mount option `%s`", opt);
        }
      /* anything else is filesystem data (size=, mode=, uid=, ...) */
      if (o->data == NULL)
        o->data = xstrdup (opt);
      else
        {
          char *d = xasprintf ("%s,%s", o->data, opt);
          free (o->data);
          o->data = d;
        }
    }
  return 0;
}

void
brig_mount_opts_clear (struct brig_mount_opts *o)
{
  free (o->data);
  o->data = NULL;
}
