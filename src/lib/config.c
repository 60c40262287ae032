#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "config.h"
#include "utils.h"

int
brig_config_load (const char *bundle, const char *config, struct oci_spec **out, char **raw,
                  size_t *rawlen, struct brig_error **err)
{
  _cleanup_free_ char *path = config ? xstrdup (config) : xasprintf ("%s/config.json", bundle);
  _cleanup_free_ char *buf = NULL;
  _cleanup_free_ char *perr = NULL;
  size_t len;
  struct oci_spec *s;

  if (brig_read_file (path, &buf, &len, 64 << 20, err) < 0)
    return -1;
  s = oci_spec_parse (buf, len, &perr);
  if (s == NULL)
    return brig_error_set (err, 0, "config.json: %s", perr);
  *out = s;
  if (raw)
    *raw = steal_pointer (&buf);
  if (rawlen)
    *rawlen = len;
  return 0;
}

const struct oci_namespace *
brig_config_namespace (const struct oci_spec *s, const char *type)
{
  size_t i;
  if (s->linux_ == NULL)
    return NULL;
  for (i = 0; i < s->linux_->namespaces_len; i++)
    if (strcmp (s->linux_->namespaces[i]->type, type) == 0)
      return s->linux_->namespaces[i];
  return NULL;
}

int
brig_config_validate (const struct oci_spec *s, struct brig_error **err)
{
  size_t i, j;

  /* Any 1.x config: a strict version check broke every runtime that had
     one whenever the spec moved on. */
  if (strncmp (s->oci_version, "1.", 2) != 0 && strcmp (s->oci_version, "1") != 0)
    return brig_error_set (err, 0, "ociVersion: unsupported version `%s` (brig runs 1.x configs)",
                           s->oci_version);
  if (s->root == NULL)
    return brig_error_set (err, 0, "root: missing required field");
  if (s->process == NULL)
    return brig_error_set (err, 0, "process: missing required field");
  if (s->process->args_len == 0)
    return brig_error_set (err, 0, "process.args: must not be empty");
  if (s->process->cwd[0] != '/')
    return brig_error_set (err, 0, "process.cwd: `%s` is not an absolute path", s->process->cwd);
  for (i = 0; i < s->mounts_len; i++)
    if (s->mounts[i]->destination[0] != '/')
      return brig_error_set (err, 0, "mounts[%zu].destination: `%s` is not an absolute path", i,
                             s->mounts[i]->destination);
  if (s->linux_)
    {
      for (i = 0; i < s->linux_->namespaces_len; i++)
        for (j = i + 1; j < s->linux_->namespaces_len; j++)
          if (strcmp (s->linux_->namespaces[i]->type, s->linux_->namespaces[j]->type) == 0)
            return brig_error_set (err, 0, "linux.namespaces[%zu]: duplicate namespace `%s`", j,
                                   s->linux_->namespaces[j]->type);
      for (i = 0; i < s->linux_->devices_len; i++)
        {
          const struct oci_device *d = s->linux_->devices[i];
          if (d->path[0] != '/')
            return brig_error_set (err, 0, "linux.devices[%zu].path: `%s` is not an absolute path", i, d->path);
          if ((d->type[0] == 'c' || d->type[0] == 'b' || d->type[0] == 'u') && (! d->has_major || ! d->has_minor))
            return brig_error_set (err, 0, "linux.devices[%zu]: major and minor are required for type `%s`",
                                   i, d->type);
        }
    }
  if (s->linux_ && s->linux_->intel_rdt)
    return brig_error_set (err, ENOTSUP, "linux.intelRdt: not supported by this build");
  if (s->linux_ && s->linux_->net_devices.len)
    return brig_error_set (err, ENOTSUP, "linux.netDevices: not supported by this build");
  if ((s->hostname && *s->hostname) && brig_config_namespace (s, "uts") == NULL)
    return brig_error_set (err, 0, "hostname: cannot set a hostname without a private UTS namespace");
  if ((s->domainname && *s->domainname) && brig_config_namespace (s, "uts") == NULL)
    return brig_error_set (err, 0, "domainname: cannot set a domainname without a private UTS namespace");
  return 0;
}
