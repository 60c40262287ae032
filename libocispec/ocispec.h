/* libocispec: the config.json model.  The structs come from spec.def; one
 * generic, table-driven parser and printer serve every type.  The JSON
 * library (yajl) is used in ocispec.c only. */
#ifndef OCISPEC_H
#define OCISPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ocispec_strmap
{
  char **keys;
  char **values;
  size_t len;
};

struct ocispec_objmap
{
  char **keys;
  void **values; /* struct T * each */
  size_t len;
};

/* ---- generated structs ---- */
#define REQ 1
#define ENUM(name, ...)
#define OBJ(t) struct t {
#define END(t) };
#define STR(m, j, f) char *m;
#define ENUMSTR(m, j, f, e) char *m;
#define BOOL(m, j, f) bool m; bool has_##m;
#define I32(m, j, f) int32_t m; bool has_##m;
#define U32(m, j, f) uint32_t m; bool has_##m;
#define I64(m, j, f) int64_t m; bool has_##m;
#define U64(m, j, f) uint64_t m; bool has_##m;
#define STRARR(m, j, f) char **m; size_t m##_len;
#define U32ARR(m, j, f) uint32_t *m; size_t m##_len;
#define OBJPTR(m, j, f, t) struct t *m;
#define OBJARR(m, j, f, t) struct t **m; size_t m##_len;
#define STRMAP(m, j, f) struct ocispec_strmap m;
#define OBJMAP(m, j, f, t) struct ocispec_objmap m;
#include "spec.def"
#undef ENUM
#undef OBJ
#undef END
#undef STR
#undef ENUMSTR
#undef BOOL
#undef I32
#undef U32
#undef I64
#undef U64
#undef STRARR
#undef U32ARR
#undef OBJPTR
#undef OBJARR
#undef STRMAP
#undef OBJMAP
#undef REQ

/* ---- descriptors ---- */
enum ocispec_kind
{
  OCISPEC_STR,
  OCISPEC_BOOL,
  OCISPEC_I32,
  OCISPEC_U32,
  OCISPEC_I64,
  OCISPEC_U64,
  OCISPEC_STRARR,
  OCISPEC_U32ARR,
  OCISPEC_OBJPTR,
  OCISPEC_OBJARR,
  OCISPEC_STRMAP,
  OCISPEC_OBJMAP,
};

struct ocispec_type;

struct ocispec_field
{
  const char *json;
  enum ocispec_kind kind;
  size_t offset;
  size_t has_offset; /* scalars: offset of has_<m>; arrays: of <m>_len */
  bool required;
  const struct ocispec_type *type; /* OBJPTR, OBJARR, OBJMAP */
  const char *const *enum_values;  /* ENUMSTR */
};

struct ocispec_type
{
  const char *name;
  size_t size;
  const struct ocispec_field *(*fields) (void);
};

#define OBJ(t) extern const struct ocispec_type t##_type;
#define ENUM(name, ...)
#define END(t)
#define STR(m, j, f)
#define ENUMSTR(m, j, f, e)
#define BOOL(m, j, f)
#define I32(m, j, f)
#define U32(m, j, f)
#define I64(m, j, f)
#define U64(m, j, f)
#define STRARR(m, j, f)
#define U32ARR(m, j, f)
#define OBJPTR(m, j, f, t)
#define OBJARR(m, j, f, t)
#define STRMAP(m, j, f)
#define OBJMAP(m, j, f, t)
#include "spec.def"
#undef ENUM
#undef OBJ
#undef END
#undef STR
#undef ENUMSTR
#undef BOOL
#undef I32
#undef U32
#undef I64
#undef U64
#undef STRARR
#undef U32ARR
#undef OBJPTR
#undef OBJARR
#undef STRMAP
#undef OBJMAP

/* ---- API ----
 * Parse JSON text into a new object of TYPE.  On failure returns NULL and
 * sets *err to a malloc'd message naming the JSON path, e.g.
 * "process.args[1]: expected string, got number". */
void *ocispec_parse (const struct ocispec_type *type, const char *json, size_t len, char **err);
/* Print OBJ as JSON (pretty: 2-space indent as runc prints).  Absent
   optional fields are omitted.  Returns a malloc'd NUL-terminated string. */
char *ocispec_print (const struct ocispec_type *type, const void *obj, bool pretty, size_t *len);
/* Free OBJ and everything it owns. */
void ocispec_free (const struct ocispec_type *type, void *obj);

/* Typed helpers for the common cases. */
static inline struct oci_spec *
oci_spec_parse (const char *json, size_t len, char **err)
{
  return (struct oci_spec *) ocispec_parse (&oci_spec_type, json, len, err);
}
static inline void
oci_spec_free (struct oci_spec *s)
{
  ocispec_free (&oci_spec_type, s);
}

/* Map helpers: lookup returns NULL when absent; set replaces or appends
   (copies key and value). */
const char *ocispec_strmap_get (const struct ocispec_strmap *m, const char *key);
void ocispec_strmap_set (struct ocispec_strmap *m, const char *key, const char *value);
void ocispec_strmap_clear (struct ocispec_strmap *m);

#endif
