/* Text assembly: one instruction or descriptor per line. Syntax and field rules are
 * in ISA.md, "Assembly syntax". The printer and the parser are exact inverses for
 * every instruction trn_isa_decode accepts. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- per-opcode presentation --------------------------------------------------- */

/* How an immediate is written: raw hex bits, signed int32 or fp32 value. */
typedef enum { TRN_IMM_HEX, TRN_IMM_INT, TRN_IMM_F32 } trn_imm_kind_t;

static trn_imm_kind_t trn_isa_imm_kind(unsigned opcode, int i) {
  switch (opcode) {
  case TRN_OP_ACTIVATE: return i == 2 ? TRN_IMM_INT : i < 2 ? TRN_IMM_F32 : TRN_IMM_HEX;
  case TRN_OP_TENSOR_SCALAR: return i < 2 ? TRN_IMM_F32 : TRN_IMM_HEX;
  case TRN_OP_SELECT: return i == 0 ? TRN_IMM_F32 : TRN_IMM_HEX;
  case TRN_OP_TENSOR_REDUCE:
  case TRN_OP_DMA: return i == 0 ? TRN_IMM_INT : TRN_IMM_HEX;
  case TRN_OP_IOTA: return i < 2 ? TRN_IMM_INT : TRN_IMM_HEX;
  case TRN_OP_AFFINE_SELECT: return i < 3 ? TRN_IMM_INT : TRN_IMM_F32;
  default: return TRN_IMM_HEX;
  }
}

/* Which name table op0/op1 use: 0 none, 1 ALU, 2 activation. */
static int trn_isa_op_table(unsigned opcode, int which) {
  switch (opcode) {
  case TRN_OP_ACTIVATE: return which == 0 ? 2 : 0;
  case TRN_OP_TENSOR_SCALAR: return 1;
  case TRN_OP_TENSOR_TENSOR:
  case TRN_OP_TENSOR_REDUCE:
  case TRN_OP_PARTITION_REDUCE:
  case TRN_OP_AFFINE_SELECT: return which == 0 ? 1 : 0;
  default: return 0;
  }
}

static const struct {
  uint8_t bit;
  const char *name;
} trn_isa_flag_names[] = {
    {TRN_FLAG_ACC, "acc"},     {TRN_FLAG_ACCUM, "accum"}, {TRN_FLAG_S0_AP, "s0ap"},
    {TRN_FLAG_S1_AP, "s1ap"}, {TRN_FLAG_REVERSE, "rev"},
};

/* ---- printer ------------------------------------------------------------------- */

typedef struct trn_isa_out_t {
  char *buf;
  size_t size;
  size_t len; /* length needed so far */
} trn_isa_out_t;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void trn_isa_put(trn_isa_out_t *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  size_t room = o->len < o->size ? o->size - o->len : 0;
  int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
  va_end(ap);
  if (n > 0) o->len += (size_t)n;
}

static void trn_isa_put_f32(trn_isa_out_t *o, uint32_t bits) {
  float v;
  memcpy(&v, &bits, 4);
  if (isnan(v)) trn_isa_put(o, "0x%08" PRIx32, bits); /* keeps sign and payload */
  else trn_isa_put(o, "%.9g", (double)v);             /* 9 digits: exact for fp32 */
}

static void trn_isa_put_imm(trn_isa_out_t *o, trn_imm_kind_t kind, uint32_t bits) {
  if (kind == TRN_IMM_F32) trn_isa_put_f32(o, bits);
  else if (kind == TRN_IMM_INT) trn_isa_put(o, "%" PRId32, (int32_t)bits);
  else trn_isa_put(o, "0x%" PRIx32, bits);
}

static void trn_isa_put_space(trn_isa_out_t *o, unsigned space) {
  if (space <= TRN_SPACE_HBM) trn_isa_put(o, "%s", trn_isa_space_name((trn_space_t)space));
  else trn_isa_put(o, "space%u", space);
}

static void trn_isa_put_dtype(trn_isa_out_t *o, unsigned dtype) {
  if (dtype < TRN_DTYPE_COUNT) trn_isa_put(o, "%s", trn_isa_dtype_name((trn_dtype_t)dtype));
  else trn_isa_put(o, "dtype%u", dtype);
}

static bool trn_isa_ap_zero(const trn_ap_t *ap) {
  if (ap->space || ap->dtype || ap->start_partition || ap->num_partitions || ap->offset)
    return false;
  for (int d = 0; d < TRN_AP_DIMS; ++d)
    if (ap->num[d] || ap->step[d]) return false;
  return true;
}

static void trn_isa_put_ap(trn_isa_out_t *o, const char *name, const trn_ap_t *ap) {
  trn_isa_put(o, " %s=", name);
  trn_isa_put_space(o, ap->space);
  trn_isa_put(o, "[%u:%u]+0x%" PRIx32 " ", (unsigned)ap->start_partition,
              (unsigned)ap->start_partition + ap->num_partitions, ap->offset);
  trn_isa_put_dtype(o, ap->dtype);
  int k = 1; /* dims printed: the innermost, and every dim up to the last non-default */
  for (int d = 1; d < TRN_AP_DIMS; ++d)
    if (ap->num[d] != 1 || ap->step[d] != 0) k = d + 1;
  trn_isa_put(o, " [");
  for (int d = k - 1; d >= 0; --d)
    trn_isa_put(o, "%s%u:%" PRId32, d == k - 1 ? "" : ",", (unsigned)ap->num[d], ap->step[d]);
  trn_isa_put(o, "]");
}

static void trn_isa_put_op(trn_isa_out_t *o, const trn_inst_t *in, int which) {
  unsigned v = which == 0 ? in->op0 : in->op1;
  int table = trn_isa_op_table(in->opcode, which);
  if (table == 0 && v == 0) return;
  const char *name = table == 2 ? trn_isa_act_name(v) : table == 1 ? trn_isa_alu_name(v) : NULL;
  if (name) trn_isa_put(o, " op%d=%s", which, name);
  else trn_isa_put(o, " op%d=%u", which, v);
}

int trn_isa_disassemble(const trn_inst_t *in, char *buf, size_t size) {
  trn_isa_out_t o = {buf, size, 0};
  if (buf && size) buf[0] = '\0';
  const trn_opinfo_t *info = trn_isa_opinfo(in->opcode);
  if (info) trn_isa_put(&o, "%s", info->mnemonic);
  else trn_isa_put(&o, "op0x%02x", (unsigned)in->opcode);
  unsigned flags = in->flags;
  for (size_t i = 0; i < sizeof trn_isa_flag_names / sizeof trn_isa_flag_names[0]; ++i)
    if (flags & trn_isa_flag_names[i].bit) {
      trn_isa_put(&o, ".%s", trn_isa_flag_names[i].name);
      flags &= ~(unsigned)trn_isa_flag_names[i].bit;
    }
  if (flags) trn_isa_put(&o, " flags=0x%02x", flags);
  trn_isa_put_op(&o, in, 0);
  trn_isa_put_op(&o, in, 1);
  if (!trn_isa_ap_zero(&in->dst)) trn_isa_put_ap(&o, "dst", &in->dst);
  if (!trn_isa_ap_zero(&in->src0)) trn_isa_put_ap(&o, "src0", &in->src0);
  if (!trn_isa_ap_zero(&in->src1)) trn_isa_put_ap(&o, "src1", &in->src1);
  for (int i = 0; i < 4; ++i)
    if (in->imm[i] != 0) {
      trn_isa_put(&o, " imm%d=", i);
      trn_isa_put_imm(&o, trn_isa_imm_kind(in->opcode, i), in->imm[i]);
    }
  if (in->aux != 0) trn_isa_put(&o, " aux=%" PRIu32, in->aux);
  if (in->wait_sem != TRN_SEM_NONE || in->wait_value != 0)
    trn_isa_put(&o, " wait=s%u>=%" PRIu32, (unsigned)in->wait_sem, in->wait_value);
  if (in->signal_sem != TRN_SEM_NONE) trn_isa_put(&o, " signal=s%u", (unsigned)in->signal_sem);
  return (int)o.len;
}

int trn_isa_dma_disassemble(const trn_dma_desc_t *d, char *buf, size_t size) {
  trn_isa_out_t o = {buf, size, 0};
  if (buf && size) buf[0] = '\0';
  int k = 1;
  for (int i = 1; i < TRN_DMA_DIMS; ++i)
    if (d->num[i] != 1 || d->src_step[i] != 0 || d->dst_step[i] != 0) k = i + 1;
  trn_isa_put(&o, ".desc");
  for (int side = 0; side < 2; ++side) {
    unsigned space = side ? d->dst_space : d->src_space;
    unsigned dtype = side ? d->dst_dtype : d->src_dtype;
    const int64_t *step = side ? d->dst_step : d->src_step;
    trn_isa_put(&o, " %s=", side ? "dst" : "src");
    trn_isa_put_space(&o, space);
    trn_isa_put(&o, "+0x%" PRIx64 " ", side ? d->dst_addr : d->src_addr);
    trn_isa_put_dtype(&o, dtype);
    trn_isa_put(&o, " [");
    for (int i = k - 1; i >= 0; --i)
      trn_isa_put(&o, "%s%" PRIu32 ":%" PRId64, i == k - 1 ? "" : ",", d->num[i], step[i]);
    trn_isa_put(&o, "]");
  }
  return (int)o.len;
}

/* ---- parser -------------------------------------------------------------------- */

typedef struct trn_isa_lex_t {
  const char *line;
  const char *p;
  char *msg;
  size_t msg_size;
} trn_isa_lex_t;

/* Fails naming the 1-based column of `at` and the token that starts there. */
static int trn_isa_lex_fail(trn_isa_lex_t *lx, const char *at, const char *what) {
  size_t n = 0;
  while (at[n] && !isspace((unsigned char)at[n]) && n < 40) ++n;
  if (n == 0)
    return trn_isa_fail(lx->msg, lx->msg_size, "column %d: %s at end of line",
                        (int)(at - lx->line) + 1, what);
  return trn_isa_fail(lx->msg, lx->msg_size, "column %d: %s at '%.*s'", (int)(at - lx->line) + 1,
                      what, (int)n, at);
}

static void trn_isa_skip_ws(trn_isa_lex_t *lx) {
  while (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r' || *lx->p == '\n') ++lx->p;
}

static bool trn_isa_at_end(trn_isa_lex_t *lx) {
  trn_isa_skip_ws(lx);
  return *lx->p == '\0' || *lx->p == '#' || *lx->p == ';';
}

static bool trn_isa_accept(trn_isa_lex_t *lx, const char *s) {
  size_t n = strlen(s);
  if (strncmp(lx->p, s, n) != 0) return false;
  lx->p += n;
  return true;
}

static int trn_isa_expect(trn_isa_lex_t *lx, const char *s) {
  if (trn_isa_accept(lx, s)) return 0;
  char what[32];
  snprintf(what, sizeof what, "expected '%s'", s);
  return trn_isa_lex_fail(lx, lx->p, what);
}

/* Identifier [a-z0-9_]+; returns its length (0 if none). */
static size_t trn_isa_ident(trn_isa_lex_t *lx, const char **out) {
  const char *s = lx->p;
  while (isalnum((unsigned char)*lx->p) || *lx->p == '_') ++lx->p;
  *out = s;
  return (size_t)(lx->p - s);
}

/* Integer: optional '-' (when lo < 0), decimal or 0x hex, in [lo, hi]. */
static int trn_isa_int(trn_isa_lex_t *lx, int64_t lo, int64_t hi, int64_t *out) {
  const char *s = lx->p;
  bool neg = false;
  if (*lx->p == '-' && lo < 0) {
    neg = true;
    ++lx->p;
  } else if (*lx->p == '+') {
    ++lx->p;
  }
  int base = 10;
  if (lx->p[0] == '0' && (lx->p[1] == 'x' || lx->p[1] == 'X')) {
    base = 16;
    lx->p += 2;
  }
  if (!isxdigit((unsigned char)*lx->p) || (base == 10 && !isdigit((unsigned char)*lx->p)))
    return trn_isa_lex_fail(lx, s, "expected a number");
  errno = 0;
  char *end;
  unsigned long long u = strtoull(lx->p, &end, base);
  if (errno || u > (unsigned long long)INT64_MAX + (neg ? 1ull : 0ull))
    return trn_isa_lex_fail(lx, s, "number out of range");
  lx->p = end;
  int64_t v = neg ? (u == (unsigned long long)INT64_MAX + 1ull ? INT64_MIN : -(int64_t)u)
                  : (int64_t)u;
  if (v < lo || v > hi) {
    char what[96];
    snprintf(what, sizeof what, "number out of range %" PRId64 "..%" PRId64, lo, hi);
    return trn_isa_lex_fail(lx, s, what);
  }
  *out = v;
  return 0;
}

static int trn_isa_u64(trn_isa_lex_t *lx, uint64_t *out) {
  const char *s = lx->p;
  if (!(lx->p[0] == '0' && (lx->p[1] == 'x' || lx->p[1] == 'X')) &&
      !isdigit((unsigned char)*lx->p))
    return trn_isa_lex_fail(lx, s, "expected a number");
  errno = 0;
  char *end;
  unsigned long long u = strtoull(lx->p, &end, 0);
  if (errno || end == lx->p) return trn_isa_lex_fail(lx, s, "bad number");
  lx->p = end;
  *out = u;
  return 0;
}

static int trn_isa_imm(trn_isa_lex_t *lx, trn_imm_kind_t kind, uint32_t *out) {
  const char *s = lx->p;
  /* 0x followed by hex digits only is always raw bits. */
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    const char *q = s + 2;
    while (isxdigit((unsigned char)*q)) ++q;
    if (q > s + 2 && *q != '.' && *q != 'p' && *q != 'P') {
      int64_t v;
      if (trn_isa_int(lx, 0, UINT32_MAX, &v)) return -1;
      *out = (uint32_t)v;
      return 0;
    }
  }
  if (kind == TRN_IMM_INT) {
    int64_t v;
    if (trn_isa_int(lx, INT32_MIN, UINT32_MAX, &v)) return -1;
    *out = (uint32_t)v;
    return 0;
  }
  if (kind == TRN_IMM_F32) {
    char *end;
    errno = 0;
    float f = strtof(s, &end);
    if (end == s || isnan(f)) return trn_isa_lex_fail(lx, s, "expected an fp32 value");
    lx->p = end;
    memcpy(out, &f, 4);
    return 0;
  }
  int64_t v;
  if (trn_isa_int(lx, INT32_MIN, UINT32_MAX, &v)) return -1;
  *out = (uint32_t)v;
  return 0;
}

static int trn_isa_space(trn_isa_lex_t *lx, uint8_t *out) {
  const char *s;
  size_t n = trn_isa_ident(lx, &s);
  for (unsigned i = 0; i <= TRN_SPACE_HBM; ++i) {
    const char *name = trn_isa_space_name((trn_space_t)i);
    if (strlen(name) == n && memcmp(name, s, n) == 0) {
      *out = (uint8_t)i;
      return 0;
    }
  }
  return trn_isa_lex_fail(lx, s, "expected a memory space (none sbuf psum hbm)");
}

static int trn_isa_dtype(trn_isa_lex_t *lx, uint8_t *out) {
  trn_isa_skip_ws(lx);
  const char *s;
  size_t n = trn_isa_ident(lx, &s);
  trn_dtype_t dt;
  if (!trn_isa_dtype_parse(s, n, &dt))
    return trn_isa_lex_fail(lx, s, "expected a dtype (fp32 bf16 fp16 i32 i8 u8)");
  *out = (uint8_t)dt;
  return 0;
}

/* "[n:s,n:s,...]" outermost first, up to max_dims entries. Returns the count in *out_k
 * and the pairs innermost first. */
static int trn_isa_dims(trn_isa_lex_t *lx, int max_dims, int64_t num_max, int64_t step_lo,
                        int64_t step_hi, int64_t *num, int64_t *step, int *out_k) {
  trn_isa_skip_ws(lx);
  if (trn_isa_expect(lx, "[")) return -1;
  int64_t n[8], st[8];
  int k = 0;
  for (;;) {
    if (k == max_dims) return trn_isa_lex_fail(lx, lx->p, "too many dims");
    if (trn_isa_int(lx, 0, num_max, &n[k]) || trn_isa_expect(lx, ":") ||
        trn_isa_int(lx, step_lo, step_hi, &st[k]))
      return -1;
    ++k;
    if (trn_isa_accept(lx, "]")) break;
    if (trn_isa_expect(lx, ",")) return -1;
  }
  for (int d = 0; d < max_dims; ++d) {
    num[d] = d < k ? n[k - 1 - d] : 1;
    step[d] = d < k ? st[k - 1 - d] : 0;
  }
  *out_k = k;
  return 0;
}

/* space[start:end]+0xOFF dtype [dims] */
static int trn_isa_ap(trn_isa_lex_t *lx, trn_ap_t *ap) {
  memset(ap, 0, sizeof *ap);
  int64_t start, end, off;
  if (trn_isa_space(lx, &ap->space) || trn_isa_expect(lx, "[") ||
      trn_isa_int(lx, 0, 255, &start) || trn_isa_expect(lx, ":"))
    return -1;
  const char *at = lx->p;
  if (trn_isa_int(lx, 0, 510, &end)) return -1;
  if (end < start || end - start > 255)
    return trn_isa_lex_fail(lx, at, "partition end must be start..start+255");
  if (trn_isa_expect(lx, "]") || trn_isa_expect(lx, "+") ||
      trn_isa_int(lx, 0, UINT32_MAX, &off) || trn_isa_dtype(lx, &ap->dtype))
    return -1;
  ap->start_partition = (uint8_t)start;
  ap->num_partitions = (uint8_t)(end - start);
  ap->offset = (uint32_t)off;
  int64_t num[TRN_AP_DIMS], step[TRN_AP_DIMS];
  int k;
  if (trn_isa_dims(lx, TRN_AP_DIMS, UINT16_MAX, INT32_MIN, INT32_MAX, num, step, &k)) return -1;
  for (int d = 0; d < TRN_AP_DIMS; ++d) {
    ap->num[d] = (uint16_t)num[d];
    ap->step[d] = (int32_t)step[d];
  }
  return 0;
}

static int trn_isa_key(trn_isa_lex_t *lx, const char **out_key, size_t *out_len) {
  const char *s = lx->p;
  *out_len = trn_isa_ident(lx, out_key);
  if (*out_len == 0 || *lx->p != '=') return trn_isa_lex_fail(lx, s, "expected key=value");
  ++lx->p;
  return 0;
}

static bool trn_isa_key_is(const char *key, size_t len, const char *word) {
  return strlen(word) == len && memcmp(key, word, len) == 0;
}

static int trn_isa_op_value(trn_isa_lex_t *lx, unsigned opcode, int which, uint8_t *out) {
  const char *s = lx->p;
  if (isdigit((unsigned char)*s)) {
    int64_t v;
    if (trn_isa_int(lx, 0, 255, &v)) return -1;
    *out = (uint8_t)v;
    return 0;
  }
  size_t n = trn_isa_ident(lx, &s);
  int table = trn_isa_op_table(opcode, which);
  if (table == 2) {
    trn_act_t a;
    if (trn_isa_act_parse(s, n, &a)) {
      *out = (uint8_t)a;
      return 0;
    }
    return trn_isa_lex_fail(lx, s, "unknown activation function");
  }
  trn_alu_t a;
  if (trn_isa_alu_parse(s, n, &a)) {
    *out = (uint8_t)a;
    return 0;
  }
  return trn_isa_lex_fail(lx, s, "unknown ALU op");
}

int trn_isa_assemble_line(const char *line, trn_inst_t *out_inst, char *msg, size_t msg_size) {
  if (!line || !out_inst) return trn_isa_fail(msg, msg_size, "no line");
  trn_isa_lex_t lx = {line, line, msg, msg_size};
  trn_inst_t in;
  memset(&in, 0, sizeof in);
  in.wait_sem = TRN_SEM_NONE;
  in.signal_sem = TRN_SEM_NONE;
  trn_isa_skip_ws(&lx);
  const char *s;
  size_t n = trn_isa_ident(&lx, &s);
  const trn_opinfo_t *info = NULL;
  for (size_t i = 0; i < trn_isa_opcode_count(); ++i) {
    const trn_opinfo_t *r = trn_isa_opinfo_at(i);
    if (strlen(r->mnemonic) == n && memcmp(r->mnemonic, s, n) == 0) info = r;
  }
  if (!info) return trn_isa_lex_fail(&lx, s, "unknown mnemonic");
  in.opcode = (uint8_t)info->opcode;
  while (*lx.p == '.') {
    ++lx.p;
    n = trn_isa_ident(&lx, &s);
    size_t i = 0, count = sizeof trn_isa_flag_names / sizeof trn_isa_flag_names[0];
    while (i < count && !trn_isa_key_is(s, n, trn_isa_flag_names[i].name)) ++i;
    if (i == count) return trn_isa_lex_fail(&lx, s, "unknown flag (acc accum s0ap s1ap rev)");
    in.flags |= trn_isa_flag_names[i].bit;
  }
  if (*lx.p && !isspace((unsigned char)*lx.p) && *lx.p != '#' && *lx.p != ';')
    return trn_isa_lex_fail(&lx, lx.p, "expected whitespace after the mnemonic");
  unsigned seen = 0; /* one bit per key, to reject repeats */
  while (!trn_isa_at_end(&lx)) {
    const char *start = lx.p;
    const char *key;
    size_t klen;
    if (trn_isa_key(&lx, &key, &klen)) return -1;
    static const char *const keys[] = {"flags", "op0",  "op1",  "dst",  "src0", "src1",
                                       "imm0",  "imm1", "imm2", "imm3", "aux",  "wait",
                                       "signal"};
    unsigned k = 0;
    while (k < sizeof keys / sizeof keys[0] && !trn_isa_key_is(key, klen, keys[k])) ++k;
    if (k == sizeof keys / sizeof keys[0]) return trn_isa_lex_fail(&lx, start, "unknown key");
    if (seen & (1u << k)) return trn_isa_lex_fail(&lx, start, "repeated key");
    seen |= 1u << k;
    int64_t v = 0;
    int rc = 0;
    switch (k) {
    case 0:
      rc = trn_isa_int(&lx, 0, 255, &v);
      in.flags |= (uint8_t)v;
      break;
    case 1: rc = trn_isa_op_value(&lx, in.opcode, 0, &in.op0); break;
    case 2: rc = trn_isa_op_value(&lx, in.opcode, 1, &in.op1); break;
    case 3: rc = trn_isa_ap(&lx, &in.dst); break;
    case 4: rc = trn_isa_ap(&lx, &in.src0); break;
    case 5: rc = trn_isa_ap(&lx, &in.src1); break;
    case 6:
    case 7:
    case 8:
    case 9: rc = trn_isa_imm(&lx, trn_isa_imm_kind(in.opcode, (int)k - 6), &in.imm[k - 6]); break;
    case 10:
      rc = trn_isa_int(&lx, 0, 0xFFFFFF, &v);
      in.aux = (uint32_t)v;
      break;
    case 11:
      if (trn_isa_expect(&lx, "s") || trn_isa_int(&lx, 0, 255, &v)) return -1;
      in.wait_sem = (uint8_t)v;
      rc = trn_isa_expect(&lx, ">=") || trn_isa_int(&lx, 0, 0xFFFFFF, &v);
      in.wait_value = (uint32_t)v;
      break;
    case 12:
      rc = trn_isa_expect(&lx, "s") || trn_isa_int(&lx, 0, 255, &v);
      in.signal_sem = (uint8_t)v;
      break;
    }
    if (rc) return -1;
    if (*lx.p && !isspace((unsigned char)*lx.p) && *lx.p != '#' && *lx.p != ';')
      return trn_isa_lex_fail(&lx, lx.p, "expected whitespace after value");
  }
  *out_inst = in;
  return 0;
}

int trn_isa_dma_assemble_line(const char *line, trn_dma_desc_t *out_desc, char *msg,
                              size_t msg_size) {
  if (!line || !out_desc) return trn_isa_fail(msg, msg_size, "no line");
  trn_isa_lex_t lx = {line, line, msg, msg_size};
  trn_dma_desc_t d;
  memset(&d, 0, sizeof d);
  trn_isa_skip_ws(&lx);
  if (trn_isa_expect(&lx, ".desc")) return -1;
  int64_t num[2][TRN_DMA_DIMS], step[2][TRN_DMA_DIMS];
  int k[2];
  for (int side = 0; side < 2; ++side) {
    trn_isa_skip_ws(&lx);
    if (trn_isa_expect(&lx, side ? "dst=" : "src=")) return -1;
    uint8_t space = 0, dtype = 0;
    uint64_t addr = 0;
    if (trn_isa_space(&lx, &space) || trn_isa_expect(&lx, "+") || trn_isa_u64(&lx, &addr) ||
        trn_isa_dtype(&lx, &dtype))
      return -1;
    const char *at = lx.p;
    if (trn_isa_dims(&lx, TRN_DMA_DIMS, UINT32_MAX, INT64_MIN, INT64_MAX, num[side], step[side],
                     &k[side]))
      return -1;
    if (side == 1) {
      if (k[0] != k[1]) return trn_isa_lex_fail(&lx, at, "dst has a different number of dims");
      for (int i = 0; i < TRN_DMA_DIMS; ++i)
        if (num[0][i] != num[1][i]) return trn_isa_lex_fail(&lx, at, "dst dims differ from src");
    }
    if (side) {
      d.dst_space = space, d.dst_dtype = dtype, d.dst_addr = addr;
    } else {
      d.src_space = space, d.src_dtype = dtype, d.src_addr = addr;
    }
  }
  if (!trn_isa_at_end(&lx)) return trn_isa_lex_fail(&lx, lx.p, "unexpected text");
  for (int i = 0; i < TRN_DMA_DIMS; ++i) {
    d.num[i] = (uint32_t)num[0][i];
    d.src_step[i] = step[0][i];
    d.dst_step[i] = step[1][i];
  }
  *out_desc = d;
  return 0;
}
