#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "utils.h"

int
brig_cap_from_name (const char *name)
{
  cap_value_t v;
  /* libcap accepts "cap_sys_admin" and numbers; the spec uses CAP_*; accept
     only names so a typo is never a number */
  if (strncasecmp (name, "CAP_", 4) != 0 || cap_from_name (name, &v) < 0)
    return -1;
  return v;
}

static int
parse_set (char **names, size_t n, const char *field, const char *set, uint64_t *out, struct brig_error **err)
{
  size_t i;
  int last = (int) cap_max_bits () - 1;
  *out = 0;
  for (i = 0; i < n; i++)
    {
      int v = brig_cap_from_name (names[i]);
      if (v < 0)
        return brig_error_set (err, 0, "%s.%s[%zu]: unknown capability `%s`", field, set, i, names[i]);
      if (v > last || v > 63)
        continue; /* newer than this kernel: nothing to grant */
      *out |= 1ULL << v;
    }
  return 0;
}

int
brig_caps_parse (const struct oci_capabilities *c, const char *field, struct brig_caps *out,
                 struct brig_error **err)
{
  memset (out, 0, sizeof (*out));
  if (c == NULL)
    return 0;
  if (parse_set (c->bounding, c->bounding_len, field, "bounding", &out->bounding, err) < 0
      || parse_set (c->effective, c->effective_len, field, "effective", &out->effective, err) < 0
      || parse_set (c->inheritable, c->inheritable_len, field, "inheritable", &out->inheritable, err) < 0
      || parse_set (c->permitted, c->permitted_len, field, "permitted", &out->permitted, err) < 0
      || parse_set (c->ambient, c->ambient_len, field, "ambient", &out->ambient, err) < 0)
    return -1;
  return 0;
}

int
brig_caps_drop_bounding (const struct brig_caps *c, struct brig_error **err)
{
  int v, last = (int) cap_max_bits () - 1;
  for (v = 0; v <= last && v < 64; v++)
    {
      if (c->bounding & (1ULL << v))
        continue;
      if (cap_drop_bound (v) < 0 && errno != EINVAL)
        return brig_error_set (err, errno, "drop capability %d from the bounding set", v);
    }
  return 0;
}

int
brig_caps_apply (const struct brig_caps *c, uint64_t extra, struct brig_error **err)
{
  cap_t caps = cap_init ();
  int v, last = (int) cap_max_bits () - 1;
  int ret = 0;

  if (caps == NULL)
    return brig_error_set (err, errno, "cap_init");
  for (v = 0; v <= last && v < 64; v++)
    {
      cap_value_t cv = v;
      uint64_t bit = 1ULL << v;
      if ((c->effective | extra) & bit)
        cap_set_flag (caps, CAP_EFFECTIVE, 1, &cv, CAP_SET);
      if ((c->permitted | extra) & bit)
        cap_set_flag (caps, CAP_PERMITTED, 1, &cv, CAP_SET);
      if (c->inheritable & bit)
        cap_set_flag (caps, CAP_INHERITABLE, 1, &cv, CAP_SET);
    }
  if (cap_set_proc (caps) < 0)
    ret = brig_error_set (err, errno, "set capabilities");
  cap_free (caps);
  if (ret < 0)
    return ret;
  if (cap_reset_ambient () < 0 && errno != EINVAL)
    return brig_error_set (err, errno, "clear ambient capabilities");
  for (v = 0; v <= last && v < 64; v++)
    if (c->ambient & (1ULL << v))
      {
        /* the kernel wants ambient within permitted and inheritable;
           runc skips the ones that are not, and so do we */
        if (! (c->permitted & c->inheritable & (1ULL << v)))
          continue;
        if (cap_set_ambient (v, CAP_SET) < 0)
          return brig_error_set (err, errno, "raise ambient capability %d", v);
      }
  return 0;
}
