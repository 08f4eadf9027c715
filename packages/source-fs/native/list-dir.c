// listDir(dir[, minTimeMs, maxTimeMs]): one directory read with readdir(3) and its non-directory entries
// lstat()ed with fstatat() relative to the directory, in the layout of dir-job.ts (DirJobResult): names
// joined by NUL, a type byte per entry, ST_STRIDE numbers per stat()ed entry. Returns null when
// anything is unusual (the caller redoes the directory on the ordinary path, which reports the problem).
// Given the wire's time window, it also packs the listing's rows (see pack_rows below).
//
// Why native: a directory job in JavaScript pays a Dirent object per entry, a full path string per
// lstat, and the kernel's lookup of every component of that path; fstatat looks up one name.

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <stdint.h>
#include <node_api.h>

// Keep in step with dir-job.ts.
enum { K_DIR = 0, K_STAT = 1, K_VANISHED = 9 };
enum { ST_STRIDE = 6, ST_SIZE = 0, ST_MTIME = 1, ST_CTIME = 2, ST_UID = 3, ST_GID = 4, ST_MODE = 5 };

typedef struct {
  char *names;
  size_t names_len, names_cap;
  unsigned char *types;
  double *st;
  size_t n, cap;
} listing_t;

typedef struct {
  size_t off;
  unsigned char d_type;
} raw_entry_t;

// Node's readdir (libuv's scandir) sorts names with strcmp: the same order, so the two jobs agree.
// qsort_r, not a static base pointer: the stat worker and the main thread list directories at once.
static int by_name(const void *a, const void *b, void *base) {
  return strcmp((const char *)base + ((const raw_entry_t *)a)->off, (const char *)base + ((const raw_entry_t *)b)->off);
}

static void listing_free(listing_t *l) {
  free(l->names);
  free(l->types);
  free(l->st);
}

static int grow(void **p, size_t *cap, size_t need, size_t unit, size_t first) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : first;
  while (c < need) c *= 2;
  void *q = realloc(*p, c * unit);
  if (!q) return -1;
  *p = q;
  *cap = c;
  return 0;
}

// 0: listed; -1: redo on the ordinary path.
static int list_dir(const char *path, listing_t *l) {
  DIR *d = opendir(path);
  if (!d) return -1;
  int dfd = dirfd(d);
  // First the names (NUL-terminated, one buffer) and their d_type, then sorted, then stat()ed.
  char *raw = NULL;
  size_t raw_len = 0, raw_cap = 0;
  raw_entry_t *ents = NULL;
  size_t n = 0, ents_cap = 0;
  int rc = 0;
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(d);
    if (!e) {
      if (errno) rc = -1;
      break;
    }
    const char *name = e->d_name;
    if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
    size_t len = strlen(name);
    if (grow((void **)&raw, &raw_cap, raw_len + len + 1, 1, 4096) || grow((void **)&ents, &ents_cap, n + 1, sizeof(raw_entry_t), 64)) {
      rc = -1;
      break;
    }
    memcpy(raw + raw_len, name, len + 1);
    ents[n].off = raw_len;
    ents[n].d_type = e->d_type;
    raw_len += len + 1;
    n++;
  }
  if (rc == 0 && n > 0) {
    qsort_r(ents, n, sizeof(raw_entry_t), by_name, raw);
    l->names = malloc(raw_len);
    l->types = malloc(n);
    l->st = calloc(n * ST_STRIDE, sizeof(double));
    if (!l->names || !l->types || !l->st) rc = -1;
  }
  for (size_t i = 0; rc == 0 && i < n; i++) {
    const char *name = raw + ents[i].off;
    size_t len = strlen(name);
    if (i > 0) l->names[l->names_len++] = '\0';
    memcpy(l->names + l->names_len, name, len);
    l->names_len += len;
    l->n = i + 1;
    if (ents[i].d_type == DT_DIR) {
      l->types[i] = K_DIR;
      continue;
    }
    struct stat s;
    if (fstatat(dfd, name, &s, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) {
        l->types[i] = K_VANISHED;
        continue;
      }
      rc = -1;
      break;
    }
    double *o = l->st + i * ST_STRIDE;
    o[ST_SIZE] = (double)s.st_size;
    // The same double arithmetic as dir-job.ts: seconds * 1e3 + nanoseconds / 1e6.
    o[ST_MTIME] = (double)s.st_mtim.tv_sec * 1e3 + (double)s.st_mtim.tv_nsec / 1e6;
    o[ST_CTIME] = (double)s.st_ctim.tv_sec * 1e3 + (double)s.st_ctim.tv_nsec / 1e6;
    o[ST_UID] = (double)s.st_uid;
    o[ST_GID] = (double)s.st_gid;
    o[ST_MODE] = (double)s.st_mode;
    l->types[i] = K_STAT;
  }
  free(raw);
  free(ents);
  closedir(d);
  return rc;
}

// ---- packed rows ------------------------------------------------------------------------------
//
// The rows protocol/listings.ts puts after a listing's head, already MessagePack-encoded: per file
// (every lstat()ed entry that is not a directory, in listing order) name, kind code, size, mtime_ms,
// uid, gid, permission bits, ctime_ms. The agent then sends them as they are instead of building
// eight array slots per file and packing them again (docs/source-fs.md, "Packed rows"). Not packed
// (rows_ok false: the walker's per-entry path decides) when an entry vanished, a time lies outside
// the wire's window (the agent clamps those), or the listing has many owners.

enum { MAX_OWNERS = 16 };

typedef struct {
  unsigned char *b;
  size_t len, cap;
  size_t count;
  bool ok;
  uint32_t owners[MAX_OWNERS * 2];
  size_t n_owners;
} rows_t;

static bool put(rows_t *r, const void *p, size_t n) {
  if (grow((void **)&r->b, &r->cap, r->len + n, 1, 4096)) return false;
  memcpy(r->b + r->len, p, n);
  r->len += n;
  return true;
}

static bool put_be(rows_t *r, unsigned char tag, uint64_t v, int bytes) {
  unsigned char t[9];
  t[0] = tag;
  for (int i = 0; i < bytes; i++) t[1 + i] = (unsigned char)(v >> (8 * (bytes - 1 - i)));
  return put(r, t, 1 + bytes);
}

static bool put_f64(rows_t *r, double d) {
  uint64_t v;
  memcpy(&v, &d, 8);
  return put_be(r, 0xcb, v, 8);
}

// Unsigned integers as msgpackr writes them (fixint, uint8/16/32), larger ones as a float64, which
// msgpackr also decodes to the same JavaScript number.
static bool put_uint(rows_t *r, uint64_t v) {
  if (v < 128) {
    unsigned char c = (unsigned char)v;
    return put(r, &c, 1);
  }
  if (v < 0x100) return put_be(r, 0xcc, v, 1);
  if (v < 0x10000) return put_be(r, 0xcd, v, 2);
  if (v <= 0xffffffffu) return put_be(r, 0xce, v, 4);
  return put_f64(r, (double)v);
}

static bool put_str(rows_t *r, const char *s, size_t n) {
  bool ok = n < 32 ? put_be(r, (unsigned char)(0xa0 | n), 0, 0)
          : n < 0x100 ? put_be(r, 0xd9, n, 1)
          : n < 0x10000 ? put_be(r, 0xda, n, 2)
          : put_be(r, 0xdb, n, 4);
  return ok && put(r, s, n);
}

// Kind codes: the index in NODE_KINDS (protocol/schemas.ts), as meta.ts kindOfMode maps st_mode.
static unsigned kind_code(mode_t m) {
  switch (m & S_IFMT) {
    case S_IFREG: return 0;
    case S_IFDIR: return 1;
    case S_IFLNK: return 2;
    case S_IFIFO: return 3;
    case S_IFSOCK: return 4;
    default: return 5;
  }
}

static void pack_rows(const listing_t *l, double min_ms, double max_ms, rows_t *r) {
  r->ok = true;
  const char *name = l->names;
  for (size_t i = 0; i < l->n && r->ok; i++) {
    // Names are NUL-separated; the last one ends at names_len (no NUL after it).
    size_t len = i + 1 == l->n ? (size_t)(l->names + l->names_len - name) : strlen(name);
    const char *next = name + len + 1;
    unsigned char t = l->types[i];
    if (t == K_VANISHED) {
      r->ok = false;
      break;
    }
    const double *o = l->st + i * ST_STRIDE;
    mode_t mode = (mode_t)o[ST_MODE];
    if (t == K_DIR || (mode & S_IFMT) == S_IFDIR) {
      name = next;
      continue;
    }
    double m = o[ST_MTIME], c = o[ST_CTIME];
    if (!(m >= min_ms && m <= max_ms) || !(c >= min_ms && c <= max_ms) || !(o[ST_SIZE] >= 0)) {
      r->ok = false;
      break;
    }
    uint32_t uid = (uint32_t)o[ST_UID], gid = (uint32_t)o[ST_GID];
    size_t k = 0;
    while (k < r->n_owners && !(r->owners[2 * k] == uid && r->owners[2 * k + 1] == gid)) k++;
    if (k == r->n_owners) {
      if (k == MAX_OWNERS) {
        r->ok = false;
        break;
      }
      r->owners[2 * k] = uid;
      r->owners[2 * k + 1] = gid;
      r->n_owners++;
    }
    r->ok = put_str(r, name, len) && put_uint(r, kind_code(mode)) && put_uint(r, (uint64_t)o[ST_SIZE]) && put_f64(r, m) &&
            put_uint(r, uid) && put_uint(r, gid) && put_uint(r, mode & 07777) && put_f64(r, c);
    r->count++;
    name = next;
  }
}

static napi_value js_null(napi_env env) {
  napi_value v = NULL;
  napi_get_null(env, &v);
  return v;
}

// Every N-API call is checked: a listing too large for one JavaScript string (V8's limit is ~2^29
// characters) or an allocation that fails answers null (a redo on the ordinary path), never a crash.
static napi_value list_dir_js(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return js_null(env);
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok) {
    napi_throw_type_error(env, NULL, "listDir: the directory must be a string");
    return NULL;
  }
  char *path = malloc(len + 1);
  if (!path) return js_null(env);
  if (napi_get_value_string_utf8(env, argv[0], path, len + 1, &len) != napi_ok) {
    free(path);
    return js_null(env);
  }
  double min_ms = 0, max_ms = 0;
  bool pack = argc >= 3 && napi_get_value_double(env, argv[1], &min_ms) == napi_ok && napi_get_value_double(env, argv[2], &max_ms) == napi_ok;
  listing_t l = {0};
  int rc = strlen(path) == len ? list_dir(path, &l) : -1; // a NUL inside the string: not a path
  free(path);
  rows_t rows = {0};
  if (rc == 0 && pack) pack_rows(&l, min_ms, max_ms, &rows);
  napi_value result = NULL, names = NULL, types_ab = NULL, types = NULL, st_ab = NULL, st = NULL;
  void *tdata = NULL, *sdata = NULL;
  if (rc == 0 && l.names_len > (size_t)0x1fffffe8) rc = -1;
  if (rc == 0) {
    size_t st_bytes = l.n * ST_STRIDE * sizeof(double);
    int ok = napi_create_string_utf8(env, l.names ? l.names : "", l.names_len, &names) == napi_ok &&
             napi_create_arraybuffer(env, l.n, &tdata, &types_ab) == napi_ok &&
             napi_create_typedarray(env, napi_uint8_array, l.n, types_ab, 0, &types) == napi_ok &&
             napi_create_arraybuffer(env, st_bytes, &sdata, &st_ab) == napi_ok &&
             napi_create_typedarray(env, napi_float64_array, l.n * ST_STRIDE, st_ab, 0, &st) == napi_ok &&
             napi_create_object(env, &result) == napi_ok &&
             napi_set_named_property(env, result, "names", names) == napi_ok &&
             napi_set_named_property(env, result, "types", types) == napi_ok &&
             napi_set_named_property(env, result, "st", st) == napi_ok;
    if (ok && l.n) {
      memcpy(tdata, l.types, l.n);
      memcpy(sdata, l.st, st_bytes);
    }
    if (ok && rows.ok) {
      // rows (Uint8Array), rowCount, owners (Uint32Array of distinct uid, gid pairs).
      napi_value rows_ab, rows_v, count_v, own_ab, own_v;
      void *rdata = NULL, *odata = NULL;
      size_t own_n = rows.n_owners * 2;
      ok = napi_create_arraybuffer(env, rows.len, &rdata, &rows_ab) == napi_ok &&
           napi_create_typedarray(env, napi_uint8_array, rows.len, rows_ab, 0, &rows_v) == napi_ok &&
           napi_create_double(env, (double)rows.count, &count_v) == napi_ok &&
           napi_create_arraybuffer(env, own_n * sizeof(uint32_t), &odata, &own_ab) == napi_ok &&
           napi_create_typedarray(env, napi_uint32_array, own_n, own_ab, 0, &own_v) == napi_ok &&
           napi_set_named_property(env, result, "rows", rows_v) == napi_ok &&
           napi_set_named_property(env, result, "rowCount", count_v) == napi_ok &&
           napi_set_named_property(env, result, "owners", own_v) == napi_ok;
      if (ok && rows.len) memcpy(rdata, rows.b, rows.len);
      if (ok && own_n) memcpy(odata, rows.owners, own_n * sizeof(uint32_t));
    }
    if (!ok) {
      // A failed call may have left an exception pending: clear it, the caller redoes the directory.
      bool pending = false;
      napi_value ignored;
      if (napi_is_exception_pending(env, &pending) == napi_ok && pending) napi_get_and_clear_last_exception(env, &ignored);
      rc = -1;
    }
  }
  listing_free(&l);
  free(rows.b);
  return rc == 0 ? result : js_null(env);
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "listDir", NAPI_AUTO_LENGTH, list_dir_js, NULL, &fn);
  napi_set_named_property(env, exports, "listDir", fn);
  return exports;
}
