#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "utils.h"

/* runc's default config (the fields and values engines and users know),
   with the cgroup namespace runc has made the default since 1.2 and
   without ambient/inheritable capabilities (CVE-2022-29162). */
static const char default_spec[] =
  "{\"ociVersion\":\"" BRIG_SPEC_VERSION "\","
  "\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
  "\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"TERM=xterm\"],"
  "\"cwd\":\"/\",\"capabilities\":{"
  "\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
  "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
  "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
  "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],\"noNewPrivileges\":true},"
  "\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"brig\","
  "\"mounts\":["
  "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
  "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
  "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
  "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
  "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
  "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
  "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}],"
  "\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
  "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
  "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\",\"/proc/latency_stats\","
  "\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\",\"/proc/scsi\","
  "\"/sys/devices/virtual/powercap\"],"
  "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]}}";

static void
strv_remove (char **v, size_t *n, const char *what)
{
  size_t i, j;
  for (i = j = 0; i < *n; i++)
    {
      if (strcmp (v[i], what) == 0)
        {
          free (v[i]);
          continue;
        }
      v[j++] = v[i];
    }
  *n = j;
  v[j] = NULL;
}

/* Rootless, as runc's: a user namespace mapping the caller to root, no
   network namespace of our own (so /sys is bound, not mounted: a new
   sysfs needs a network namespace the user namespace owns), no
   resources, no uid=/gid= mount options (those ids are not mapped). */
static void
make_rootless (struct oci_spec *s)
{
  struct oci_linux *lx = s->linux_;
  size_t i, j;

  for (i = j = 0; i < lx->namespaces_len; i++)
    {
      struct oci_namespace *ns = lx->namespaces[i];
      if (strcmp (ns->type, "network") == 0 || strcmp (ns->type, "user") == 0)
        {
          ocispec_free (&oci_namespace_type, ns);
          continue;
        }
      lx->namespaces[j++] = ns;
    }
  lx->namespaces = xrealloc (lx->namespaces, (j + 2) * sizeof (*lx->namespaces));
  lx->namespaces[j] = xcalloc (1, sizeof (struct oci_namespace));
  lx->namespaces[j]->type = xstrdup ("user");
  lx->namespaces_len = j + 1;

  lx->uid_mappings = xcalloc (2, sizeof (*lx->uid_mappings));
  lx->uid_mappings[0] = xcalloc (1, sizeof (struct oci_id_mapping));
  *lx->uid_mappings[0] = (struct oci_id_mapping){ 0, true, geteuid (), true, 1, true };
  lx->uid_mappings_len = 1;
  lx->gid_mappings = xcalloc (2, sizeof (*lx->gid_mappings));
  lx->gid_mappings[0] = xcalloc (1, sizeof (struct oci_id_mapping));
  *lx->gid_mappings[0] = (struct oci_id_mapping){ 0, true, getegid (), true, 1, true };
  lx->gid_mappings_len = 1;

  ocispec_free (&oci_resources_type, lx->resources);
  lx->resources = NULL;

  for (i = 0; i < s->mounts_len; i++)
    {
      struct oci_mount *m = s->mounts[i];
      for (j = 0; j < m->options_len;)
        if (strncmp (m->options[j], "uid=", 4) == 0 || strncmp (m->options[j], "gid=", 4) == 0)
          {
            _cleanup_free_ char *opt = xstrdup (m->options[j]);
            strv_remove (m->options, &m->options_len, opt);
          }
        else
          j++;
      if (strcmp (m->destination, "/sys") == 0)
        {
          free (m->type);
          free (m->source);
          m->type = xstrdup ("none");
          m->source = xstrdup ("/sys");
          for (j = 0; j < m->options_len; j++)
            free (m->options[j]);
          free (m->options);
          m->options = xcalloc (6, sizeof (char *));
          m->options[0] = xstrdup ("rbind");
          m->options[1] = xstrdup ("nosuid");
          m->options[2] = xstrdup ("noexec");
          m->options[3] = xstrdup ("nodev");
          m->options[4] = xstrdup ("ro");
          m->options_len = 5;
        }
    }
}

int
cmd_spec (int argc, char **argv, struct brig_global *g, struct brig_error **err)
{
  static const struct option o[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "rootless", no_argument, NULL, 'r' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  static const char *const h[] = { "write BUNDLE/config.json", "a config for an unprivileged user", "this help" };
  const char *bundle = ".";
  bool rootless = false;
  _cleanup_free_ char *perr = NULL;
  _cleanup_free_ char *out = NULL;
  _cleanup_close_ int dfd = -1;
  _cleanup_close_ int fd = -1;
  struct oci_spec *s;
  size_t len;
  int c;

  while ((c = getopt_long (argc, argv, "+b:h", o, NULL)) != -1)
    switch (c)
      {
      case 'b':
        bundle = optarg;
        break;
      case 'r':
        rootless = true;
        break;
      case 'h':
        brig_cmd_help ("spec", o, h);
        exit (0);
      default:
        return brig_error_set (err, 0, "spec: unknown option `%s`", argv[optind - 1]), 1;
      }
  if (argc > optind)
    return brig_error_set (err, 0, "spec: unexpected argument `%s`", argv[optind]), 1;

  s = oci_spec_parse (default_spec, sizeof (default_spec) - 1, &perr);
  if (s == NULL)
    return brig_error_set (err, 0, "default spec: %s", perr), 1;
  if (rootless)
    make_rootless (s);
  out = ocispec_print (&oci_spec_type, s, true, &len);
  oci_spec_free (s);

  dfd = open (bundle, O_DIRECTORY | O_PATH | O_CLOEXEC);
  if (dfd < 0)
    return brig_error_set (err, errno, "spec: bundle `%s`", bundle), 1;
  fd = openat (dfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0)
    {
      if (errno == EEXIST)
        return brig_error_set (err, 0, "spec: `%s/config.json` exists, remove it first", bundle), 1;
      return brig_error_set (err, errno, "spec: create `%s/config.json`", bundle), 1;
    }
  if (brig_write_all (fd, out, len) < 0 || brig_write_all (fd, "\n", 1) < 0)
    return brig_error_set (err, errno, "spec: write `%s/config.json`", bundle), 1;
  return 0;
}
