/* `brig check`: the prerequisites of rootless containers that the
 * rootless guides trip over, one table entry each (check.c).  Each check
 * says ok or what is wrong, and the command that fixes it. */
#ifndef BRIG_CHECK_H
#define BRIG_CHECK_H

#include <stdbool.h>
#include <sys/types.h>

/* Who the checks are for: the caller. */
struct brig_check_ctx
{
  uid_t uid;
  gid_t gid;
  char *user;            /* name, NULL if not in passwd */
  const char *xdg;       /* $XDG_RUNTIME_DIR */
  const char *path_env;  /* $PATH */
  char *run_user;        /* /run/user/UID */
  char *self_path;       /* this binary, for the AppArmor profile */
};

struct brig_check_result
{
  bool ok;
  char *detail;          /* what was found */
  char *fix;             /* the command that fixes it; NULL when ok */
};

struct brig_check
{
  const char *name;      /* stable id, e.g. "subuid" (JSON "name") */
  const char *title;     /* one line for humans */
  void (*run) (const struct brig_check_ctx *c, struct brig_check_result *r);
};

const struct brig_check *brig_checks (size_t *n);
void brig_check_ctx_init (struct brig_check_ctx *c);
void brig_check_ctx_clear (struct brig_check_ctx *c);
/* Run every check into RES (as many as brig_checks says); true if all hold. */
bool brig_checks_run (const struct brig_check_ctx *c, struct brig_check_result *res);

#endif
