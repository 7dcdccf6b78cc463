/* The listing assembler behind trn-as: the text form trn_rt_model_print_asm writes
 * (directives in NEFF.md, instruction and .desc lines in ISA.md) into a writer. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neff_format.h"

typedef struct trn_rt_asm_inst_t {
  trn_inst_t inst;
  int line;
  uint32_t layer; /* index into the listing's layers, or TRN_RT_NO_LAYER */
} trn_rt_asm_inst_t;

typedef struct trn_rt_asm_const_t {
  uint64_t hbm_offset;
  uint8_t *data;
  size_t size, capacity;
  int line;
} trn_rt_asm_const_t;

typedef struct trn_rt_asm_t {
  const char *source;   /* name for messages */
  const char *base_dir;
  const trn_target_t *target;
  bool target_forced, target_seen;
  int lineno;
  const char *line;     /* current line (NUL-terminated copy) */
  char *compiler;
  uint8_t hash[32];
  bool have_hbm_size;
  uint64_t hbm_size;
  int stream;           /* current .stream, -1 before the first */
  trn_rt_asm_inst_t *insts[TRN_MAX_STREAMS];
  size_t inst_count[TRN_MAX_STREAMS], inst_cap[TRN_MAX_STREAMS];
  trn_dma_desc_t *descs;
  size_t desc_count, desc_cap;
  trn_rt_asm_const_t *consts;
  size_t const_count, const_cap;
  trn_rt_tensor_info_t *tensors[2];
  size_t tensor_count[2], tensor_cap[2];
  char **layers;        /* .layer names in order of first appearance */
  size_t layer_count, layer_cap;
  uint32_t layer;       /* current .layer, TRN_RT_NO_LAYER for none */
} trn_rt_asm_t;

static trn_status_t asm_fail(const trn_rt_asm_t *a, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static trn_status_t asm_fail(const trn_rt_asm_t *a, const char *at, const char *fmt, ...) {
  char detail[512];
  va_list args;
  va_start(args, fmt);
  vsnprintf(detail, sizeof(detail), fmt, args);
  va_end(args);
  if (at)
    return trn_status_make(TRN_ERR_FORMAT, "%s:%d:%d: %s", a->source, a->lineno,
                           (int)(at - a->line) + 1, detail);
  return trn_status_make(TRN_ERR_FORMAT, "%s:%d: %s", a->source, a->lineno, detail);
}

static trn_status_t asm_oom(const trn_rt_asm_t *a) {
  return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s:%d: out of memory", a->source, a->lineno);
}

static bool grow(void **items, size_t count, size_t *cap, size_t elem) {
  if (count < *cap) return true;
  size_t n = *cap ? *cap * 2 : 16;
  if (n > SIZE_MAX / elem) return false;
  void *p = realloc(*items, n * elem);
  if (!p) return false;
  *items = p;
  *cap = n;
  return true;
}

/* ---- lexing helpers ------------------------------------------------------------ */

static const char *skip_ws(const char *p) {
  while (*p == ' ' || *p == '\t') ++p;
  return p;
}

static bool at_end(const char *p) {
  p = skip_ws(p);
  return *p == '\0' || *p == '#' || *p == ';';
}

/* A bare word: up to whitespace, '#', ';', '[', '@' or '"'. */
static const char *word_end(const char *p) {
  while (*p && !isspace((unsigned char)*p) && *p != '#' && *p != ';' && *p != '[' &&
         *p != '@' && *p != '"')
    ++p;
  return p;
}

static bool word_is(const char *p, const char *end, const char *word) {
  size_t n = strlen(word);
  return (size_t)(end - p) == n && memcmp(p, word, n) == 0;
}

static trn_status_t parse_u64(trn_rt_asm_t *a, const char **pp, const char *what,
                              uint64_t *out) {
  const char *p = skip_ws(*pp);
  if (!isdigit((unsigned char)*p)) return asm_fail(a, p, "expected %s (a number)", what);
  errno = 0;
  char *end;
  unsigned long long v = strtoull(p, &end, 0);
  if (errno == ERANGE) return asm_fail(a, p, "%s is out of range", what);
  if (*end && !isspace((unsigned char)*end) && *end != ',' && *end != ']' && *end != '#' &&
      *end != ';')
    return asm_fail(a, end, "unexpected character after %s", what);
  *out = v;
  *pp = end;
  return NULL;
}

/* A double-quoted string with \" \\ \n \t \xNN escapes, or a bare word. */
static trn_status_t parse_string(trn_rt_asm_t *a, const char **pp, const char *what,
                                 char **out) {
  const char *p = skip_ws(*pp);
  *out = NULL;
  size_t len = strlen(p);
  char *s = malloc(len + 1);
  if (!s) return asm_oom(a);
  size_t n = 0;
  if (*p != '"') {
    const char *end = word_end(p);
    if (end == p) {
      free(s);
      return asm_fail(a, p, "expected %s (a word or a quoted string)", what);
    }
    memcpy(s, p, (size_t)(end - p));
    n = (size_t)(end - p);
    p = end;
  } else {
    const char *start = p++;
    for (;;) {
      if (*p == '\0') {
        free(s);
        return asm_fail(a, start, "unterminated string");
      }
      if (*p == '"') {
        ++p;
        break;
      }
      if (*p != '\\') {
        s[n++] = *p++;
        continue;
      }
      ++p;
      if (*p == '"' || *p == '\\') {
        s[n++] = *p++;
      } else if (*p == 'n') {
        s[n++] = '\n';
        ++p;
      } else if (*p == 't') {
        s[n++] = '\t';
        ++p;
      } else if (*p == 'x' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
        char hex[3] = {p[1], p[2], 0};
        unsigned v = (unsigned)strtoul(hex, NULL, 16);
        if (v == 0) {
          free(s);
          return asm_fail(a, p - 1, "\\x00 is not allowed in a string");
        }
        s[n++] = (char)v;
        p += 3;
      } else {
        free(s);
        return asm_fail(a, p - 1, "unknown escape in string");
      }
    }
  }
  s[n] = '\0';
  *out = s;
  *pp = p;
  return NULL;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static trn_status_t expect_end(trn_rt_asm_t *a, const char *p) {
  if (!at_end(p)) return asm_fail(a, skip_ws(p), "unexpected text at end of line");
  return NULL;
}

/* ---- directives ------------------------------------------------------------------- */

static trn_status_t dir_target(trn_rt_asm_t *a, const char *p) {
  p = skip_ws(p);
  const char *end = word_end(p);
  char name[64];
  size_t n = (size_t)(end - p);
  if (n == 0 || n >= sizeof(name)) return asm_fail(a, p, "expected a target name");
  memcpy(name, p, n);
  name[n] = '\0';
  const trn_target_t *t = trn_isa_target_find(name);
  if (!t) return asm_fail(a, p, "unknown target '%s'", name);
  TRN_RETURN_IF_ERROR(expect_end(a, end));
  if (a->target_forced && t != a->target)
    return asm_fail(a, p, "the listing is for target %s but --target %s was given", t->name,
                    a->target->name);
  if (a->target_seen && t != a->target)
    return asm_fail(a, p, "a second .target (%s after %s)", t->name, a->target->name);
  for (int s = 0; s < TRN_MAX_STREAMS; ++s)
    if (a->inst_count[s]) return asm_fail(a, p, ".target must come before any instruction");
  a->target = t;
  a->target_seen = true;
  return NULL;
}

static trn_status_t dir_compiler(trn_rt_asm_t *a, const char *p) {
  char *s;
  TRN_RETURN_IF_ERROR(parse_string(a, &p, "a compiler version", &s));
  trn_status_t st = expect_end(a, p);
  if (st) {
    free(s);
    return st;
  }
  free(a->compiler);
  a->compiler = s;
  return NULL;
}

/* .layer "name" | .layer - : the layer of the instructions that follow. */
static trn_status_t dir_layer(trn_rt_asm_t *a, const char *p) {
  p = skip_ws(p);
  if (*p == '-') {
    a->layer = TRN_RT_NO_LAYER;
    return expect_end(a, p + 1);
  }
  char *s;
  TRN_RETURN_IF_ERROR(parse_string(a, &p, "a layer name or '-'", &s));
  trn_status_t st = expect_end(a, p);
  for (size_t i = 0; i < a->layer_count && !st; ++i)
    if (strcmp(a->layers[i], s) == 0) {
      a->layer = (uint32_t)i;
      free(s);
      return NULL;
    }
  if (!st && !grow((void **)&a->layers, a->layer_count, &a->layer_cap, sizeof(char *)))
    st = asm_oom(a);
  if (st) {
    free(s);
    return st;
  }
  a->layers[a->layer_count] = s;
  a->layer = (uint32_t)a->layer_count++;
  return NULL;
}

static trn_status_t dir_hash(trn_rt_asm_t *a, const char *p) {
  p = skip_ws(p);
  for (int i = 0; i < 32; ++i) {
    int hi = hex_value(p[2 * i]), lo = hi < 0 ? -1 : hex_value(p[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return asm_fail(a, p + 2 * i + (hi < 0 ? 0 : 1), "expected 64 hex digits of the hash");
    a->hash[i] = (uint8_t)(hi << 4 | lo);
  }
  return expect_end(a, p + 64);
}

static trn_status_t dir_hbm_size(trn_rt_asm_t *a, const char *p) {
  TRN_RETURN_IF_ERROR(parse_u64(a, &p, "the HBM size", &a->hbm_size));
  a->have_hbm_size = true;
  return expect_end(a, p);
}

/* .input NAME DTYPE [D0, D1, ...] @OFFSET */
static trn_status_t dir_tensor(trn_rt_asm_t *a, const char *p, int kind) {
  trn_rt_tensor_info_t t;
  memset(&t, 0, sizeof(t));
  char *name;
  TRN_RETURN_IF_ERROR(parse_string(a, &p, "a tensor name", &name));
  trn_status_t st = NULL;
  p = skip_ws(p);
  const char *end = word_end(p);
  if (!trn_isa_dtype_parse(p, (size_t)(end - p), &t.dtype)) {
    st = asm_fail(a, p, "expected a dtype (fp32, bf16, fp16, i32, i8, u8)");
    goto done;
  }
  p = skip_ws(end);
  if (*p != '[') {
    st = asm_fail(a, p, "expected '[' and the dims");
    goto done;
  }
  p = skip_ws(p + 1);
  while (*p != ']') {
    if (t.rank == TRN_MAX_RANK) {
      st = asm_fail(a, p, "more than %d dims", TRN_MAX_RANK);
      goto done;
    }
    uint64_t dim;
    if ((st = parse_u64(a, &p, "a dim", &dim))) goto done;
    if (dim > INT64_MAX) {
      st = asm_fail(a, p, "dim too large");
      goto done;
    }
    t.dims[t.rank++] = (int64_t)dim;
    p = skip_ws(p);
    if (*p == ',') {
      p = skip_ws(p + 1);
    } else if (*p != ']') {
      st = asm_fail(a, p, "expected ',' or ']'");
      goto done;
    }
  }
  p = skip_ws(p + 1);
  if (*p != '@') {
    st = asm_fail(a, p, "expected '@' and the HBM offset");
    goto done;
  }
  ++p;
  if ((st = parse_u64(a, &p, "the HBM offset", &t.hbm_offset))) goto done;
  if ((st = expect_end(a, p))) goto done;
  uint64_t bytes = trn_isa_dtype_size(t.dtype);
  for (uint32_t d = 0; d < t.rank; ++d)
    if (__builtin_mul_overflow(bytes, (uint64_t)t.dims[d], &bytes)) {
      st = asm_fail(a, NULL, "tensor '%s' is too large", name);
      goto done;
    }
  t.bytes = bytes;
  if (!grow((void **)&a->tensors[kind], a->tensor_count[kind], &a->tensor_cap[kind],
            sizeof(t))) {
    st = asm_oom(a);
    goto done;
  }
  t.name = name;
  a->tensors[kind][a->tensor_count[kind]++] = t;
  return NULL;
done:
  free(name);
  return st;
}

static trn_status_t const_append(trn_rt_asm_t *a, trn_rt_asm_const_t *c, const void *data,
                                 size_t size) {
  if (size > c->capacity - c->size) {
    size_t cap = c->capacity ? c->capacity : 64;
    while (cap - c->size < size) {
      if (cap > SIZE_MAX / 2) return asm_oom(a);
      cap *= 2;
    }
    uint8_t *grown = realloc(c->data, cap);
    if (!grown) return asm_oom(a);
    c->data = grown;
    c->capacity = cap;
  }
  memcpy(c->data + c->size, data, size);
  c->size += size;
  return NULL;
}

/* The blob that a constant at `offset` extends: the last one if it ends exactly there
 * (so that 32-byte hex lines join back), else a new one. */
static trn_status_t const_at(trn_rt_asm_t *a, uint64_t offset, trn_rt_asm_const_t **out) {
  if (a->const_count) {
    trn_rt_asm_const_t *last = &a->consts[a->const_count - 1];
    if (last->hbm_offset + last->size == offset) {
      *out = last;
      return NULL;
    }
  }
  if (!grow((void **)&a->consts, a->const_count, &a->const_cap, sizeof(trn_rt_asm_const_t)))
    return asm_oom(a);
  trn_rt_asm_const_t *c = &a->consts[a->const_count++];
  memset(c, 0, sizeof(*c));
  c->hbm_offset = offset;
  c->line = a->lineno;
  *out = c;
  return NULL;
}

static trn_status_t const_file(trn_rt_asm_t *a, trn_rt_asm_const_t *c, const char *at,
                               const char *path) {
  char *full = NULL;
  if (path[0] != '/' && a->base_dir && *a->base_dir) {
    full = malloc(strlen(a->base_dir) + strlen(path) + 2);
    if (!full) return asm_oom(a);
    sprintf(full, "%s/%s", a->base_dir, path);
  }
  const char *open_path = full ? full : path;
  FILE *f = fopen(open_path, "rb");
  if (!f) {
    trn_status_t st = trn_status_make(TRN_ERR_IO, "%s:%d: cannot open constant file %s: %s",
                                      a->source, a->lineno, open_path, strerror(errno));
    free(full);
    return st;
  }
  trn_status_t st = NULL;
  uint8_t buf[65536];
  size_t n;
  while (!st && (n = fread(buf, 1, sizeof(buf), f)) > 0) st = const_append(a, c, buf, n);
  if (!st && ferror(f))
    st = trn_status_make(TRN_ERR_IO, "%s:%d: cannot read constant file %s", a->source, a->lineno,
                         open_path);
  fclose(f);
  free(full);
  (void)at;
  return st;
}

/* .const OFFSET hex HEX... | .const OFFSET file "PATH" | .const OFFSET DTYPE V... */
static trn_status_t dir_const(trn_rt_asm_t *a, const char *p) {
  uint64_t offset;
  TRN_RETURN_IF_ERROR(parse_u64(a, &p, "the HBM offset", &offset));
  p = skip_ws(p);
  const char *end = word_end(p);
  trn_rt_asm_const_t *c;
  if (word_is(p, end, "hex")) {
    p = skip_ws(end);
    TRN_RETURN_IF_ERROR(const_at(a, offset, &c));
    while (!at_end(p)) {
      int hi = hex_value(p[0]), lo = hi < 0 ? -1 : hex_value(p[1]);
      if (hi < 0 || lo < 0) return asm_fail(a, p, "expected pairs of hex digits");
      uint8_t byte = (uint8_t)(hi << 4 | lo);
      TRN_RETURN_IF_ERROR(const_append(a, c, &byte, 1));
      p = skip_ws(p + 2);
    }
    return NULL;
  }
  if (word_is(p, end, "file")) {
    char *path;
    p = end;
    TRN_RETURN_IF_ERROR(parse_string(a, &p, "a file path", &path));
    trn_status_t st = expect_end(a, p);
    if (!st) st = const_at(a, offset, &c);
    if (!st) st = const_file(a, c, end, path);
    free(path);
    return st;
  }
  trn_dtype_t dtype;
  if (!trn_isa_dtype_parse(p, (size_t)(end - p), &dtype))
    return asm_fail(a, p, "expected hex, file or a dtype after the offset");
  size_t esize = trn_isa_dtype_size(dtype);
  p = skip_ws(end);
  TRN_RETURN_IF_ERROR(const_at(a, offset, &c));
  while (!at_end(p)) {
    uint8_t bytes[4];
    char *vend;
    errno = 0;
    if (dtype == TRN_DTYPE_INT32 || dtype == TRN_DTYPE_INT8 || dtype == TRN_DTYPE_UINT8) {
      long long v = strtoll(p, &vend, 0);
      long long lo = dtype == TRN_DTYPE_INT32 ? INT32_MIN : dtype == TRN_DTYPE_INT8 ? -128 : 0;
      long long hi = dtype == TRN_DTYPE_INT32 ? INT32_MAX : dtype == TRN_DTYPE_INT8 ? 127 : 255;
      if (vend == p) return asm_fail(a, p, "expected an integer value");
      if (errno == ERANGE || v < lo || v > hi)
        return asm_fail(a, p, "value out of range for %s", trn_isa_dtype_name(dtype));
      trn_neff_wr32(bytes, (uint32_t)(int32_t)v);
    } else {
      double v = strtod(p, &vend);
      if (vend == p) return asm_fail(a, p, "expected a number");
      trn_isa_store_f32(bytes, dtype, 0, (float)v);
    }
    if (*vend && !isspace((unsigned char)*vend) && *vend != ',' && *vend != '#' && *vend != ';')
      return asm_fail(a, vend, "unexpected character after a value");
    TRN_RETURN_IF_ERROR(const_append(a, c, bytes, esize));
    p = skip_ws(vend);
    if (*p == ',') p = skip_ws(p + 1);
  }
  return NULL;
}

static trn_status_t dir_stream(trn_rt_asm_t *a, const char *p) {
  p = skip_ws(p);
  const char *end = word_end(p);
  for (uint32_t s = 0; s < TRN_MAX_STREAMS; ++s) {
    char name[16];
    if (word_is(p, end, trn_isa_stream_name(s, name, sizeof(name)))) {
      a->stream = (int)s;
      return expect_end(a, end);
    }
  }
  return asm_fail(a, p, "unknown stream (pe, act, dve, pool, q0..q15)");
}

static trn_status_t line_desc(trn_rt_asm_t *a, const char *p) {
  trn_dma_desc_t d;
  char msg[256] = "";
  if (trn_isa_dma_assemble_line(p, &d, msg, sizeof(msg)) != 0) return asm_fail(a, NULL, "%s", msg);
  if (!grow((void **)&a->descs, a->desc_count, &a->desc_cap, sizeof(d))) return asm_oom(a);
  a->descs[a->desc_count++] = d;
  return NULL;
}

static trn_status_t line_inst(trn_rt_asm_t *a, const char *p) {
  if (a->stream < 0) return asm_fail(a, p, "instruction before the first .stream directive");
  trn_rt_asm_inst_t in;
  char msg[256] = "";
  if (trn_isa_assemble_line(a->line, &in.inst, msg, sizeof(msg)) != 0)
    return asm_fail(a, NULL, "%s", msg);
  if (trn_isa_inst_check(&in.inst, (uint32_t)a->stream, a->target, msg, sizeof(msg)) != 0)
    return asm_fail(a, p, "%s", msg);
  in.line = a->lineno;
  in.layer = a->layer;
  int s = a->stream;
  if (!grow((void **)&a->insts[s], a->inst_count[s], &a->inst_cap[s], sizeof(in)))
    return asm_oom(a);
  a->insts[s][a->inst_count[s]++] = in;
  return NULL;
}

static trn_status_t assemble_line(trn_rt_asm_t *a) {
  const char *p = skip_ws(a->line);
  if (at_end(p)) return NULL;
  if (*p != '.') return line_inst(a, p);
  const char *end = word_end(p);
  if (word_is(p, end, ".desc")) return line_desc(a, a->line);
  if (word_is(p, end, ".stream")) return dir_stream(a, end);
  if (word_is(p, end, ".target")) return dir_target(a, end);
  if (word_is(p, end, ".compiler")) return dir_compiler(a, end);
  if (word_is(p, end, ".hash")) return dir_hash(a, end);
  if (word_is(p, end, ".hbm_size")) return dir_hbm_size(a, end);
  if (word_is(p, end, ".input")) return dir_tensor(a, end, 0);
  if (word_is(p, end, ".output")) return dir_tensor(a, end, 1);
  if (word_is(p, end, ".const")) return dir_const(a, end);
  if (word_is(p, end, ".layer")) return dir_layer(a, end);
  return asm_fail(a, p, "unknown directive '%.*s'", (int)(end - p), p);
}

/* End of the HBM bytes a descriptor side touches (0 if not HBM or on overflow). */
static uint64_t desc_hbm_end(uint8_t space, uint8_t dtype, uint64_t addr, const uint32_t *num,
                             const int64_t *step) {
  if (space != TRN_SPACE_HBM) return 0;
  size_t esize = dtype < TRN_DTYPE_COUNT ? trn_isa_dtype_size((trn_dtype_t)dtype) : 0;
  int64_t max = 0;
  for (int d = 0; d < TRN_DMA_DIMS; ++d) {
    if (num[d] == 0) return 0;
    int64_t span;
    if (__builtin_mul_overflow(step[d], (int64_t)(num[d] - 1), &span)) return 0;
    if (span > 0 && __builtin_add_overflow(max, span, &max)) return 0;
  }
  uint64_t end;
  if (__builtin_mul_overflow((uint64_t)max, (uint64_t)esize, &end) ||
      __builtin_add_overflow(end, addr, &end) || __builtin_add_overflow(end, esize, &end))
    return 0;
  return end;
}

static trn_status_t build_writer(trn_rt_asm_t *a, trn_rt_writer_t **out_writer) {
  trn_rt_writer_t *w;
  TRN_RETURN_IF_ERROR(trn_rt_writer_create(a->target, &w));
  trn_rt_writer_set_metadata(w, a->compiler ? a->compiler : "trn-as", a->hash);
  uint64_t hbm = 0;
  trn_status_t st = NULL;
  for (int k = 0; k < 2 && !st; ++k)
    for (size_t i = 0; i < a->tensor_count[k] && !st; ++i) {
      const trn_rt_tensor_info_t *t = &a->tensors[k][i];
      if (t->hbm_offset + t->bytes > hbm) hbm = t->hbm_offset + t->bytes;
      st = k == 0 ? trn_rt_writer_add_input(w, t) : trn_rt_writer_add_output(w, t);
    }
  for (size_t i = 0; i < a->const_count && !st; ++i) {
    const trn_rt_asm_const_t *c = &a->consts[i];
    if (c->hbm_offset + c->size > hbm) hbm = c->hbm_offset + c->size;
    st = trn_rt_writer_add_constant(w, c->hbm_offset, c->data, c->size);
  }
  for (size_t i = 0; i < a->desc_count; ++i) {
    const trn_dma_desc_t *d = &a->descs[i];
    uint64_t e1 = desc_hbm_end(d->src_space, d->src_dtype, d->src_addr, d->num, d->src_step);
    uint64_t e2 = desc_hbm_end(d->dst_space, d->dst_dtype, d->dst_addr, d->num, d->dst_step);
    if (e1 > hbm) hbm = e1;
    if (e2 > hbm) hbm = e2;
  }
  if (!st && a->desc_count) st = trn_rt_writer_append_dma(w, a->descs, a->desc_count, NULL);
  /* Layers in listing order first, so that they keep their numbers. */
  for (size_t i = 0; i < a->layer_count && !st; ++i) st = trn_rt_writer_set_layer(w, a->layers[i]);
  for (uint32_t s = 0; s < TRN_MAX_STREAMS && !st; ++s)
    for (size_t i = 0; i < a->inst_count[s] && !st; ++i) {
      uint32_t l = a->insts[s][i].layer;
      st = trn_rt_writer_set_layer(w, l == TRN_RT_NO_LAYER ? NULL : a->layers[l]);
      if (!st) st = trn_rt_writer_append(w, s, &a->insts[s][i].inst, 1);
    }
  if (st) {
    trn_rt_writer_destroy(w);
    trn_status_t wrapped = trn_status_make(trn_status_code(st) == TRN_ERR_INVALID_ARGUMENT
                                               ? TRN_ERR_FORMAT
                                               : trn_status_code(st),
                                           "%s: %s", a->source, trn_status_message(st));
    trn_status_free(st);
    return wrapped;
  }
  /* Default HBM size: everything the listing places or addresses, rounded to 64. */
  trn_rt_writer_set_hbm_size(w, a->have_hbm_size ? a->hbm_size : (hbm + 63) / 64 * 64);
  /* Validate now (descriptor ranges, DMA instruction ranges, I/O in HBM), so that the
   * listing's name prefixes the message. */
  void *bytes;
  size_t size;
  st = trn_rt_writer_write_memory(w, &bytes, &size);
  if (st) {
    trn_rt_writer_destroy(w);
    trn_status_t wrapped = trn_status_make(trn_status_code(st) == TRN_ERR_INVALID_ARGUMENT
                                               ? TRN_ERR_FORMAT
                                               : trn_status_code(st),
                                           "%s: %s", a->source, trn_status_message(st));
    trn_status_free(st);
    return wrapped;
  }
  free(bytes);
  *out_writer = w;
  return NULL;
}

static void asm_release(trn_rt_asm_t *a) {
  free(a->compiler);
  for (int s = 0; s < TRN_MAX_STREAMS; ++s) free(a->insts[s]);
  free(a->descs);
  for (size_t i = 0; i < a->const_count; ++i) free(a->consts[i].data);
  free(a->consts);
  for (int k = 0; k < 2; ++k) {
    for (size_t i = 0; i < a->tensor_count[k]; ++i) free((char *)a->tensors[k][i].name);
    free(a->tensors[k]);
  }
  for (size_t i = 0; i < a->layer_count; ++i) free(a->layers[i]);
  free(a->layers);
}

trn_status_t trn_rt_assemble(const char *text, size_t size, const char *source_name,
                             const char *base_dir, const trn_target_t *target,
                             bool target_forced, trn_rt_writer_t **out_writer) {
  if (!out_writer) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "assemble: out_writer is NULL");
  *out_writer = NULL;
  if (!text && size) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "assemble: text is NULL");
  trn_rt_asm_t a;
  memset(&a, 0, sizeof(a));
  a.source = source_name ? source_name : "<listing>";
  a.base_dir = base_dir;
  a.target = target ? target : trn_isa_target(TRN_TARGET_TRN1);
  a.target_forced = target && target_forced;
  a.stream = -1;
  a.layer = TRN_RT_NO_LAYER;
  char *line = NULL;
  size_t line_cap = 0;
  trn_status_t st = NULL;
  size_t pos = 0;
  while (pos < size && !st) {
    size_t end = pos;
    while (end < size && text[end] != '\n') ++end;
    size_t len = end - pos;
    if (len && text[pos + len - 1] == '\r') --len;
    if (len + 1 > line_cap) {
      char *grown = realloc(line, len + 1);
      if (!grown) {
        st = trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", a.source);
        break;
      }
      line = grown;
      line_cap = len + 1;
    }
    memcpy(line, text + pos, len);
    line[len] = '\0';
    a.lineno++;
    a.line = line;
    if (memchr(line, '\0', len))
      st = asm_fail(&a, NULL, "NUL byte in the listing");
    else
      st = assemble_line(&a);
    pos = end + 1;
  }
  free(line);
  if (!st) st = build_writer(&a, out_writer);
  asm_release(&a);
  return st;
}
