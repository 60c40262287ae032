#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/capability.h>

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
  printf ("],\n    \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": true, \"systemdUser\": true, "
          "\"rdma\": true},\n"
          "    \"seccomp\": {\"enabled\": true, \"actions\": [\"SCMP_ACT_ALLOW\", \"SCMP_ACT_ERRNO\", "
          "\"SCMP_ACT_KILL\", \"SCMP_ACT_KILL_PROCESS\", \"SCMP_ACT_KILL_THREAD\", \"SCMP_ACT_LOG\", "
          "\"SCMP_ACT_NOTIFY\", \"SCMP_ACT_TRACE\", \"SCMP_ACT_TRAP\"], \"operators\": [\"SCMP_CMP_EQ\", "
          "\"SCMP_CMP_GE\", \"SCMP_CMP_GT\", \"SCMP_CMP_LE\", \"SCMP_CMP_LT\", \"SCMP_CMP_MASKED_EQ\", "
          "\"SCMP_CMP_NE\"], \"archs\": [\"SCMP_ARCH_X86\", \"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X32\"], "
          "\"knownFlags\": [\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\", "
          "\"SECCOMP_FILTER_FLAG_LOG\", \"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"], \"supportedFlags\": "
          "[\"SECCOMP_FILTER_FLAG_TSYNC\", \"SECCOMP_FILTER_FLAG_SPEC_ALLOW\", \"SECCOMP_FILTER_FLAG_LOG\"]},\n"
          "    \"apparmor\": {\"enabled\": true},\n"
          "    \"selinux\": {\"enabled\": %s},\n"
          "    \"intelRdt\": {\"enabled\": false},\n"
          "    \"mountExtensions\": {\"idmap\": {\"enabled\": true}}\n  },\n"
          "  \"annotations\": {\"io.github.brig.version\": \"%s\"},\n"
          "  \"potentiallyUnsafeConfigAnnotations\": [\"org.systemd.property.\"]\n}\n",
#ifdef HAVE_SELINUX
          "true",
#else
          "false",
#endif
          PACKAGE_VERSION);
  return 0;
}
