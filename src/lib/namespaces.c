#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>

#include "namespaces.h"
#include "utils.h"

static const struct
{
  const char *type;
  int flag;
  const char *proc;
} ns_table[] = {
  { "user", CLONE_NEWUSER, "user" },  /* first: it owns the others */
  { "pid", CLONE_NEWPID, "pid" },     { "network", CLONE_NEWNET, "net" },
  { "mount", CLONE_NEWNS, "mnt" },    { "ipc", CLONE_NEWIPC, "ipc" },
  { "uts", CLONE_NEWUTS, "uts" },     { "cgroup", CLONE_NEWCGROUP, "cgroup" },
  { "time", CLONE_NEWTIME, "time" },
};

int
brig_ns_flag (const char *type)
{
  size_t i;
  for (i = 0; i < ARRAY_SIZE (ns_table); i++)
    if (strcmp (ns_table[i].type, type) == 0)
      return ns_table[i].flag;
  return 0;
}

const char *
brig_ns_proc_name (const char *type)
{
  size_t i;
  for (i = 0; i < ARRAY_SIZE (ns_table); i++)
    if (strcmp (ns_table[i].type, type) == 0)
      return ns_table[i].proc;
  return NULL;
}

int
brig_ns_plan_make (const struct oci_spec *s, struct brig_ns_plan *p, struct brig_error **err)
{
  size_t t, i;

  memset (p, 0, sizeof (*p));
  p->pid_fd = -1;
  if (s->linux_ == NULL)
    return 0;
  /* walk in ns_table order so that the user namespace is joined first */
  for (t = 0; t < ARRAY_SIZE (ns_table); t++)
    for (i = 0; i < s->linux_->namespaces_len; i++)
      {
        const struct oci_namespace *ns = s->linux_->namespaces[i];
        int fd, kind;
        if (strcmp (ns->type, ns_table[t].type) != 0)
          continue;
        if (ns->path == NULL || *ns->path == '\0')
          {
            p->new_flags |= ns_table[t].flag;
            if (ns_table[t].flag == CLONE_NEWUSER)
              p->userns = true;
            continue;
          }
        fd = open (ns->path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
          return brig_error_set (err, errno, "linux.namespaces[%zu].path: open `%s`", i, ns->path);
        kind = ioctl (fd, NS_GET_NSTYPE);
        if (kind >= 0 && kind != ns_table[t].flag)
          {
            close (fd);
            return brig_error_set (err, 0, "linux.namespaces[%zu].path: `%s` is not a %s namespace", i,
                                   ns->path, ns->type);
          }
        if (ns_table[t].flag == CLONE_NEWPID)
          {
            p->pid_fd = fd;
            continue;
          }
        if (ns_table[t].flag == CLONE_NEWUSER)
          p->userns = true;
        p->join_fd[p->n_join] = fd;
        p->join_type[p->n_join] = ns_table[t].flag;
        p->join_flags |= ns_table[t].flag;
        p->n_join++;
      }
  /* Joining a namespace owned by the host needs the host's privileges,
     which a process in a new user namespace no longer has; and new
     namespaces must belong to a joined user namespace.  Both need setns
     before the new namespaces are made. */
  if ((p->join_flags & CLONE_NEWUSER) || ((p->new_flags & CLONE_NEWUSER) && p->n_join > 0))
    p->two_stage = true;
  return 0;
}

void
brig_ns_plan_close (struct brig_ns_plan *p)
{
  int i;
  for (i = 0; i < p->n_join; i++)
    if (p->join_fd[i] >= 0)
      close (p->join_fd[i]);
  p->n_join = 0;
  if (p->pid_fd >= 0)
    close (p->pid_fd);
  p->pid_fd = -1;
}

int
brig_ns_join (const struct brig_ns_plan *p, bool userns_only, bool skip_userns, struct brig_error **err)
{
  int i;
  for (i = 0; i < p->n_join; i++)
    {
      bool is_user = p->join_type[i] == CLONE_NEWUSER;
      if ((userns_only && ! is_user) || (skip_userns && is_user))
        continue;
      if (setns (p->join_fd[i], p->join_type[i]) < 0)
        return brig_error_set (err, errno, "join namespace (setns type %#x)", p->join_type[i]);
    }
  return 0;
}
