/* The generic, table-driven parser, printer and destructor for every type
 * declared in spec.def.  This is the only file that knows the JSON
 * library: swapping yajl for another one touches nothing else. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "ocispec.h"

/* ---- descriptor tables, generated from spec.def ----
   Each type's table lives in a function so that a block-scope typedef
   S_T can name the struct for offsetof while spec.def stays free of
   per-type boilerplate. */
#define REQ 1
#define ENUM(name, ...) static const char *const name[] = { __VA_ARGS__, NULL };
#define OBJ(t)                                                                                     \
  static const struct ocispec_field *t##_fields (void)                                             \
  {                                                                                                \
    typedef struct t S_T;                                                                          \
    static const struct ocispec_field f[] = {
#define END(t)                                                                                     \
  { NULL, 0, 0, 0, false, NULL, NULL }                                                             \
  }                                                                                                \
  ;                                                                                                \
  return f;                                                                                        \
  }                                                                                                \
  const struct ocispec_type t##_type = { #t, sizeof (struct t), t##_fields };
#define SCALAR(kind, m, j, f)                                                                      \
  { j, kind, offsetof (S_T, m), offsetof (S_T, has_##m), (f) != 0, NULL, NULL },
#define STR(m, j, f) { j, OCISPEC_STR, offsetof (S_T, m), 0, (f) != 0, NULL, NULL },
#define ENUMSTR(m, j, f, e) { j, OCISPEC_STR, offsetof (S_T, m), 0, (f) != 0, NULL, e },
#define BOOL(m, j, f) SCALAR (OCISPEC_BOOL, m, j, f)
#define I32(m, j, f) SCALAR (OCISPEC_I32, m, j, f)
#define U32(m, j, f) SCALAR (OCISPEC_U32, m, j, f)
#define I64(m, j, f) SCALAR (OCISPEC_I64, m, j, f)
#define U64(m, j, f) SCALAR (OCISPEC_U64, m, j, f)
#define ARRAY(kind, m, j, f, t)                                                                    \
  { j, kind, offsetof (S_T, m), offsetof (S_T, m##_len), (f) != 0, t, NULL },
#define STRARR(m, j, f) ARRAY (OCISPEC_STRARR, m, j, f, NULL)
#define U32ARR(m, j, f) ARRAY (OCISPEC_U32ARR, m, j, f, NULL)
#define OBJARR(m, j, f, t) ARRAY (OCISPEC_OBJARR, m, j, f, &t##_type)
#define OBJPTR(m, j, f, t) { j, OCISPEC_OBJPTR, offsetof (S_T, m), 0, (f) != 0, &t##_type, NULL },
#define STRMAP(m, j, f) { j, OCISPEC_STRMAP, offsetof (S_T, m), 0, (f) != 0, NULL, NULL },
#define OBJMAP(m, j, f, t) { j, OCISPEC_OBJMAP, offsetof (S_T, m), 0, (f) != 0, &t##_type, NULL },
#include "spec.def"

/* ---- error helpers ---- */
struct perr
{
  char **err;
};

static void *
perr_set (char **err, const char *path, const char *fmt, ...)
{
  va_list ap;
  char *msg = NULL, *full = NULL;

  if (err == NULL || *err != NULL)
    return NULL;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (path && *path)
    {
      if (asprintf (&full, "%s: %s", path, msg ? msg : "error") < 0)
        full = NULL;
      free (msg);
    }
  else
    full = msg;
  *err = full ? full : strdup ("out of memory");
  return NULL;
}

static const char *
json_type_name (yajl_val v)
{
  if (v == NULL || YAJL_IS_NULL (v))
    return "null";
  if (YAJL_IS_STRING (v))
    return "string";
  if (YAJL_IS_NUMBER (v))
    return "number";
  if (YAJL_IS_OBJECT (v))
    return "object";
  if (YAJL_IS_ARRAY (v))
    return "array";
  if (YAJL_IS_TRUE (v) || YAJL_IS_FALSE (v))
    return "boolean";
  return "unknown";
}

static char *
path_join (const char *base, const char *key)
{
  char *r = NULL;
  if (base == NULL || *base == '\0')
    return strdup (key);
  if (asprintf (&r, "%s.%s", base, key) < 0)
    return NULL;
  return r;
}

static char *
path_index (const char *base, size_t i)
{
  char *r = NULL;
  if (asprintf (&r, "%s[%zu]", base ? base : "", i) < 0)
    return NULL;
  return r;
}

static char *
path_key (const char *base, const char *key)
{
  char *r = NULL;
  if (asprintf (&r, "%s[\"%s\"]", base ? base : "", key) < 0)
    return NULL;
  return r;
}

/* ---- scalar parsing ---- */
static int
parse_number (yajl_val v, enum ocispec_kind kind, void *dst, const char *path, char **err)
{
  const char *s;
  char *end;

  if (! YAJL_IS_NUMBER (v))
    {
      perr_set (err, path, "expected number, got %s", json_type_name (v));
      return -1;
    }
  s = v->u.number.r;
  errno = 0;
  if (kind == OCISPEC_U32 || kind == OCISPEC_U64)
    {
      unsigned long long u;
      if (*s == '-')
        {
          perr_set (err, path, "expected a non-negative integer, got %s", s);
          return -1;
        }
      u = strtoull (s, &end, 10);
      if (errno == ERANGE && ! *end)
        {
          perr_set (err, path, "value %s out of range", s);
          return -1;
        }
      if (errno || *end || end == s)
        {
          perr_set (err, path, "expected an integer, got %s", s);
          return -1;
        }
      if (kind == OCISPEC_U32)
        {
          if (u > UINT32_MAX)
            {
              perr_set (err, path, "value %s out of range", s);
              return -1;
            }
          *(uint32_t *) dst = (uint32_t) u;
        }
      else
        *(uint64_t *) dst = (uint64_t) u;
    }
  else
    {
      long long l = strtoll (s, &end, 10);
      if (errno == ERANGE && ! *end)
        {
          perr_set (err, path, "value %s out of range", s);
          return -1;
        }
      if (errno || *end || end == s)
        {
          perr_set (err, path, "expected an integer, got %s", s);
          return -1;
        }
      if (kind == OCISPEC_I32)
        {
          if (l < INT32_MIN || l > INT32_MAX)
            {
              perr_set (err, path, "value %s out of range", s);
              return -1;
            }
          *(int32_t *) dst = (int32_t) l;
        }
      else
        *(int64_t *) dst = (int64_t) l;
    }
  return 0;
}

static int
parse_string (yajl_val v, char **dst, const char *const *enum_values, const char *path, char **err)
{
  if (! YAJL_IS_STRING (v))
    {
      perr_set (err, path, "expected string, got %s", json_type_name (v));
      return -1;
    }
  if (enum_values)
    {
      const char *const *e;
      for (e = enum_values; *e; e++)
        if (strcmp (*e, v->u.string) == 0)
          break;
      if (*e == NULL)
        {
          perr_set (err, path, "unknown value `%s`", v->u.string);
          return -1;
        }
    }
  *dst = strdup (v->u.string);
  return *dst ? 0 : -1;
}

static void *parse_object (const struct ocispec_type *t, yajl_val v, const char *path, char **err);

static int
parse_field (const struct ocispec_field *f, yajl_val v, char *base, const char *path, char **err)
{
  void *dst = base + f->offset;
  size_t i, n;

  switch (f->kind)
    {
    case OCISPEC_STR:
      return parse_string (v, (char **) dst, f->enum_values, path, err);

    case OCISPEC_BOOL:
      if (! YAJL_IS_TRUE (v) && ! YAJL_IS_FALSE (v))
        {
          perr_set (err, path, "expected boolean, got %s", json_type_name (v));
          return -1;
        }
      *(bool *) dst = YAJL_IS_TRUE (v);
      *(bool *) (base + f->has_offset) = true;
      return 0;

    case OCISPEC_I32:
    case OCISPEC_U32:
    case OCISPEC_I64:
    case OCISPEC_U64:
      if (parse_number (v, f->kind, dst, path, err) < 0)
        return -1;
      *(bool *) (base + f->has_offset) = true;
      return 0;

    case OCISPEC_STRARR:
    case OCISPEC_U32ARR:
    case OCISPEC_OBJARR:
      {
        size_t elem = f->kind == OCISPEC_U32ARR ? sizeof (uint32_t) : sizeof (void *);
        char *arr;
        if (! YAJL_IS_ARRAY (v))
          {
            perr_set (err, path, "expected array, got %s", json_type_name (v));
            return -1;
          }
        n = v->u.array.len;
        /* one extra slot: string arrays are also NULL terminated */
        arr = calloc (n + 1, elem);
        if (arr == NULL)
          return -1;
        *(void **) dst = arr;
        *(size_t *) (base + f->has_offset) = 0;
        for (i = 0; i < n; i++)
          {
            char *p = path_index (path, i);
            yajl_val item = v->u.array.values[i];
            int r = 0;
            if (f->kind == OCISPEC_STRARR)
              r = parse_string (item, (char **) (arr + i * elem), NULL, p, err);
            else if (f->kind == OCISPEC_U32ARR)
              r = parse_number (item, OCISPEC_U32, arr + i * elem, p, err);
            else
              {
                void *o = parse_object (f->type, item, p, err);
                if (o == NULL)
                  r = -1;
                ((void **) arr)[i] = o;
              }
            free (p);
            if (r < 0)
              return -1;
            *(size_t *) (base + f->has_offset) = i + 1;
          }
        return 0;
      }

    case OCISPEC_OBJPTR:
      {
        void *o = parse_object (f->type, v, path, err);
        if (o == NULL)
          return -1;
        *(void **) dst = o;
        return 0;
      }

    case OCISPEC_STRMAP:
    case OCISPEC_OBJMAP:
      {
        struct ocispec_strmap *m = dst; /* same layout as objmap */
        if (! YAJL_IS_OBJECT (v))
          {
            perr_set (err, path, "expected object, got %s", json_type_name (v));
            return -1;
          }
        n = v->u.object.len;
        m->keys = calloc (n + 1, sizeof (char *));
        m->values = calloc (n + 1, sizeof (char *));
        if (m->keys == NULL || m->values == NULL)
          return -1;
        for (i = 0; i < n; i++)
          {
            char *p = path_key (path, v->u.object.keys[i]);
            yajl_val item = v->u.object.values[i];
            int r;
            if (f->kind == OCISPEC_STRMAP)
              r = parse_string (item, &m->values[i], NULL, p, err);
            else
              {
                void *o = parse_object (f->type, item, p, err);
                r = o ? 0 : -1;
                m->values[i] = o;
              }
            free (p);
            if (r < 0)
              return -1;
            m->keys[i] = strdup (v->u.object.keys[i]);
            m->len = i + 1;
          }
        return 0;
      }
    }
  return -1;
}

static void *
parse_object (const struct ocispec_type *t, yajl_val v, const char *path, char **err)
{
  const struct ocispec_field *f;
  char *obj;

  if (! YAJL_IS_OBJECT (v))
    return perr_set (err, path, "expected object, got %s", json_type_name (v));

  obj = calloc (1, t->size);
  if (obj == NULL)
    return perr_set (err, path, "out of memory");

  for (f = t->fields (); f->json; f++)
    {
      yajl_val fv = NULL;
      size_t i;
      char *p;
      int r;

      for (i = 0; i < v->u.object.len; i++)
        if (strcmp (v->u.object.keys[i], f->json) == 0)
          {
            fv = v->u.object.values[i];
            break;
          }
      p = path_join (path, f->json);
      if (fv == NULL || YAJL_IS_NULL (fv))
        {
          r = 0;
          if (f->required)
            {
              perr_set (err, p, "missing required field");
              r = -1;
            }
        }
      else
        r = parse_field (f, fv, obj, p, err);
      free (p);
      if (r < 0)
        {
          ocispec_free (t, obj);
          return NULL;
        }
    }
  return obj;
}

/* yajl builds and frees its tree recursively: a few MB of "[[[[" blew
   the stack (bad-input table: deeply nested JSON).  No OCI document
   nests more than a dozen levels; refuse what is deeper than this. */
#define OCISPEC_MAX_DEPTH 512
#define OCISPEC_MAX_DEPTH_S "512"

/* The same scan refuses "\u0000" in a string: the C strings the model
   keeps would end there, so a key "ociVersion\u0000x" would be read as
   "ociVersion" (and a value as its prefix). */
static const char *
bad_text (const char *s, size_t len)
{
  size_t i;
  int depth = 0;
  bool in_string = false;

  for (i = 0; i < len; i++)
    {
      char c = s[i];
      if (in_string)
        {
          if (c == '\\')
            {
              if (i + 5 < len && memcmp (s + i + 1, "u0000", 5) == 0)
                return "\\u0000 (NUL) in a string";
              i++;
            }
          else if (c == '"')
            in_string = false;
        }
      else if (c == '"')
        in_string = true;
      else if (c == '[' || c == '{')
        {
          if (++depth > OCISPEC_MAX_DEPTH)
            return "nested deeper than " OCISPEC_MAX_DEPTH_S " levels";
        }
      else if (c == ']' || c == '}')
        depth--;
    }
  return NULL;
}

void *
ocispec_parse (const struct ocispec_type *type, const char *json, size_t len, char **err)
{
  char errbuf[256] = "";
  char *copy;
  yajl_val tree;
  void *r;

  /* yajl_tree_parse wants a NUL-terminated buffer */
  copy = malloc (len + 1);
  if (copy == NULL)
    return perr_set (err, NULL, "out of memory");
  memcpy (copy, json, len);
  copy[len] = '\0';
  if (strlen (copy) != len)
    {
      free (copy);
      return perr_set (err, NULL, "invalid JSON: NUL byte in input");
    }
  {
    const char *why = bad_text (copy, len);
    if (why)
      {
        free (copy);
        return perr_set (err, NULL, "invalid JSON: %s", why);
      }
  }
  tree = yajl_tree_parse (copy, errbuf, sizeof (errbuf));
  free (copy);
  if (tree == NULL)
    {
      /* yajl's message spans lines; keep the first, errors are one line */
      errbuf[strcspn (errbuf, "\n")] = '\0';
      return perr_set (err, NULL, "invalid JSON: %s", errbuf[0] ? errbuf : "parse error");
    }
  r = parse_object (type, tree, "", err);
  yajl_tree_free (tree);
  return r;
}

/* ---- printer ---- */
static void gen_object (yajl_gen g, const struct ocispec_type *t, const void *obj);

static void
gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static bool
field_present (const struct ocispec_field *f, const char *base)
{
  const void *p = base + f->offset;
  switch (f->kind)
    {
    case OCISPEC_STR:
    case OCISPEC_OBJPTR:
    case OCISPEC_STRARR:
    case OCISPEC_U32ARR:
    case OCISPEC_OBJARR:
      return *(void *const *) p != NULL;
    case OCISPEC_STRMAP:
    case OCISPEC_OBJMAP:
      return ((const struct ocispec_strmap *) p)->len > 0;
    default:
      return *(const bool *) (base + f->has_offset);
    }
}

static void
gen_field (yajl_gen g, const struct ocispec_field *f, const char *base)
{
  const void *p = base + f->offset;
  size_t i, n;

  switch (f->kind)
    {
    case OCISPEC_STR:
      gen_str (g, *(char *const *) p);
      break;
    case OCISPEC_BOOL:
      yajl_gen_bool (g, *(const bool *) p);
      break;
    case OCISPEC_I32:
      yajl_gen_integer (g, *(const int32_t *) p);
      break;
    case OCISPEC_U32:
      yajl_gen_integer (g, *(const uint32_t *) p);
      break;
    case OCISPEC_I64:
      yajl_gen_integer (g, *(const int64_t *) p);
      break;
    case OCISPEC_U64:
      {
        char buf[32];
        int l = snprintf (buf, sizeof (buf), "%" PRIu64, *(const uint64_t *) p);
        yajl_gen_number (g, buf, l);
        break;
      }
    case OCISPEC_STRARR:
    case OCISPEC_U32ARR:
    case OCISPEC_OBJARR:
      n = *(const size_t *) (base + f->has_offset);
      yajl_gen_array_open (g);
      for (i = 0; i < n; i++)
        {
          if (f->kind == OCISPEC_STRARR)
            gen_str (g, (*(char **const *) p)[i]);
          else if (f->kind == OCISPEC_U32ARR)
            yajl_gen_integer (g, (*(uint32_t *const *) p)[i]);
          else
            gen_object (g, f->type, (*(void **const *) p)[i]);
        }
      yajl_gen_array_close (g);
      break;
    case OCISPEC_OBJPTR:
      gen_object (g, f->type, *(void *const *) p);
      break;
    case OCISPEC_STRMAP:
    case OCISPEC_OBJMAP:
      {
        const struct ocispec_strmap *m = p;
        yajl_gen_map_open (g);
        for (i = 0; i < m->len; i++)
          {
            gen_str (g, m->keys[i]);
            if (f->kind == OCISPEC_STRMAP)
              gen_str (g, m->values[i]);
            else
              gen_object (g, f->type, ((const struct ocispec_objmap *) p)->values[i]);
          }
        yajl_gen_map_close (g);
        break;
      }
    }
}

static void
gen_object (yajl_gen g, const struct ocispec_type *t, const void *obj)
{
  const struct ocispec_field *f;
  yajl_gen_map_open (g);
  for (f = t->fields (); f->json; f++)
    {
      if (! field_present (f, obj))
        continue;
      gen_str (g, f->json);
      gen_field (g, f, obj);
    }
  yajl_gen_map_close (g);
}

char *
ocispec_print (const struct ocispec_type *type, const void *obj, bool pretty, size_t *len)
{
  const unsigned char *buf;
  size_t l;
  char *r;
  yajl_gen g = yajl_gen_alloc (NULL);

  if (g == NULL)
    return NULL;
  yajl_gen_config (g, yajl_gen_beautify, pretty ? 1 : 0);
  yajl_gen_config (g, yajl_gen_indent_string, "  ");
  yajl_gen_config (g, yajl_gen_validate_utf8, 0);
  gen_object (g, type, obj);
  yajl_gen_get_buf (g, &buf, &l);
  r = malloc (l + 1);
  if (r)
    {
      memcpy (r, buf, l);
      r[l] = '\0';
      if (len)
        *len = l;
    }
  yajl_gen_free (g);
  return r;
}

/* ---- destructor ---- */
void
ocispec_free (const struct ocispec_type *t, void *obj)
{
  const struct ocispec_field *f;
  char *base = obj;
  size_t i;

  if (obj == NULL)
    return;
  for (f = t->fields (); f->json; f++)
    {
      void *p = base + f->offset;
      switch (f->kind)
        {
        case OCISPEC_STR:
          free (*(char **) p);
          break;
        case OCISPEC_STRARR:
        case OCISPEC_OBJARR:
          {
            void **arr = *(void ***) p;
            size_t n = *(size_t *) (base + f->has_offset);
            for (i = 0; arr && i < n; i++)
              {
                if (f->kind == OCISPEC_STRARR)
                  free (arr[i]);
                else
                  ocispec_free (f->type, arr[i]);
              }
            free (arr);
            break;
          }
        case OCISPEC_U32ARR:
          free (*(void **) p);
          break;
        case OCISPEC_OBJPTR:
          ocispec_free (f->type, *(void **) p);
          break;
        case OCISPEC_STRMAP:
        case OCISPEC_OBJMAP:
          {
            struct ocispec_strmap *m = p;
            for (i = 0; i < m->len; i++)
              {
                free (m->keys[i]);
                if (f->kind == OCISPEC_STRMAP)
                  free (m->values[i]);
                else
                  ocispec_free (f->type, ((struct ocispec_objmap *) p)->values[i]);
              }
            /* a map that failed half way may have a value without a key */
            if (m->keys && m->values && m->values[m->len])
              {
                if (f->kind == OCISPEC_STRMAP)
                  free (m->values[m->len]);
                else
                  ocispec_free (f->type, ((struct ocispec_objmap *) p)->values[m->len]);
              }
            free (m->keys);
            free (m->values);
            break;
          }
        default:
          break;
        }
    }
  free (obj);
}

/* ---- map helpers ---- */
const char *
ocispec_strmap_get (const struct ocispec_strmap *m, const char *key)
{
  size_t i;
  for (i = 0; i < m->len; i++)
    if (strcmp (m->keys[i], key) == 0)
      return m->values[i];
  return NULL;
}

void
ocispec_strmap_set (struct ocispec_strmap *m, const char *key, const char *value)
{
  size_t i;
  for (i = 0; i < m->len; i++)
    if (strcmp (m->keys[i], key) == 0)
      {
        free (m->values[i]);
        m->values[i] = strdup (value);
        return;
      }
  m->keys = realloc (m->keys, (m->len + 2) * sizeof (char *));
  m->values = realloc (m->values, (m->len + 2) * sizeof (char *));
  if (m->keys == NULL || m->values == NULL)
    abort ();
  m->keys[m->len] = strdup (key);
  m->values[m->len] = strdup (value);
  m->len++;
  m->keys[m->len] = NULL;
  m->values[m->len] = NULL;
}

void
ocispec_strmap_clear (struct ocispec_strmap *m)
{
  size_t i;
  for (i = 0; i < m->len; i++)
    {
      free (m->keys[i]);
      free (m->values[i]);
    }
  free (m->keys);
  free (m->values);
  m->keys = NULL;
  m->values = NULL;
  m->len = 0;
}
