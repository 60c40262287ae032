#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lsm.h"

#include "cmd.h"
#include "utils.h"

/* The runtime-spec features document, from what this build supports. */
int
cmd_features (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  static const char *const hooks[] = { "prestart", "createRuntime", "createContainer", "startContainer",
                                       "poststart", "poststop" };
  static const char *const mount_opts[] = {
    "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion", "lazytime",
    "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime", "nomand",
    "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind", "rdev",
    "rdiratime", "relatime", "remount", "rexec", "rnoatime", "rnodev", "rnodiratime", "rnoexec",
    "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro", "rprivate", "rrelatime", "rro", "rrw",
    "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw", "shared", "silent",
    "slave", "strictatime", "suid", "symfollow", "sync", "unbindable",
  };
  static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts" };
  size_t i;
  int v, last = (int) cap_max_bits () - 1;

  if (argc > 1)
    return brig_error_set (err, 0, "features: unexpected argument `%s`", argv[1]), 1;
  printf ("{\n  \"ociVersionMin\": \"1.0.0\",\n  \"ociVersionMax\": \"%s\",\n  \"hooks\": [", BRIG_SPEC_VERSION);
  for (i = 0; i < ARRAY_SIZE (hooks); i++)
    printf ("%s\"%s\"", i ? ", " : "", hooks[i]);
  printf ("],\n  \"mountOptions\": [");
  for (i = 0; i < ARRAY_SIZE (mount_opts); i++)
    printf ("%s\"%s\"", i ? ", " : "", mount_opts[i]);
  printf ("],\n  \"linux\": {\n    \"namespaces\": [");
  for (i = 0; i < ARRAY_SIZE (namespaces); i++)
    printf ("%s\"%s\"", i ? ", " : "", namespaces[i]);
  printf ("],\n    \"capabilities\": [");
  for (v = 0; v <= last; v++)
    {
      char *name = cap_to_name (v);
      char *p;
      for (p = name; *p; p++)
        if (*p >= 'a' && *p <= 'z')
          *p -= 32;
      printf ("%s\"%s\"", v ? ", " : "", name);
      cap_free (name);
    }
  printf ("],\n    \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": %s, \"systemdUser\": %s, "
          "\"rdma\": true},\n",
#ifdef HAVE_SYSTEMD
          "true", "true"
#else
          "false", "false"
#endif
  );
  /* seccomp: what this libseccomp and this kernel know */
  printf ("    \"seccomp\": {\"enabled\": true, \"actions\": [\"SCMP_ACT_ALLOW\", \"SCMP_ACT_ERRNO\", "
          "\"SCMP_ACT_KILL\", \"SCMP_ACT_KILL_PROCESS\", \"SCMP_ACT_KILL_THREAD\", \"SCMP_ACT_LOG\", "
          "\"SCMP_ACT_NOTIFY\", \"SCMP_ACT_TRACE\", \"SCMP_ACT_TRAP\"], \"operators\": [\"SCMP_CMP_EQ\", "
          "\"SCMP_CMP_GE\", \"SCMP_CMP_GT\", \"SCMP_CMP_LE\", \"SCMP_CMP_LT\", \"SCMP_CMP_MASKED_EQ\", "
          "\"SCMP_CMP_NE\"], \"archs\": [");
  {
    static const char *const archs[] = { "x86", "x86_64", "x32", "arm", "aarch64", "mips", "mips64", "mips64n32",
                                         "mipsel", "mipsel64", "mipsel64n32", "ppc", "ppc64", "ppc64le", "s390",
                                         "s390x", "parisc", "parisc64", "riscv64", "loongarch64", "m68k", "sh",
                                         "sheb" };
    bool first = true;
    for (i = 0; i < ARRAY_SIZE (archs); i++)
      {
        char up[32];
        size_t k;
        if (seccomp_arch_resolve_name (archs[i]) == 0)
          continue;
        for (k = 0; archs[i][k] && k < sizeof (up) - 1; k++)
          up[k] = archs[i][k] >= 'a' && archs[i][k] <= 'z' ? archs[i][k] - 32 : archs[i][k];
        up[k] = '\0';
        printf ("%s\"SCMP_ARCH_%s\"", first ? "" : ", ", up);
        first = false;
      }
  }
  {
    static const struct
    {
      const char *name;
      unsigned flag;
    } flags[] = { { "SECCOMP_FILTER_FLAG_TSYNC", 1 }, { "SECCOMP_FILTER_FLAG_LOG", 2 },
                  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", 4 }, { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 32 } };
    bool first = true;
    printf ("], \"knownFlags\": [");
    for (i = 0; i < ARRAY_SIZE (flags); i++)
      printf ("%s\"%s\"", i ? ", " : "", flags[i].name);
    printf ("], \"supportedFlags\": [");
    for (i = 0; i < ARRAY_SIZE (flags); i++)
      {
        /* a NULL program with a known flag fails with EFAULT, an unknown
           flag with EINVAL; WAIT_KILLABLE_RECV needs NEW_LISTENER too */
        unsigned f = flags[i].flag | (flags[i].flag == 32 ? 8 : 0);
        errno = 0;
        if (syscall (SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, f, NULL) < 0 && errno == EFAULT)
          {
            printf ("%s\"%s\"", first ? "" : ", ", flags[i].name);
            first = false;
          }
      }
    printf ("]},\n");
  }
  printf ("    \"apparmor\": {\"enabled\": %s},\n"
          "    \"selinux\": {\"enabled\": %s},\n"
          "    \"intelRdt\": {\"enabled\": false},\n"
          "    \"mountExtensions\": {\"idmap\": {\"enabled\": true}}\n  },\n"
          "  \"annotations\": {\"io.github.brig.version\": \"%s\"},\n"
          "  \"potentiallyUnsafeConfigAnnotations\": [\"org.systemd.property.\"]\n}\n",
          brig_apparmor_enabled () ? "true" : "false", brig_selinux_enabled () ? "true" : "false", PACKAGE_VERSION);
  return 0;
}
