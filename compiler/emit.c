/* Emission: an ISA-level module (trn_isa ops, see dialects/trn_isa.irdl.mlir) -> the
 * .neff writer. Every instruction is checked with trn_isa_inst_check before it is
 * appended; a failure there is an internal compiler error naming the op. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "trn/dialects.h"
#include "trn/passes.h"

static bool name_is(MlirOperation op, const char *name) {
  MlirStringRef s = mlirIdentifierStr(mlirOperationGetName(op));
  size_t n = strlen(name);
  return s.length == n && memcmp(s.data, name, n) == 0;
}

static MlirAttribute attr(MlirOperation op, const char *name) {
  return mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(name));
}

static bool int_attr(MlirOperation op, const char *name, int64_t *out) {
  MlirAttribute a = attr(op, name);
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAInteger(a)) return false;
  *out = mlirIntegerAttrGetValueInt(a);
  return true;
}

/* "<location>: <op name>" for messages. */
static void describe(MlirOperation op, char *buf, size_t size) {
  char loc[256];
  trn_diag_format_location(mlirOperationGetLocation(op), loc, sizeof loc);
  MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
  snprintf(buf, size, "%s: '%.*s'", loc, (int)n.length, n.data);
}

/* ---- constants ---------------------------------------------------------------- */

/* The bytes of an elements attribute in a malloc'ed buffer (little-endian host). */
static trn_status_t elements_bytes(MlirOperation op, MlirAttribute v, trn_dtype_t *out_dtype, void **out,
                                   size_t *out_size) {
  char where[320];
  *out = NULL;
  *out_size = 0;
  describe(op, where, sizeof where);
  if (mlirAttributeIsNull(v) || !mlirAttributeIsAElements(v))
    return trn_status_make(TRN_ERR_INTERNAL, "%s: constant without an elements value", where);
  MlirType type = mlirAttributeGetType(v);
  trn_dtype_t dt;
  if (!trn_dialects_dtype_of(mlirShapedTypeGetElementType(type), &dt))
    return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: constant of an unsupported element type", where);
  size_t es = trn_isa_dtype_size(dt);
  if (!mlirShapedTypeHasStaticShape(type))
    return trn_status_make(TRN_ERR_INTERNAL, "%s: constant of dynamic shape", where);
  int64_t n = 1;
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(type); i++) n *= mlirShapedTypeGetDimSize(type, i);
  size_t size = (size_t)n * es;
  uint8_t *buf = malloc(size ? size : 1);
  if (!buf) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: %zu bytes for a constant", where, size);
  if (mlirAttributeIsADenseResourceElements(v)) {
    for (int64_t i = 0; i < n; i++) {
      switch (dt) {
      case TRN_DTYPE_FP32: {
        float f = mlirDenseFloatResourceElementsAttrGetValue(v, i);
        memcpy(buf + i * 4, &f, 4);
        break;
      }
      case TRN_DTYPE_INT32: {
        int32_t x = mlirDenseInt32ResourceElementsAttrGetValue(v, i);
        memcpy(buf + i * 4, &x, 4);
        break;
      }
      case TRN_DTYPE_INT8: buf[i] = (uint8_t)mlirDenseInt8ResourceElementsAttrGetValue(v, i); break;
      case TRN_DTYPE_UINT8: buf[i] = mlirDenseUInt8ResourceElementsAttrGetValue(v, i); break;
      default:
        free(buf);
        return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: dense_resource constants of %s are not supported yet",
                               where, trn_isa_dtype_name(dt));
      }
    }
  } else if (mlirAttributeIsADenseElements(v) && mlirTypeIsAInteger(mlirShapedTypeGetElementType(type)) &&
             mlirIntegerTypeGetWidth(mlirShapedTypeGetElementType(type)) == 1) {
    /* i1 (booleans, u8 0/1 on chip): MLIR bit-packs their raw data (and stores a true
     * splat as 0xff), so read them element by element. */
    bool splat = mlirDenseElementsAttrIsSplat(v);
    for (int64_t i = 0; i < n; i++)
      buf[i] = (splat ? mlirDenseElementsAttrGetBoolSplatValue(v) : mlirDenseElementsAttrGetBoolValue(v, i)) ? 1 : 0;
  } else if (mlirAttributeIsADenseElements(v)) {
    const uint8_t *raw = mlirDenseElementsAttrGetRawData(v);
    if (mlirDenseElementsAttrIsSplat(v)) {
      for (int64_t i = 0; i < n; i++) memcpy(buf + (size_t)i * es, raw, es);
    } else {
      memcpy(buf, raw, size);
    }
  } else {
    free(buf);
    return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: constant attribute kind not supported", where);
  }
  *out_dtype = dt;
  *out = buf;
  *out_size = size;
  return NULL;
}

/* ---- inputs and outputs ------------------------------------------------------- */

typedef struct io_t {
  int64_t index;
  trn_rt_tensor_info_t info;
  char name[256];
} io_t;

static trn_status_t read_io(MlirOperation op, io_t *io) {
  char where[320];
  describe(op, where, sizeof where);
  memset(io, 0, sizeof *io);
  MlirAttribute name = attr(op, "name"), type = attr(op, "type");
  int64_t off;
  if (mlirAttributeIsNull(name) || !mlirAttributeIsAString(name) || mlirAttributeIsNull(type) ||
      !mlirAttributeIsAType(type) || !int_attr(op, "index", &io->index) || !int_attr(op, "hbm_offset", &off) ||
      off < 0)
    return trn_status_make(TRN_ERR_INTERNAL, "%s: needs name, index, type and hbm_offset", where);
  MlirStringRef s = mlirStringAttrGetValue(name);
  snprintf(io->name, sizeof io->name, "%.*s", (int)s.length, s.data);
  MlirType t = mlirTypeAttrGetValue(type);
  if (!mlirTypeIsARankedTensor(t) || !mlirShapedTypeHasStaticShape(t) || mlirShapedTypeGetRank(t) > TRN_MAX_RANK ||
      !trn_dialects_dtype_of(mlirShapedTypeGetElementType(t), &io->info.dtype))
    return trn_status_make(TRN_ERR_INTERNAL, "%s: type must be a static tensor of a supported dtype", where);
  io->info.rank = (uint32_t)mlirShapedTypeGetRank(t);
  io->info.bytes = trn_isa_dtype_size(io->info.dtype);
  for (uint32_t i = 0; i < io->info.rank; i++) {
    io->info.dims[i] = mlirShapedTypeGetDimSize(t, i);
    io->info.bytes *= (uint64_t)io->info.dims[i];
  }
  io->info.hbm_offset = (uint64_t)off;
  return NULL;
}

static int cmp_io(const void *a, const void *b) {
  const io_t *x = a, *y = b;
  return x->index < y->index ? -1 : x->index > y->index;
}

static trn_status_t add_ios(trn_rt_writer_t *w, io_t *ios, size_t n, bool inputs) {
  if (n > 1) qsort(ios, n, sizeof *ios, cmp_io);
  for (size_t i = 0; i < n; i++) {
    ios[i].info.name = ios[i].name;
    TRN_RETURN_IF_ERROR(inputs ? trn_rt_writer_add_input(w, &ios[i].info) : trn_rt_writer_add_output(w, &ios[i].info));
  }
  return NULL;
}

static trn_status_t push_io(io_t **list, size_t *n, MlirOperation op) {
  io_t *l = realloc(*list, (*n + 1) * sizeof *l);
  if (!l) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "out of memory");
  *list = l;
  TRN_RETURN_IF_ERROR(read_io(op, &l[*n]));
  (*n)++;
  return NULL;
}

/* ---- the module --------------------------------------------------------------- */

static MlirOperation find_func(MlirModule module) {
  MlirOperation found = {NULL};
  MlirBlock body = mlirModuleGetBody(module);
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (!name_is(op, "func.func")) continue;
    if (mlirBlockIsNull(mlirRegionGetFirstBlock(mlirOperationGetRegion(op, 0)))) continue;
    if (!mlirOperationIsNull(found)) return (MlirOperation){NULL};
    found = op;
  }
  return found;
}

static trn_status_t emit_op(MlirOperation op, const trn_target_t *target, trn_rt_writer_t *w, uint64_t *hbm_end,
                            io_t **ins, size_t *nin, io_t **outs, size_t *nout) {
  char where[320], msg[512];
  if (name_is(op, "func.return")) return NULL;
  if (name_is(op, "trn_isa.input") || name_is(op, "trn_isa.output")) {
    bool in = name_is(op, "trn_isa.input");
    TRN_RETURN_IF_ERROR(in ? push_io(ins, nin, op) : push_io(outs, nout, op));
    const io_t *io = in ? &(*ins)[*nin - 1] : &(*outs)[*nout - 1];
    if (io->info.hbm_offset + io->info.bytes > *hbm_end) *hbm_end = io->info.hbm_offset + io->info.bytes;
    return NULL;
  }
  describe(op, where, sizeof where);
  if (name_is(op, "trn_isa.const")) {
    int64_t off;
    if (!int_attr(op, "hbm_offset", &off) || off < 0)
      return trn_status_make(TRN_ERR_INTERNAL, "%s: constant without hbm_offset", where);
    void *data;
    size_t size;
    trn_dtype_t dt;
    TRN_RETURN_IF_ERROR(elements_bytes(op, attr(op, "value"), &dt, &data, &size));
    trn_status_t s = trn_rt_writer_add_constant(w, (uint64_t)off, data, size);
    free(data);
    if ((uint64_t)off + size > *hbm_end) *hbm_end = (uint64_t)off + size;
    return s;
  }
  trn_inst_t inst;
  uint32_t stream;
  if (!trn_dialects_isa_is_inst(op, NULL))
    return trn_status_make(TRN_ERR_INTERNAL, "%s: not an ISA-level operation (run the pipeline to the ISA stage)",
                           where);
  if (trn_dialects_isa_read(op, &inst, &stream, msg, sizeof msg))
    return trn_status_make(TRN_ERR_INTERNAL, "%s: %s", where, msg);
  if (inst.opcode == TRN_OP_DMA) {
    size_t n = trn_dialects_isa_dma_count(op);
    trn_dma_desc_t *descs = calloc(n ? n : 1, sizeof *descs);
    if (!descs) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", where);
    for (size_t i = 0; i < n; i++) {
      if (trn_dialects_isa_read_dma(op, i, &descs[i], msg, sizeof msg)) {
        free(descs);
        return trn_status_make(TRN_ERR_INTERNAL, "%s: %s", where, msg);
      }
    }
    uint32_t first = 0;
    trn_status_t s = trn_rt_writer_append_dma(w, descs, n, &first);
    free(descs);
    TRN_RETURN_IF_ERROR(s);
    inst.aux = first;
    inst.imm[0] = (uint32_t)n;
  }
  if (trn_isa_inst_check(&inst, stream, target, msg, sizeof msg))
    return trn_status_make(TRN_ERR_INTERNAL, "internal compiler error: %s: instruction fails the ISA check: %s",
                           where, msg);
  return trn_rt_writer_append(w, stream, &inst, 1);
}

trn_status_t trn_compiler_emit_to_writer(trn_compiler_t *compiler, MlirModule module, trn_rt_writer_t *writer) {
  if (!compiler || mlirModuleIsNull(module) || !writer)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "emit: NULL compiler, module or writer");
  const trn_target_t *target = trn_compiler_options(compiler)->pass.target;
  MlirOperation mop = mlirModuleGetOperation(module);
  MlirAttribute tname = attr(mop, "trn.target");
  if (!mlirAttributeIsNull(tname) && mlirAttributeIsAString(tname)) {
    MlirStringRef s = mlirStringAttrGetValue(tname);
    if (s.length != strlen(target->name) || memcmp(s.data, target->name, s.length) != 0)
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "emit: the module was lowered for target '%.*s', not '%s'",
                             (int)s.length, s.data, target->name);
  }
  MlirOperation fn = find_func(module);
  if (mlirOperationIsNull(fn))
    return trn_status_make(TRN_ERR_INTERNAL, "emit: expected exactly one function with a body in the module");

  io_t *ins = NULL, *outs = NULL;
  size_t nin = 0, nout = 0;
  uint64_t hbm_end = 0;
  trn_status_t s = NULL;
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  MlirLocation last = {NULL};
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op) && !s;
       op = mlirOperationGetNextInBlock(op)) {
    /* Each instruction's layer is the ONNX node its op's location names. */
    MlirLocation loc = mlirOperationGetLocation(op);
    if (trn_dialects_isa_is_inst(op, NULL) &&
        (mlirLocationIsNull(last) || !mlirLocationEqual(loc, last))) {
      trn_location_parts_t parts;
      trn_passes_location_parts(loc, &parts);
      s = trn_rt_writer_set_layer(writer, parts.name[0] ? parts.name : NULL);
      last = loc;
    }
    if (!s) s = emit_op(op, target, writer, &hbm_end, &ins, &nin, &outs, &nout);
  }
  if (!s) s = add_ios(writer, ins, nin, true);
  if (!s) s = add_ios(writer, outs, nout, false);
  if (!s) {
    int64_t size = 0;
    if (int_attr(mop, "trn.hbm_size", &size) && size > 0 && (uint64_t)size >= hbm_end)
      hbm_end = (uint64_t)size;
    trn_rt_writer_set_hbm_size(writer, hbm_end);
  }
  free(ins);
  free(outs);
  return s;
}

trn_status_t trn_compiler_emit_neff(trn_compiler_t *compiler, MlirModule module, const uint8_t *source_hash,
                                    const char *path) {
  if (!compiler || !path) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "emit: NULL compiler or path");
  static const uint8_t kZero[32] = {0};
  trn_rt_writer_t *writer = NULL;
  TRN_RETURN_IF_ERROR(trn_rt_writer_create(trn_compiler_options(compiler)->pass.target, &writer));
  trn_status_t s = trn_compiler_emit_to_writer(compiler, module, writer);
  if (!s) {
    trn_rt_writer_set_metadata(writer, trn_compiler_version(), source_hash ? source_hash : kZero);
    s = trn_rt_writer_write_file(writer, path);
  }
  trn_rt_writer_destroy(writer);
  return s;
}
