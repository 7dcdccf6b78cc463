/* trn_isa operations <-> trn_inst_t / trn_dma_desc_t (attribute form documented in
 * trn_isa.irdl.mlir). */
#include <math.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "trn/dialects.h"

#define ISA_PREFIX "trn_isa."

static const struct {
  const char *name;
  uint8_t bit;
} kFlagNames[] = {
    {"acc", TRN_FLAG_ACC},     {"accum", TRN_FLAG_ACCUM},     {"s0_ap", TRN_FLAG_S0_AP},
    {"s1_ap", TRN_FLAG_S1_AP}, {"reverse", TRN_FLAG_REVERSE},
};

static int fail(char *msg, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *msg, size_t size, const char *fmt, ...) {
  if (msg && size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, size, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static bool str_eq(MlirStringRef s, const char *c) {
  size_t n = strlen(c);
  return s.length == n && memcmp(s.data, c, n) == 0;
}

bool trn_dialects_isa_is_inst(MlirOperation op, trn_opcode_t *out_opcode) {
  MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
  size_t plen = strlen(ISA_PREFIX);
  if (name.length <= plen || memcmp(name.data, ISA_PREFIX, plen) != 0) return false;
  MlirStringRef mnem = {name.data + plen, name.length - plen};
  for (size_t i = 0; i < trn_isa_opcode_count(); i++) {
    const trn_opinfo_t *info = trn_isa_opinfo_at(i);
    if (info && str_eq(mnem, info->mnemonic)) {
      if (out_opcode) *out_opcode = info->opcode;
      return true;
    }
  }
  return false;
}

/* ---- reading ------------------------------------------------------------------ */

static int read_int(MlirAttribute a, const char *what, int64_t *out, char *msg, size_t size) {
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAInteger(a))
    return fail(msg, size, "attribute '%s' must be an integer", what);
  *out = mlirIntegerAttrGetValueInt(a);
  return 0;
}

/* Reads an i64 dense array of at most `max` elements into out (rest filled with
 * `fill`); *out_n gets the length. */
static int read_array(MlirAttribute a, const char *what, int64_t *out, size_t max, int64_t fill,
                      size_t *out_n, char *msg, size_t size) {
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseI64Array(a))
    return fail(msg, size, "attribute '%s' must be array<i64: ...>", what);
  intptr_t n = mlirDenseArrayGetNumElements(a);
  if (n < 0 || (size_t)n > max)
    return fail(msg, size, "attribute '%s' has %ld elements (at most %zu)", what, (long)n, max);
  for (size_t i = 0; i < max; i++) out[i] = i < (size_t)n ? mlirDenseI64ArrayGetElement(a, (intptr_t)i) : fill;
  if (out_n) *out_n = (size_t)n;
  return 0;
}

static int parse_space(MlirAttribute a, const char *what, uint8_t *out, char *msg, size_t size) {
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAString(a))
    return fail(msg, size, "'%s' must be a string (\"sbuf\", \"psum\", \"hbm\")", what);
  MlirStringRef s = mlirStringAttrGetValue(a);
  for (int sp = TRN_SPACE_NONE; sp <= TRN_SPACE_HBM; sp++) {
    if (str_eq(s, trn_isa_space_name((trn_space_t)sp))) {
      *out = (uint8_t)sp;
      return 0;
    }
  }
  return fail(msg, size, "'%s': unknown memory space '%.*s'", what, (int)s.length, s.data);
}

static int parse_dtype(MlirAttribute a, const char *what, uint8_t *out, char *msg, size_t size) {
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAString(a))
    return fail(msg, size, "'%s' must be a dtype string (\"fp32\", \"bf16\", ...)", what);
  MlirStringRef s = mlirStringAttrGetValue(a);
  trn_dtype_t dt;
  if (!trn_isa_dtype_parse(s.data, s.length, &dt))
    return fail(msg, size, "'%s': unknown dtype '%.*s'", what, (int)s.length, s.data);
  *out = (uint8_t)dt;
  return 0;
}

static MlirAttribute dict_get(MlirAttribute dict, const char *name) {
  return mlirDictionaryAttrGetElementByName(dict, mlirStringRefCreateFromCString(name));
}

static int read_ap(MlirAttribute d, const char *what, trn_ap_t *ap, char *msg, size_t size) {
  char sub[256];
  memset(ap, 0, sizeof *ap);
  if (mlirAttributeIsNull(d)) return 0; /* unused operand: all zero */
  if (!mlirAttributeIsADictionary(d)) return fail(msg, size, "operand '%s' must be a dictionary", what);
  if (parse_space(dict_get(d, "space"), "space", &ap->space, sub, sizeof sub) ||
      parse_dtype(dict_get(d, "dtype"), "dtype", &ap->dtype, sub, sizeof sub))
    return fail(msg, size, "operand '%s': %s", what, sub);
  int64_t part[2] = {0}, num[TRN_AP_DIMS] = {0}, step[TRN_AP_DIMS] = {0}, offset = 0;
  MlirAttribute off = dict_get(d, "offset");
  if (!mlirAttributeIsNull(off) && read_int(off, "offset", &offset, sub, sizeof sub))
    return fail(msg, size, "operand '%s': %s", what, sub);
  if (read_array(dict_get(d, "part"), "part", part, 2, 0, NULL, sub, sizeof sub) ||
      read_array(dict_get(d, "num"), "num", num, TRN_AP_DIMS, 1, NULL, sub, sizeof sub))
    return fail(msg, size, "operand '%s': %s", what, sub);
  MlirAttribute st = dict_get(d, "step");
  if (mlirAttributeIsNull(st)) {
    for (int i = 0; i < TRN_AP_DIMS; i++) step[i] = 0;
  } else if (read_array(st, "step", step, TRN_AP_DIMS, 0, NULL, sub, sizeof sub)) {
    return fail(msg, size, "operand '%s': %s", what, sub);
  }
  if (part[0] < 0 || part[0] > 255 || part[1] < 0 || part[1] > 255)
    return fail(msg, size, "operand '%s': partitions [%lld, +%lld] out of range", what,
                (long long)part[0], (long long)part[1]);
  if (offset < 0 || offset > (int64_t)UINT32_MAX)
    return fail(msg, size, "operand '%s': offset %lld out of range", what, (long long)offset);
  ap->start_partition = (uint8_t)part[0];
  ap->num_partitions = (uint8_t)part[1];
  ap->offset = (uint32_t)offset;
  for (int i = 0; i < TRN_AP_DIMS; i++) {
    if (num[i] < 1 || num[i] > UINT16_MAX)
      return fail(msg, size, "operand '%s': num[%d] = %lld out of range", what, i, (long long)num[i]);
    if (step[i] < INT32_MIN || step[i] > INT32_MAX)
      return fail(msg, size, "operand '%s': step[%d] out of range", what, i);
    ap->num[i] = (uint16_t)num[i];
    ap->step[i] = (int32_t)step[i];
  }
  return 0;
}

int trn_dialects_isa_read(MlirOperation op, trn_inst_t *out_inst, uint32_t *out_stream,
                          char *msg, size_t msg_size) {
  trn_opcode_t opcode;
  memset(out_inst, 0, sizeof *out_inst);
  out_inst->wait_sem = TRN_SEM_NONE;
  out_inst->signal_sem = TRN_SEM_NONE;
  if (!trn_dialects_isa_is_inst(op, &opcode)) return fail(msg, msg_size, "not a trn_isa instruction");
  out_inst->opcode = (uint8_t)opcode;

  int64_t v = 0;
  if (read_int(mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("stream")), "stream", &v,
               msg, msg_size))
    return -1;
  if (v < 0 || v >= TRN_MAX_STREAMS) return fail(msg, msg_size, "stream %lld out of range", (long long)v);
  *out_stream = (uint32_t)v;

  const char *opnames[2] = {"op0", "op1"};
  uint8_t *opfields[2] = {&out_inst->op0, &out_inst->op1};
  for (int i = 0; i < 2; i++) {
    MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(opnames[i]));
    if (mlirAttributeIsNull(a)) continue;
    if (mlirAttributeIsAInteger(a)) {
      *opfields[i] = (uint8_t)mlirIntegerAttrGetValueInt(a);
      continue;
    }
    if (!mlirAttributeIsAString(a)) return fail(msg, msg_size, "attribute '%s' must be a string", opnames[i]);
    MlirStringRef s = mlirStringAttrGetValue(a);
    bool ok;
    if (opcode == TRN_OP_ACTIVATE && i == 0) {
      trn_act_t act;
      ok = trn_isa_act_parse(s.data, s.length, &act);
      *opfields[i] = (uint8_t)act;
    } else {
      trn_alu_t alu;
      ok = trn_isa_alu_parse(s.data, s.length, &alu);
      *opfields[i] = (uint8_t)alu;
    }
    if (!ok) return fail(msg, msg_size, "attribute '%s': unknown operation '%.*s'", opnames[i], (int)s.length, s.data);
  }

  MlirAttribute flags = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("flags"));
  if (!mlirAttributeIsNull(flags)) {
    if (mlirAttributeIsAInteger(flags)) {
      out_inst->flags = (uint8_t)mlirIntegerAttrGetValueInt(flags);
    } else if (mlirAttributeIsAArray(flags)) {
      for (intptr_t i = 0; i < mlirArrayAttrGetNumElements(flags); i++) {
        MlirAttribute f = mlirArrayAttrGetElement(flags, i);
        bool found = false;
        if (mlirAttributeIsAString(f)) {
          MlirStringRef s = mlirStringAttrGetValue(f);
          for (size_t k = 0; k < sizeof kFlagNames / sizeof kFlagNames[0]; k++) {
            if (str_eq(s, kFlagNames[k].name)) {
              out_inst->flags |= kFlagNames[k].bit;
              found = true;
            }
          }
        }
        if (!found) return fail(msg, msg_size, "attribute 'flags': element %ld is not a known flag", (long)i);
      }
    } else {
      return fail(msg, msg_size, "attribute 'flags' must be an array of strings");
    }
  }

  MlirAttribute imm = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("imm"));
  if (!mlirAttributeIsNull(imm)) {
    if (!mlirAttributeIsAArray(imm) || mlirArrayAttrGetNumElements(imm) > 4)
      return fail(msg, msg_size, "attribute 'imm' must be an array of at most 4 values");
    for (intptr_t i = 0; i < mlirArrayAttrGetNumElements(imm); i++) {
      MlirAttribute e = mlirArrayAttrGetElement(imm, i);
      if (mlirAttributeIsAFloat(e)) {
        float f = (float)mlirFloatAttrGetValueDouble(e);
        memcpy(&out_inst->imm[i], &f, 4);
      } else if (mlirAttributeIsAInteger(e)) {
        out_inst->imm[i] = (uint32_t)(int32_t)mlirIntegerAttrGetValueInt(e);
      } else {
        return fail(msg, msg_size, "attribute 'imm': element %ld must be a float or an integer", (long)i);
      }
    }
  }

  const char *apnames[3] = {"dst", "src0", "src1"};
  trn_ap_t *aps[3] = {&out_inst->dst, &out_inst->src0, &out_inst->src1};
  for (int i = 0; i < 3; i++) {
    if (read_ap(mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(apnames[i])), apnames[i],
                aps[i], msg, msg_size))
      return -1;
  }

  MlirAttribute wait = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("wait"));
  if (!mlirAttributeIsNull(wait)) {
    int64_t w[2] = {0};
    size_t n = 0;
    if (read_array(wait, "wait", w, 2, 0, &n, msg, msg_size)) return -1;
    if (n != 2 || w[0] < 0 || w[0] >= TRN_SEM_NONE || w[1] < 0 || w[1] > 0xFFFFFF)
      return fail(msg, msg_size, "attribute 'wait' must be array<i64: semaphore, value> in range");
    out_inst->wait_sem = (uint8_t)w[0];
    out_inst->wait_value = (uint32_t)w[1];
  }
  MlirAttribute sig = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("signal"));
  if (!mlirAttributeIsNull(sig)) {
    if (read_int(sig, "signal", &v, msg, msg_size)) return -1;
    if (v < 0 || v >= TRN_SEM_NONE) return fail(msg, msg_size, "attribute 'signal': semaphore %lld out of range", (long long)v);
    out_inst->signal_sem = (uint8_t)v;
  }
  return 0;
}

static MlirAttribute dma_descs(MlirOperation op) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("descriptors"));
  return (!mlirAttributeIsNull(a) && mlirAttributeIsAArray(a)) ? a : (MlirAttribute){NULL};
}

size_t trn_dialects_isa_dma_count(MlirOperation op) {
  MlirAttribute a = dma_descs(op);
  return mlirAttributeIsNull(a) ? 0 : (size_t)mlirArrayAttrGetNumElements(a);
}

int trn_dialects_isa_read_dma(MlirOperation op, size_t index, trn_dma_desc_t *out, char *msg,
                              size_t msg_size) {
  char sub[256];
  memset(out, 0, sizeof *out);
  MlirAttribute arr = dma_descs(op);
  if (mlirAttributeIsNull(arr) || index >= (size_t)mlirArrayAttrGetNumElements(arr))
    return fail(msg, msg_size, "descriptor %zu does not exist", index);
  MlirAttribute d = mlirArrayAttrGetElement(arr, (intptr_t)index);
  if (!mlirAttributeIsADictionary(d)) return fail(msg, msg_size, "descriptor %zu must be a dictionary", index);
  int64_t num[TRN_DMA_DIMS] = {0}, ss[TRN_DMA_DIMS] = {0}, ds[TRN_DMA_DIMS] = {0}, sa = 0, da = 0;
  if (parse_space(dict_get(d, "src_space"), "src_space", &out->src_space, sub, sizeof sub) ||
      parse_space(dict_get(d, "dst_space"), "dst_space", &out->dst_space, sub, sizeof sub) ||
      parse_dtype(dict_get(d, "src_dtype"), "src_dtype", &out->src_dtype, sub, sizeof sub) ||
      parse_dtype(dict_get(d, "dst_dtype"), "dst_dtype", &out->dst_dtype, sub, sizeof sub) ||
      read_int(dict_get(d, "src_addr"), "src_addr", &sa, sub, sizeof sub) ||
      read_int(dict_get(d, "dst_addr"), "dst_addr", &da, sub, sizeof sub) ||
      read_array(dict_get(d, "num"), "num", num, TRN_DMA_DIMS, 1, NULL, sub, sizeof sub) ||
      read_array(dict_get(d, "src_step"), "src_step", ss, TRN_DMA_DIMS, 0, NULL, sub, sizeof sub) ||
      read_array(dict_get(d, "dst_step"), "dst_step", ds, TRN_DMA_DIMS, 0, NULL, sub, sizeof sub))
    return fail(msg, msg_size, "descriptor %zu: %s", index, sub);
  if (sa < 0 || da < 0) return fail(msg, msg_size, "descriptor %zu: negative address", index);
  out->src_addr = (uint64_t)sa;
  out->dst_addr = (uint64_t)da;
  for (int i = 0; i < TRN_DMA_DIMS; i++) {
    if (num[i] < 1 || num[i] > UINT32_MAX)
      return fail(msg, msg_size, "descriptor %zu: num[%d] = %lld out of range", index, i, (long long)num[i]);
    out->num[i] = (uint32_t)num[i];
    out->src_step[i] = ss[i];
    out->dst_step[i] = ds[i];
  }
  return 0;
}

/* ---- building ----------------------------------------------------------------- */

typedef struct attrs_t {
  MlirContext ctx;
  MlirNamedAttribute items[16];
  size_t n;
} attrs_t;

static void attrs_add(attrs_t *a, const char *name, MlirAttribute value) {
  if (a->n < sizeof a->items / sizeof a->items[0])
    a->items[a->n++] = mlirNamedAttributeGet(mlirIdentifierGet(a->ctx, mlirStringRefCreateFromCString(name)), value);
}

static MlirAttribute i64_attr(MlirContext ctx, int64_t v) {
  return mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), v);
}

static MlirAttribute str_attr(MlirContext ctx, const char *s) {
  return mlirStringAttrGet(ctx, mlirStringRefCreateFromCString(s));
}

static MlirAttribute ap_attr(MlirContext ctx, const trn_ap_t *ap) {
  attrs_t a = {.ctx = ctx};
  int64_t part[2] = {ap->start_partition, ap->num_partitions};
  int64_t num[TRN_AP_DIMS], step[TRN_AP_DIMS];
  int dims = 1;
  for (int i = 0; i < TRN_AP_DIMS; i++) {
    num[i] = ap->num[i];
    step[i] = ap->step[i];
    if (ap->num[i] != 1 || ap->step[i] != 0) dims = i + 1;
  }
  attrs_add(&a, "space", str_attr(ctx, trn_isa_space_name((trn_space_t)ap->space)));
  attrs_add(&a, "dtype", str_attr(ctx, trn_isa_dtype_name((trn_dtype_t)ap->dtype)));
  attrs_add(&a, "part", mlirDenseI64ArrayGet(ctx, 2, part));
  attrs_add(&a, "offset", i64_attr(ctx, ap->offset));
  attrs_add(&a, "num", mlirDenseI64ArrayGet(ctx, dims, num));
  attrs_add(&a, "step", mlirDenseI64ArrayGet(ctx, dims, step));
  return mlirDictionaryAttrGet(ctx, (intptr_t)a.n, a.items);
}

static MlirAttribute desc_attr(MlirContext ctx, const trn_dma_desc_t *d) {
  attrs_t a = {.ctx = ctx};
  int64_t num[TRN_DMA_DIMS];
  int dims = 1;
  for (int i = 0; i < TRN_DMA_DIMS; i++) {
    num[i] = d->num[i];
    if (d->num[i] != 1 || d->src_step[i] != 0 || d->dst_step[i] != 0) dims = i + 1;
  }
  attrs_add(&a, "src_space", str_attr(ctx, trn_isa_space_name((trn_space_t)d->src_space)));
  attrs_add(&a, "dst_space", str_attr(ctx, trn_isa_space_name((trn_space_t)d->dst_space)));
  attrs_add(&a, "src_dtype", str_attr(ctx, trn_isa_dtype_name((trn_dtype_t)d->src_dtype)));
  attrs_add(&a, "dst_dtype", str_attr(ctx, trn_isa_dtype_name((trn_dtype_t)d->dst_dtype)));
  attrs_add(&a, "src_addr", i64_attr(ctx, (int64_t)d->src_addr));
  attrs_add(&a, "dst_addr", i64_attr(ctx, (int64_t)d->dst_addr));
  attrs_add(&a, "num", mlirDenseI64ArrayGet(ctx, dims, num));
  attrs_add(&a, "src_step", mlirDenseI64ArrayGet(ctx, dims, d->src_step));
  attrs_add(&a, "dst_step", mlirDenseI64ArrayGet(ctx, dims, d->dst_step));
  return mlirDictionaryAttrGet(ctx, (intptr_t)a.n, a.items);
}

/* Which immediates are fp32 values (bit i = imm[i]); the others print as integers. */
static unsigned float_imms(const trn_inst_t *inst) {
  switch (inst->opcode) {
  case TRN_OP_ACTIVATE: return 0x3;
  case TRN_OP_TENSOR_SCALAR: return 0x3; /* fp32 values, converted when computing in int32 */
  case TRN_OP_SELECT: return 0x1;
  case TRN_OP_AFFINE_SELECT: return 0x8;
  case TRN_OP_MEMSET: return inst->dst.dtype == TRN_DTYPE_FP32 ? 0x1 : 0;
  default: return 0;
  }
}

MlirOperation trn_dialects_isa_build(MlirContext ctx, MlirLocation loc, const trn_inst_t *inst,
                                     uint32_t stream, const trn_dma_desc_t *descs,
                                     size_t desc_count) {
  const trn_opinfo_t *info = trn_isa_opinfo(inst->opcode);
  char name[64];
  snprintf(name, sizeof name, ISA_PREFIX "%s", info ? info->mnemonic : "nop");
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString(name), loc);
  attrs_t a = {.ctx = ctx};
  attrs_add(&a, "stream", i64_attr(ctx, stream));
  if (info && inst->opcode == TRN_OP_ACTIVATE) {
    attrs_add(&a, "op0", str_attr(ctx, trn_isa_act_name(inst->op0) ? trn_isa_act_name(inst->op0) : "copy"));
  } else if (info && (inst->op0 || inst->op1 || info->format == TRN_FMT_T3 || info->format == TRN_FMT_TS)) {
    const char *n0 = trn_isa_alu_name(inst->op0), *n1 = trn_isa_alu_name(inst->op1);
    attrs_add(&a, "op0", n0 ? str_attr(ctx, n0) : i64_attr(ctx, inst->op0));
    if (inst->op1 || info->format == TRN_FMT_TS) attrs_add(&a, "op1", n1 ? str_attr(ctx, n1) : i64_attr(ctx, inst->op1));
  }
  if (inst->flags) {
    MlirAttribute fl[8];
    intptr_t nf = 0;
    for (size_t k = 0; k < sizeof kFlagNames / sizeof kFlagNames[0]; k++)
      if (inst->flags & kFlagNames[k].bit) fl[nf++] = str_attr(ctx, kFlagNames[k].name);
    attrs_add(&a, "flags", mlirArrayAttrGet(ctx, nf, fl));
  }
  if (inst->opcode != TRN_OP_DMA) {
    int nimm = 0;
    for (int i = 0; i < 4; i++)
      if (inst->imm[i]) nimm = i + 1;
    if (nimm) {
      MlirAttribute im[4];
      unsigned fmask = float_imms(inst);
      for (int i = 0; i < nimm; i++) {
        float f;
        memcpy(&f, &inst->imm[i], 4);
        if ((fmask >> i & 1) && !isnan(f))
          im[i] = mlirFloatAttrDoubleGet(ctx, mlirF32TypeGet(ctx), (double)f);
        else
          im[i] = mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 32), (int32_t)inst->imm[i]);
      }
      attrs_add(&a, "imm", mlirArrayAttrGet(ctx, nimm, im));
    }
    if (inst->dst.space != TRN_SPACE_NONE) attrs_add(&a, "dst", ap_attr(ctx, &inst->dst));
    if (inst->src0.space != TRN_SPACE_NONE) attrs_add(&a, "src0", ap_attr(ctx, &inst->src0));
    if (inst->src1.space != TRN_SPACE_NONE) attrs_add(&a, "src1", ap_attr(ctx, &inst->src1));
  } else {
    MlirAttribute *items = desc_count ? (MlirAttribute *)calloc(desc_count, sizeof *items) : NULL;
    for (size_t i = 0; items && i < desc_count; i++) items[i] = desc_attr(ctx, &descs[i]);
    attrs_add(&a, "descriptors", mlirArrayAttrGet(ctx, items ? (intptr_t)desc_count : 0, items));
    free(items);
  }
  if (inst->wait_sem != TRN_SEM_NONE) {
    int64_t w[2] = {inst->wait_sem, inst->wait_value};
    attrs_add(&a, "wait", mlirDenseI64ArrayGet(ctx, 2, w));
  }
  if (inst->signal_sem != TRN_SEM_NONE) attrs_add(&a, "signal", i64_attr(ctx, inst->signal_sem));
  mlirOperationStateAddAttributes(&st, (intptr_t)a.n, a.items);
  return mlirOperationCreate(&st);
}

void trn_dialects_isa_set_sync(MlirOperation op, uint8_t wait_sem, uint32_t wait_value,
                               uint8_t signal_sem) {
  MlirContext ctx = mlirOperationGetContext(op);
  MlirStringRef wn = mlirStringRefCreateFromCString("wait"), sn = mlirStringRefCreateFromCString("signal");
  if (wait_sem == TRN_SEM_NONE) {
    mlirOperationRemoveAttributeByName(op, wn);
  } else {
    int64_t w[2] = {wait_sem, wait_value};
    mlirOperationSetAttributeByName(op, wn, mlirDenseI64ArrayGet(ctx, 2, w));
  }
  if (signal_sem == TRN_SEM_NONE)
    mlirOperationRemoveAttributeByName(op, sn);
  else
    mlirOperationSetAttributeByName(op, sn, i64_attr(ctx, signal_sem));
}
