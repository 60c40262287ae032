#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "lsm.h"
#include "process.h"
#include "procfs.h"
#include "utils.h"

extern char **environ;

static const struct
{
  const char *name;
  int res;
} rlimits[] = {
  { "RLIMIT_AS", RLIMIT_AS },         { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },       { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },   { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },     { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },   { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static const struct
{
  const char *name;
  unsigned long flag;
} sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },    { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },   { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

static const char *const sched_policies[] = { "SCHED_OTHER", "SCHED_FIFO", "SCHED_RR", "SCHED_BATCH",
                                              "SCHED_ISO", "SCHED_IDLE", "SCHED_DEADLINE" };

static int
parse_cpuset (const char *s, cpu_set_t *set)
{
  const char *p = s;
  CPU_ZERO (set);
  while (*p)
    {
      char *end;
      unsigned long a, b;
      errno = 0;
      a = strtoul (p, &end, 10);
      if (end == p || errno)
        return -1;
      b = a;
      p = end;
      if (*p == '-')
        {
          b = strtoul (p + 1, &end, 10);
          if (end == p + 1 || b < a)
            return -1;
          p = end;
        }
      if (b >= CPU_SETSIZE)
        return -1;
      for (; a <= b; a++)
        CPU_SET (a, set);
      if (*p == ',')
        p++;
      else if (*p)
        return -1;
    }
  return 0;
}

void
brig_process_plan_seccomp (const struct oci_process *p, struct brig_process_plan *plan)
{
  const uint64_t sys_admin = 1ULL << 21; /* CAP_SYS_ADMIN */
  if (! (p->has_no_new_privileges && p->no_new_privileges) && ! (plan->caps.effective & sys_admin))
    plan->extra_caps = sys_admin;
}

int
brig_process_prepare (const struct oci_spec *spec, const struct oci_process *p, const char *field,
                      struct brig_process_plan *plan, struct brig_error **err)
{
  size_t i, j;

  memset (plan, 0, sizeof (*plan));
  plan->p = p;
  plan->spec = spec;
  if (brig_caps_parse (p->capabilities, field, &plan->caps, err) < 0)
    return -1;
  if (p->rlimits_len > ARRAY_SIZE (plan->rlimit_res))
    return brig_error_set (err, 0, "%s.rlimits: too many entries", field);
  for (i = 0; i < p->rlimits_len; i++)
    {
      for (j = 0; j < ARRAY_SIZE (rlimits); j++)
        if (strcmp (rlimits[j].name, p->rlimits[i]->type) == 0)
          break;
      if (j == ARRAY_SIZE (rlimits))
        return brig_error_set (err, 0, "%s.rlimits[%zu].type: unknown rlimit `%s`", field, i, p->rlimits[i]->type);
      if (p->rlimits[i]->soft > p->rlimits[i]->hard)
        return brig_error_set (err, 0, "%s.rlimits[%zu]: soft limit %lu above hard limit %lu", field, i,
                               (unsigned long) p->rlimits[i]->soft, (unsigned long) p->rlimits[i]->hard);
      plan->rlimit_res[i] = rlimits[j].res;
    }
  plan->n_rlimits = p->rlimits_len;
  if (p->scheduler)
    for (i = 0; i < p->scheduler->flags_len; i++)
      {
        for (j = 0; j < ARRAY_SIZE (sched_flags); j++)
          if (strcmp (sched_flags[j].name, p->scheduler->flags[i]) == 0)
            break;
        if (j == ARRAY_SIZE (sched_flags))
          return brig_error_set (err, 0, "%s.scheduler.flags[%zu]: unknown flag `%s`", field, i,
                                 p->scheduler->flags[i]);
      }
  if (p->exec_cpu_affinity)
    {
      cpu_set_t set;
      if (p->exec_cpu_affinity->initial && parse_cpuset (p->exec_cpu_affinity->initial, &set) < 0)
        return brig_error_set (err, 0, "%s.execCPUAffinity.initial: invalid CPU list `%s`", field,
                               p->exec_cpu_affinity->initial);
      if (p->exec_cpu_affinity->final && parse_cpuset (p->exec_cpu_affinity->final, &set) < 0)
        return brig_error_set (err, 0, "%s.execCPUAffinity.final: invalid CPU list `%s`", field,
                               p->exec_cpu_affinity->final);
    }
  if (brig_lsm_check (p->apparmor_profile, p->selinux_label, field, err) < 0)
    return -1;
  if (p->has_oom_score_adj && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
    return brig_error_set (err, 0, "%s.oomScoreAdj: %d is outside -1000..1000", field, p->oom_score_adj);
  return 0;
}

/* ---- sysctl ---- */
static bool
has_ns (const struct oci_spec *s, const char *type)
{
  size_t i;
  if (s->linux_ == NULL)
    return false;
  for (i = 0; i < s->linux_->namespaces_len; i++)
    if (strcmp (s->linux_->namespaces[i]->type, type) == 0)
      return true;
  return false;
}

int
brig_sysctl_validate (const struct oci_spec *spec, struct brig_error **err)
{
  static const char *const ipc_keys[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
                                          "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
                                          "kernel.shm_rmid_forced" };
  const struct ocispec_strmap *m;
  size_t i, j;

  if (spec->linux_ == NULL)
    return 0;
  m = &spec->linux_->sysctl;
  for (i = 0; i < m->len; i++)
    {
      const char *k = m->keys[i];
      bool ok = false;
      if (strstr (k, "..") || k[0] == '.' || k[0] == '/' || *k == '\0')
        return brig_error_set (err, 0, "linux.sysctl: invalid key `%s`", k);
      for (j = 0; j < ARRAY_SIZE (ipc_keys); j++)
        if (strcmp (k, ipc_keys[j]) == 0)
          ok = has_ns (spec, "ipc");
      if (brig_str_has_prefix (k, "fs.mqueue."))
        ok = has_ns (spec, "ipc");
      if (brig_str_has_prefix (k, "net."))
        {
          const struct oci_namespace *n = NULL;
          for (j = 0; spec->linux_ && j < spec->linux_->namespaces_len; j++)
            if (strcmp (spec->linux_->namespaces[j]->type, "network") == 0)
              n = spec->linux_->namespaces[j];
          /* a joined network namespace is the container's too */
          ok = n != NULL;
          if (! ok)
            return brig_error_set (err, 0,
                                   "linux.sysctl: `%s` needs a private network namespace (refused, it would "
                                   "change the host)", k);
        }
      if (strcmp (k, "kernel.hostname") == 0 || strcmp (k, "kernel.domainname") == 0)
        ok = has_ns (spec, "uts");
      if (brig_str_has_prefix (k, "user.") && has_ns (spec, "user"))
        ok = true;
      if (! ok)
        return brig_error_set (err, 0, "linux.sysctl: `%s` is not namespaced in this container (refused)", k);
    }
  return 0;
}

int
brig_sysctl_apply (const struct oci_spec *spec, struct brig_error **err)
{
  size_t i;
  if (spec->linux_ == NULL)
    return 0;
  for (i = 0; i < spec->linux_->sysctl.len; i++)
    {
      _cleanup_free_ char *rel = xasprintf ("sys/%s", spec->linux_->sysctl.keys[i]);
      const char *v = spec->linux_->sysctl.values[i];
      char *p;
      for (p = rel + 4; *p; p++)
        if (*p == '.')
          *p = '/';
      if (brig_procfs_write (rel, v, strlen (v), err) < 0)
        return brig_error_prefix (err, "linux.sysctl `%s`", spec->linux_->sysctl.keys[i]);
    }
  return 0;
}

/* ---- in the new process ---- */
struct sched_attr_k
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

/* linux.memoryPolicy: set_mempolicy(2) with the mode, flags and nodes. */
static int
set_memory_policy (const struct oci_memory_policy *mp, struct brig_error **err)
{
  static const char *const modes[] = { "MPOL_DEFAULT", "MPOL_PREFERRED", "MPOL_BIND", "MPOL_INTERLEAVE",
                                       "MPOL_LOCAL", "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE" };
  static const struct
  {
    const char *name;
    int flag;
  } flags[] = { { "MPOL_F_NUMA_BALANCING", 1 << 13 }, { "MPOL_F_RELATIVE_NODES", 1 << 14 },
                { "MPOL_F_STATIC_NODES", 1 << 15 } };
  unsigned long mask[16] = { 0 };
  unsigned long maxnode = 0;
  int mode = -1;
  size_t i, j;

  for (i = 0; i < ARRAY_SIZE (modes); i++)
    if (strcmp (modes[i], mp->mode) == 0)
      mode = (int) i;
  for (i = 0; i < mp->flags_len; i++)
    {
      for (j = 0; j < ARRAY_SIZE (flags); j++)
        if (strcmp (flags[j].name, mp->flags[i]) == 0)
          break;
      if (j == ARRAY_SIZE (flags))
        return brig_error_set (err, 0, "linux.memoryPolicy.flags[%zu]: unknown flag `%s`", i, mp->flags[i]);
      mode |= flags[j].flag;
    }
  if (mp->nodes && *mp->nodes)
    {
      cpu_set_t set; /* the same list syntax as CPUs */
      if (parse_cpuset (mp->nodes, &set) < 0)
        return brig_error_set (err, 0, "linux.memoryPolicy.nodes: invalid node list `%s`", mp->nodes);
      for (i = 0; i < sizeof (mask) * 8 && i < CPU_SETSIZE; i++)
        if (CPU_ISSET (i, &set))
          {
            mask[i / (8 * sizeof (long))] |= 1UL << (i % (8 * sizeof (long)));
            maxnode = i + 2;
          }
    }
  if (syscall (SYS_set_mempolicy, mode, maxnode ? mask : NULL, maxnode) < 0)
    return brig_error_set (err, errno, "linux.memoryPolicy: set_mempolicy %s", mp->mode);
  return 0;
}

int
brig_process_setup_privileged (struct brig_process_plan *plan, struct brig_error **err)
{
  const struct oci_process *p = plan->p;
  size_t i, j;

  if (p->has_oom_score_adj)
    {
      char buf[16];
      int n = snprintf (buf, sizeof (buf), "%d", p->oom_score_adj);
      if (brig_procfs_write ("self/oom_score_adj", buf, n, err) < 0)
        return brig_error_prefix (err, "process.oomScoreAdj");
    }
  if (plan->spec && plan->spec->linux_ && plan->spec->linux_->personality)
    {
      const char *d = plan->spec->linux_->personality->domain;
      unsigned long pers = strcmp (d, "LINUX32") == 0 ? PER_LINUX32 : PER_LINUX;
      if (personality (pers) < 0)
        return brig_error_set (err, errno, "linux.personality: set `%s`", d);
    }
  for (i = 0; i < plan->n_rlimits; i++)
    {
      struct rlimit rl = { p->rlimits[i]->soft, p->rlimits[i]->hard };
      if (setrlimit (plan->rlimit_res[i], &rl) < 0)
        return brig_error_set (err, errno, "process.rlimits[%zu]: setrlimit %s", i, p->rlimits[i]->type);
    }
  if (p->scheduler)
    {
      struct sched_attr_k a = { 0 };
      a.size = sizeof (a);
      for (j = 0; j < ARRAY_SIZE (sched_policies); j++)
        if (strcmp (sched_policies[j], p->scheduler->policy) == 0)
          a.sched_policy = j; /* the table is in SCHED_* order */
      a.sched_nice = p->scheduler->nice;
      a.sched_priority = p->scheduler->priority;
      a.sched_runtime = p->scheduler->runtime;
      a.sched_deadline = p->scheduler->deadline;
      a.sched_period = p->scheduler->period;
      for (i = 0; i < p->scheduler->flags_len; i++)
        for (j = 0; j < ARRAY_SIZE (sched_flags); j++)
          if (strcmp (sched_flags[j].name, p->scheduler->flags[i]) == 0)
            a.sched_flags |= sched_flags[j].flag;
      if (syscall (SYS_sched_setattr, 0, &a, 0) < 0)
        return brig_error_set (err, errno, "process.scheduler: sched_setattr %s", p->scheduler->policy);
    }
  if (p->io_priority)
    {
      int cls = strcmp (p->io_priority->class_, "IOPRIO_CLASS_RT") == 0   ? 1
                : strcmp (p->io_priority->class_, "IOPRIO_CLASS_BE") == 0 ? 2
                                                                           : 3;
      if (syscall (SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, (cls << 13) | (p->io_priority->priority & 0xff)) < 0)
        return brig_error_set (err, errno, "process.ioPriority: ioprio_set %s", p->io_priority->class_);
    }
  if (plan->spec && plan->spec->linux_ && plan->spec->linux_->memory_policy
      && set_memory_policy (plan->spec->linux_->memory_policy, err) < 0)
    return -1;
  if (p->exec_cpu_affinity && p->exec_cpu_affinity->initial)
    {
      cpu_set_t set;
      parse_cpuset (p->exec_cpu_affinity->initial, &set);
      if (sched_setaffinity (0, sizeof (set), &set) < 0)
        return brig_error_set (err, errno, "process.execCPUAffinity.initial");
    }
  return 0;
}

int
brig_process_set_user (struct brig_process_plan *plan, struct brig_error **err)
{
  const struct oci_user *u = plan->p->user;

  if (brig_caps_drop_bounding (&plan->caps, err) < 0)
    return -1;
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return brig_error_set (err, errno, "prctl PR_SET_KEEPCAPS");
  if (! plan->setgroups_denied)
    {
      gid_t *groups = xcalloc (u->additional_gids_len + 1, sizeof (gid_t));
      size_t i;
      int r;
      for (i = 0; i < u->additional_gids_len; i++)
        groups[i] = u->additional_gids[i];
      r = setgroups (u->additional_gids_len, groups);
      free (groups);
      if (r < 0)
        return brig_error_set (err, errno, "process.user.additionalGids: setgroups");
    }
  else if (u->additional_gids_len > 0)
    return brig_error_set (err, EPERM, "process.user.additionalGids: setgroups is denied in this user namespace");
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return brig_error_set (err, errno, "process.user.gid: setgid %u", u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return brig_error_set (err, errno, "process.user.uid: setuid %u", u->uid);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return brig_error_set (err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}

/* HOME from the container's /etc/passwd when the config does not set it. */
static char *
home_of (uid_t uid)
{
  _cleanup_free_ char *buf = NULL;
  char *line, *save = NULL;
  if (brig_read_file ("/etc/passwd", &buf, NULL, 4 << 20, NULL) < 0)
    return NULL;
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[7];
      int n = 0;
      char *p = line;
      uint32_t u;
      while (n < 7)
        {
          f[n++] = p;
          p = strchr (p, ':');
          if (p == NULL)
            break;
          *p++ = '\0';
        }
      if (n >= 6 && brig_parse_u32 (f[2], &u) == 0 && u == uid)
        return xstrdup (f[5]);
    }
  return NULL;
}

int
brig_process_finish (struct brig_process_plan *plan, struct brig_error **err)
{
  const struct oci_process *p = plan->p;
  const char *path_env = NULL;
  bool have_home = false;
  size_t i, n = 0;
  char cwd[4096];

  umask (p->user->has_umask ? p->user->umask : 022);

  if (chdir (p->cwd) < 0)
    return brig_error_set (err, errno, "process.cwd: chdir `%s`", p->cwd);
  /* The cwd must be inside the container: a leaked host fd or a
     /proc/self/fd/N cwd would give the program the host (CVE-2024-21626). */
  if (getcwd (cwd, sizeof (cwd)) == NULL || cwd[0] != '/')
    return brig_error_set (err, errno ? errno : EPERM, "process.cwd: `%s` is outside the container", p->cwd);

  plan->envp = xcalloc (p->env_len + 2, sizeof (char *));
  for (i = 0; i < p->env_len; i++)
    {
      if (strchr (p->env[i], '=') == NULL)
        continue;
      if (brig_str_has_prefix (p->env[i], "PATH="))
        path_env = p->env[i] + 5;
      if (brig_str_has_prefix (p->env[i], "HOME="))
        have_home = true;
      plan->envp[n++] = p->env[i];
    }
  if (! have_home)
    {
      _cleanup_free_ char *home = home_of (p->user->uid);
      plan->envp[n++] = xasprintf ("HOME=%s", home ? home : "/");
    }

  plan->exe = brig_find_executable (p->args[0], path_env, NULL);
  if (plan->exe == NULL)
    {
      if (errno == EACCES)
        return brig_error_set (err, 0, "exec: `%s`: permission denied", p->args[0]);
      return brig_error_set (err, 0, "exec: `%s`: executable file not found in $PATH", p->args[0]);
    }
  if (strchr (p->args[0], '/'))
    {
      struct stat st;
      if (stat (plan->exe, &st) < 0)
        return brig_error_set (err, 0, "exec: `%s`: %s", plan->exe,
                               errno == ENOENT ? "no such file or directory" : strerror (errno));
      if (S_ISDIR (st.st_mode))
        return brig_error_set (err, 0, "exec: `%s`: is a directory", plan->exe);
    }

  if (p->has_no_new_privileges && p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return brig_error_set (err, errno, "process.noNewPrivileges");
  if (brig_caps_apply (&plan->caps, plan->extra_caps, err) < 0)
    return -1;
  /* the labels take effect at execve, but are written now: before seccomp
     is loaded (a filter may deny the procfs walk), and in `create` while
     an unknown profile can still fail the create itself */
  return brig_lsm_set_exec (p->apparmor_profile, p->selinux_label, err);
}

int
brig_process_drop_extra (struct brig_process_plan *plan, struct brig_error **err)
{
  if (plan->extra_caps == 0)
    return 0;
  plan->extra_caps = 0;
  return brig_caps_apply (&plan->caps, 0, err);
}

void
brig_reset_signals (void)
{
  /* brig changes only these two things (SIGPIPE ignored, signals blocked
     while `run` forwards them); what the caller set is passed on, as
     runc does */
  sigset_t none;
  signal (SIGPIPE, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

int
brig_process_exec (struct brig_process_plan *plan, struct brig_error **err)
{
  const struct oci_process *p = plan->p;

  if (p->exec_cpu_affinity && p->exec_cpu_affinity->final)
    {
      cpu_set_t set;
      parse_cpuset (p->exec_cpu_affinity->final, &set);
      if (sched_setaffinity (0, sizeof (set), &set) < 0)
        return brig_error_set (err, errno, "process.execCPUAffinity.final");
    }
  execve (plan->exe, p->args, plan->envp);
  if (errno == ENOENT)
    return brig_error_set (err, 0, "exec: `%s`: no such file or directory", plan->exe);
  if (errno == EACCES)
    return brig_error_set (err, 0, "exec: `%s`: permission denied", plan->exe);
  return brig_error_set (err, errno, "exec `%s`", plan->exe);
}
