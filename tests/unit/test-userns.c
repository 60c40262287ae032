/* /etc/subuid parsing and the rootless config checks (userns.c), and the
   options a user namespace mount fallback strips (rootless.c). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "ocispec.h"
#include "unit.h"
#include "userns.h"

static char *
write_tmp (const char *text)
{
  char *path = strdup ("/tmp/brig-unit-subid.XXXXXX");
  int fd = mkstemp (path);
  if (fd < 0 || write (fd, text, strlen (text)) != (ssize_t) strlen (text))
    abort ();
  close (fd);
  return path;
}

static struct oci_spec *
spec (const char *json)
{
  char *perr = NULL;
  struct oci_spec *s = oci_spec_parse (json, strlen (json), &perr);
  if (s == NULL)
    {
      printf ("# parse: %s\n", perr);
      abort ();
    }
  return s;
}

int
main (void)
{
  struct brig_subid_range *r = NULL;
  size_t n = 0;
  char *f = write_tmp ("# comment\n"
                       "alice:100000:65536\n"
                       "bob:165536:65536\n"
                       "1234:300000:10\n"
                       "alice:500000:100\n"
                       "broken line\n"
                       "carol:x:5\n"
                       "dave:1:0\n");

  CHECK (brig_subid_read (f, "alice", 999, &r, &n) == 0 && n == 2, "subid: both of alice's lines (%zu)", n);
  CHECK (n == 2 && r[0].start == 100000 && r[0].count == 65536 && r[1].start == 500000, "subid: alice's ranges");
  CHECK (brig_subid_total (r, n) == 65636, "subid: total of alice's ranges");
  free (r);
  CHECK (brig_subid_read (f, "nobody-here", 1234, &r, &n) == 0 && n == 1 && r[0].start == 300000,
         "subid: a line by uid number");
  free (r);
  CHECK (brig_subid_read (f, "carol", 5, &r, &n) == 0 && n == 0, "subid: a malformed line is skipped");
  free (r);
  CHECK (brig_subid_read (f, "dave", 6, &r, &n) == 0 && n == 0, "subid: a zero count is skipped");
  free (r);
  CHECK (brig_subid_read ("/nonexistent/subuid", "alice", 1, &r, &n) < 0, "subid: a missing file is an error");
  CHECK (brig_subid_suggest (f) == 524288 && brig_subid_suggest (f) % 65536 == 0,
         "subid: a suggested range starts after every listed one, on a 65536 boundary (%lu)", brig_subid_suggest (f));
  unlink (f);
  free (f);

  if (geteuid () == 0)
    {
      struct brig_error *err = NULL;
      struct oci_spec *s = spec ("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\","
                                 "\"args\":[\"sh\"],\"user\":{\"uid\":0,\"gid\":0}},\"linux\":{\"namespaces\":"
                                 "[{\"type\":\"mount\"}],\"uidMappings\":[{\"containerID\":0,\"hostID\":1,"
                                 "\"size\":1}]}}");
      CHECK (brig_userns_validate (s, &err) < 0 && err && strstr (err->msg, "need a user namespace"),
             "validate: mappings without a user namespace are refused (%s)", err ? err->msg : "");
      brig_error_free (&err);
      oci_spec_free (s);
      s = spec ("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"/\","
                "\"args\":[\"sh\"],\"user\":{\"uid\":0,\"gid\":0}},\"linux\":{\"namespaces\":"
                "[{\"type\":\"mount\"}]}}");
      CHECK (brig_userns_validate (s, &err) == 0, "validate: root needs no user namespace");
      oci_spec_free (s);
    }

  {
    size_t nc, i;
    const struct brig_check *c = brig_checks (&nc);
    bool named = true;
    for (i = 0; i < nc; i++)
      named = named && c[i].name && *c[i].name && c[i].title && c[i].run;
    CHECK (nc >= 14 && named, "check: %zu checks, each named and runnable", nc);
  }
  UNIT_END ();
}
