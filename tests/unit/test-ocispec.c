/* The config model: good configs round-trip, bad ones give an error that
   names the JSON path. */
#include <stdlib.h>

#include "ocispec.h"
#include "unit.h"

static char *
parse_err (const char *json)
{
  char *err = NULL;
  struct oci_spec *s = oci_spec_parse (json, strlen (json), &err);
  if (s)
    {
      oci_spec_free (s);
      return NULL;
    }
  return err;
}

static void
expect_err (const char *json, const char *want)
{
  char *e = parse_err (json);
  CHECK (e && strstr (e, want), "bad config gives `%s` (got `%s`)", want, e ? e : "no error");
  free (e);
}

int
main (void)
{
  const char *good
      = "{\"ociVersion\":\"1.2.0\",\"process\":{\"user\":{\"uid\":1,\"gid\":2,\"additionalGids\":[5,6]},"
        "\"args\":[\"sh\",\"-c\",\"x\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":18446744073709551615,\"soft\":3}],"
        "\"unknownField\":{\"deep\":[1,2]}},"
        "\"root\":{\"path\":\"rootfs\"},\"annotations\":{\"a\":\"b\",\"c\":\"d\"},"
        "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\",\"path\":\"/run/netns/x\"}],"
        "\"timeOffsets\":{\"monotonic\":{\"secs\":-5,\"nanosecs\":7}},"
        "\"resources\":{\"memory\":{\"limit\":-1},\"unified\":{\"memory.high\":\"max\"}},"
        "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
        "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}}}";
  char *err = NULL, *out, *out2;
  struct oci_spec *s = oci_spec_parse (good, strlen (good), &err), *s2;

  CHECK (s != NULL, "a good config parses (%s)", err ? err : "");
  if (s == NULL)
    return 1;
  CHECK (s->process->user->uid == 1 && s->process->user->gid == 2, "user ids");
  CHECK (s->process->user->additional_gids_len == 2 && s->process->user->additional_gids[1] == 6,
         "additionalGids");
  CHECK (s->process->args_len == 3 && strcmp (s->process->args[2], "x") == 0 && s->process->args[3] == NULL,
         "args, NULL terminated");
  CHECK (s->process->rlimits[0]->hard == UINT64_MAX, "uint64 max survives");
  CHECK (s->linux_->namespaces_len == 2 && strcmp (s->linux_->namespaces[1]->path, "/run/netns/x") == 0,
         "namespaces with path");
  CHECK (s->linux_->time_offsets.len == 1 && ((struct oci_time_offset *) s->linux_->time_offsets.values[0])->secs == -5,
         "timeOffsets map of objects");
  CHECK (s->linux_->resources->memory->has_limit && s->linux_->resources->memory->limit == -1, "memory.limit -1");
  CHECK (! s->linux_->resources->memory->has_swap, "absent fields are not set");
  CHECK (strcmp (ocispec_strmap_get (&s->annotations, "c"), "d") == 0, "annotations");
  CHECK (s->linux_->seccomp->syscalls[0]->args[0]->value == 1, "seccomp args");

  out = ocispec_print (&oci_spec_type, s, true, NULL);
  s2 = oci_spec_parse (out, strlen (out), &err);
  out2 = s2 ? ocispec_print (&oci_spec_type, s2, true, NULL) : NULL;
  CHECK (out2 && strcmp (out, out2) == 0, "print -> parse -> print is stable");
  CHECK (strstr (out, "unknownField") == NULL, "unknown fields are ignored");
  free (out);
  free (out2);
  oci_spec_free (s2);
  oci_spec_free (s);

  expect_err ("{\"ociVersion\":\"1.0\",\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/\",\"args\":[\"a\",3]}}",
              "process.args[1]: expected string, got number");
  expect_err ("{\"process\":{}}", "ociVersion: missing required field");
  expect_err ("{\"ociVersion\":\"1.0\",\"root\":\"x\"}", "root: expected object, got string");
  expect_err ("{\"ociVersion\":\"1.0\",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"foo\"}]}}",
              "linux.namespaces[1].type: unknown value `foo`");
  expect_err ("{\"ociVersion\":\"1.0\",\"process\":{\"user\":{\"uid\":-1,\"gid\":0},\"cwd\":\"/\"}}",
              "process.user.uid: expected a non-negative integer");
  expect_err ("{\"ociVersion\":\"1.0\",\"process\":{\"user\":{\"uid\":4294967296,\"gid\":0},\"cwd\":\"/\"}}",
              "process.user.uid: value 4294967296 out of range");
  expect_err ("{\"ociVersion\":\"1.0\",\"process\":{\"user\":{\"uid\":1.5,\"gid\":0},\"cwd\":\"/\"}}",
              "process.user.uid: expected an integer");
  expect_err ("{\"ociVersion\":\"1.0\",\"process\":{\"terminal\":\"yes\"}}", "process.terminal: expected boolean");
  expect_err ("{\"ociVersion\":\"1.0\",\"annotations\":{\"a\":1}}", "annotations[\"a\"]: expected string");
  expect_err ("{\"ociVersion\":", "invalid JSON");
  expect_err ("[1,2]", "expected object, got array");
  expect_err ("{\"ociVersion\":\"1.0\",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOPE\"}}}",
              "linux.seccomp.defaultAction: unknown value `SCMP_ACT_NOPE`");
  {
    /* the state record round-trips, with null treated as absent */
    const char *st = "{\"id\":\"x\",\"status\":\"created\",\"pid\":42,\"pidStart\":123,\"bundle\":null}";
    struct brig_state *b = ocispec_parse (&brig_state_type, st, strlen (st), &err);
    CHECK (b && b->pid == 42 && b->pid_start == 123 && b->bundle == NULL, "state record, null is absent");
    ocispec_free (&brig_state_type, b);
  }
  UNIT_END ();
}
