/* ONNX model -> func.func @main with TOSA ops.
 *
 * 1. Map the file read-only, hash it, unpack the protobuf without its weights (they
 *    stay in the mapping: see unpack_without_weights).
 * 2. Validate: ir_version, opset, a non-empty graph, named values defined once.
 * 3. Collect every node without a lowering (op type and opset) into one error.
 * 4. Order the nodes topologically (every input defined earlier; a cycle is an error).
 * 5. Arguments from the graph inputs that are not initializers (symbolic dims from the
 *    user's input shapes), each with its ONNX name as `trn.name`.
 * 6. Import each node with its table function; initializers become tosa.const ops on
 *    first use, with dense resource values pointing at the model's bytes.
 * 7. Return the graph outputs, check them against their declared types, verify.
 */
#define _DEFAULT_SOURCE /* madvise */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "state.h"

/* ---------------------------------------------------------------------------------
 * The model file
 * ------------------------------------------------------------------------------- */

void trn_onnx_model_destroy(trn_onnx_model_t *m) {
  if (!m) return;
  if (m->proto) {
    /* Weights that point into the mapping are not protobuf-c's to free. */
    for (size_t i = 0; i < m->raw_count; i++) {
      Onnx__TensorProto *t = m->proto->graph->initializer[m->raw_initializers[i]];
      t->raw_data.data = NULL;
      t->raw_data.len = 0;
    }
    onnx__model_proto__free_unpacked(m->proto, NULL);
  }
  free(m->raw_initializers);
  if (m->map) munmap(m->map, m->map_size);
  for (size_t i = 0; i < m->ext_count; i++) {
    if (m->ext[i].map) munmap(m->ext[i].map, m->ext[i].size);
    free(m->ext[i].location);
  }
  free(m->ext);
  for (size_t i = 0; i < m->buffer_count; i++) free(m->buffers[i]);
  free(m->buffers);
  free(m);
}

const uint8_t *trn_onnx_model_hash(const trn_onnx_model_t *m) { return m->hash; }

/* ---------------------------------------------------------------------------------
 * Unpacking without copying the weights
 *
 * protobuf-c copies every bytes field it unpacks, so unpacking a model would hold its
 * weights twice. Instead, the importer unpacks a skeleton of the file: the same
 * message with the raw_data payload of each graph initializer (ModelProto.graph = 7,
 * GraphProto.initializer = 5, TensorProto.raw_data = 9) cut out, and then points each
 * initializer's raw_data at its bytes in the read-only mapping. The weights' pages are
 * not even touched until emission copies them into the .neff.
 * ------------------------------------------------------------------------------- */

typedef struct skel_t {
  const uint8_t *base; /* the mapping */
  uint8_t *out;        /* NULL while sizing */
  size_t out_len;
  size_t initializer;  /* index of the current GraphProto.initializer */
  size_t *refs;        /* (initializer index, offset, length) triples, writing pass */
  size_t ref_count, ref_cap;
} skel_t;

static bool wire_varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
    uint8_t b = *(*p)++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

static void skel_emit(skel_t *k, const void *data, size_t len) {
  if (k->out) memcpy(k->out + k->out_len, data, len);
  k->out_len += len;
}

static void skel_emit_varint(skel_t *k, uint64_t v) {
  uint8_t buf[10];
  size_t n = 0;
  for (; v >= 0x80; v >>= 7) buf[n++] = (uint8_t)(v | 0x80);
  buf[n++] = (uint8_t)v;
  skel_emit(k, buf, n);
}

static bool skel_message(skel_t *k, const uint8_t *p, const uint8_t *end, int level);

/* Copies the length-delimited field with key `key` whose payload is [p, p + len). */
static bool skel_field(skel_t *k, uint64_t key, const uint8_t *p, uint64_t len, int level) {
  uint64_t field = key >> 3;
  bool nested = (level == 0 && field == 7) || (level == 1 && field == 5);
  if (level == 2 && field == 9 && len > 0) {
    /* raw_data: keep the field, empty, and remember where its bytes are. */
    if (k->out) {
      if (k->ref_count + 3 > k->ref_cap) {
        size_t cap = k->ref_cap ? 2 * k->ref_cap : 48;
        size_t *refs = realloc(k->refs, cap * sizeof *refs);
        if (!refs) return false;
        k->refs = refs, k->ref_cap = cap;
      }
      k->refs[k->ref_count++] = k->initializer;
      k->refs[k->ref_count++] = (size_t)(p - k->base);
      k->refs[k->ref_count++] = (size_t)len;
    }
    skel_emit_varint(k, key);
    skel_emit_varint(k, 0);
    return true;
  }
  skel_emit_varint(k, key);
  if (!nested) {
    skel_emit_varint(k, len);
    skel_emit(k, p, (size_t)len);
    return true;
  }
  /* A message on the path to the weights: size it, then copy it. */
  uint8_t *out = k->out;
  size_t start = k->out_len;
  k->out = NULL;
  if (!skel_message(k, p, p + len, level + 1)) return false;
  size_t inner = k->out_len - start;
  k->out = out;
  k->out_len = start;
  skel_emit_varint(k, inner);
  if (!skel_message(k, p, p + len, level + 1)) return false;
  if (level == 1 && out) k->initializer++;
  return true;
}

static bool skel_message(skel_t *k, const uint8_t *p, const uint8_t *end, int level) {
  while (p < end) {
    const uint8_t *field_start = p;
    uint64_t key, v;
    if (!wire_varint(&p, end, &key)) return false;
    switch (key & 7) {
      case 0:
        if (!wire_varint(&p, end, &v)) return false;
        break;
      case 1:
        if (end - p < 8) return false;
        p += 8;
        break;
      case 5:
        if (end - p < 4) return false;
        p += 4;
        break;
      case 2: {
        if (!wire_varint(&p, end, &v) || v > (uint64_t)(end - p)) return false;
        if (!skel_field(k, key, p, v, level)) return false;
        p += v;
        continue;
      }
      default:
        return false; /* groups are not used by ONNX */
    }
    skel_emit(k, field_start, (size_t)(p - field_start));
  }
  return true;
}

/* Unpacks the model at map[0, size) with the initializers' raw_data left in the
 * mapping. Falls back to a plain unpack when the file does not scan as protobuf
 * (which then fails and is reported as such). */
static Onnx__ModelProto *unpack_without_weights(trn_onnx_model_t *m) {
  const uint8_t *map = m->map;
  skel_t k = {.base = map};
  if (!skel_message(&k, map, map + m->map_size, 0)) {
    free(k.refs);
    return onnx__model_proto__unpack(NULL, m->map_size, map);
  }
  size_t skeleton_len = k.out_len;
  k.out = malloc(skeleton_len ? skeleton_len : 1);
  if (!k.out) return NULL;
  k.out_len = 0;
  k.initializer = 0;
  bool ok = skel_message(&k, map, map + m->map_size, 0) && k.out_len == skeleton_len;
  Onnx__ModelProto *proto = ok ? onnx__model_proto__unpack(NULL, skeleton_len, k.out) : NULL;
  free(k.out);
  size_t nrefs = k.ref_count / 3;
  if (proto && nrefs) {
    m->raw_initializers = malloc(nrefs * sizeof *m->raw_initializers);
    if (!m->raw_initializers || !proto->graph) {
      onnx__model_proto__free_unpacked(proto, NULL);
      free(k.refs);
      return NULL;
    }
    for (size_t i = 0; i < nrefs; i++) {
      size_t index = k.refs[3 * i], offset = k.refs[3 * i + 1], len = k.refs[3 * i + 2];
      if (index >= proto->graph->n_initializer) continue;
      Onnx__TensorProto *t = proto->graph->initializer[index];
      /* A tensor may carry raw_data more than once (the last one counts): only the
       * first replacement frees protobuf-c's empty copy and is recorded. */
      bool in_map = t->raw_data.data >= map && t->raw_data.data < map + m->map_size;
      if (!in_map) {
        free(t->raw_data.data); /* the empty copy, if protobuf-c made one */
        m->raw_initializers[m->raw_count++] = index;
      }
      t->raw_data.data = (uint8_t *)map + offset;
      t->raw_data.len = len;
      t->has_raw_data = 1;
    }
  }
  free(k.refs);
  return proto;
}

/* SHA-256 of the mapping, dropping each hashed piece from memory again so that a
 * large model's pages are not all resident at once. */
static void hash_mapping(trn_onnx_model_t *m) {
  const size_t piece = (size_t)8 << 20;
  trn_sha256_t ctx;
  trn_sha256_init(&ctx);
  for (size_t at = 0; at < m->map_size; at += piece) {
    size_t len = m->map_size - at < piece ? m->map_size - at : piece;
    trn_sha256_update(&ctx, (const uint8_t *)m->map + at, len);
    madvise((uint8_t *)m->map + at, len, MADV_DONTNEED);
  }
  trn_sha256_final(&ctx, m->hash);
}

static trn_status_t model_load(const char *path, trn_onnx_model_t **out) {
  *out = NULL;
  int fd = open(path, O_RDONLY);
  if (fd < 0) return trn_status_make(TRN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    trn_status_t s = trn_status_make(TRN_ERR_IO, "%s: cannot read: %s", path,
                                     S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
    close(fd);
    return s;
  }
  if (st.st_size == 0) {
    close(fd);
    return trn_status_make(TRN_ERR_FORMAT, "%s: not a valid ONNX model (empty file)", path);
  }
  trn_onnx_model_t *m = calloc(1, sizeof *m);
  if (!m) {
    close(fd);
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
  }
  m->map_size = (size_t)st.st_size;
  void *map = mmap(NULL, m->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (map == MAP_FAILED) {
    free(m);
    return trn_status_make(TRN_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
  }
  m->map = map;
  hash_mapping(m);
  m->proto = unpack_without_weights(m);
  if (!m->proto) {
    trn_onnx_model_destroy(m);
    return trn_status_make(TRN_ERR_FORMAT, "%s: not a valid ONNX model (protobuf parse failed)", path);
  }
  *out = m;
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * Named values
 * ------------------------------------------------------------------------------- */

static uint64_t hash_name(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

trn_onnx_value_t *trn_onnx_value_find(trn_onnx_importer_t *imp, const char *name) {
  size_t mask = imp->table_size - 1;
  for (size_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
    uint32_t slot = imp->table[i];
    if (!slot) return NULL;
    if (strcmp(imp->values[slot - 1].name, name) == 0) return &imp->values[slot - 1];
  }
}

/* Adds a value; returns NULL if the name is taken. */
static trn_onnx_value_t *value_add(trn_onnx_importer_t *imp, const char *name) {
  size_t mask = imp->table_size - 1;
  size_t i = hash_name(name) & mask;
  for (; imp->table[i]; i = (i + 1) & mask)
    if (strcmp(imp->values[imp->table[i] - 1].name, name) == 0) return NULL;
  trn_onnx_value_t *v = &imp->values[imp->value_count++];
  memset(v, 0, sizeof *v);
  v->name = name;
  v->producer = -1;
  imp->table[i] = (uint32_t)imp->value_count;
  return v;
}

static void node_display_name(const Onnx__NodeProto *node, size_t index, char *buf, size_t size) {
  if (node->name && node->name[0]) snprintf(buf, size, "%s", node->name);
  else snprintf(buf, size, "#%zu", index);
}

static int64_t domain_opset(const Onnx__ModelProto *model, const char *domain) {
  if (!domain || strcmp(domain, "ai.onnx") == 0) domain = "";
  for (size_t i = 0; i < model->n_opset_import; i++) {
    const char *d = model->opset_import[i]->domain;
    if (!d || strcmp(d, "ai.onnx") == 0) d = "";
    if (strcmp(d, domain) == 0) return model->opset_import[i]->has_version ? model->opset_import[i]->version : 1;
  }
  return 0;
}

/* Steps 2 (values): registers initializers, graph inputs and node outputs. */
static trn_status_t build_values(trn_onnx_importer_t *imp) {
  const Onnx__GraphProto *g = imp->model->proto->graph;
  const char *path = imp->path;
  size_t count = g->n_initializer + g->n_input;
  for (size_t i = 0; i < g->n_node; i++) count += g->node[i]->n_output;
  if (count >= UINT32_MAX / 4) return trn_status_make(TRN_ERR_FORMAT, "%s: graph too large", path);
  imp->table_size = 16;
  while (imp->table_size < 2 * count) imp->table_size *= 2;
  imp->values = calloc(count ? count : 1, sizeof *imp->values);
  imp->table = calloc(imp->table_size, sizeof *imp->table);
  if (!imp->values || !imp->table) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
  for (size_t i = 0; i < g->n_initializer; i++) {
    const Onnx__TensorProto *t = g->initializer[i];
    if (!t->name || !t->name[0])
      return trn_status_make(TRN_ERR_FORMAT, "%s: initializer #%zu has no name", path, i);
    trn_onnx_value_t *v = value_add(imp, t->name);
    if (!v) return trn_status_make(TRN_ERR_FORMAT, "%s: initializer '%s' is defined twice", path, t->name);
    v->init = t;
    v->constant = true;
    v->elem = t->has_data_type ? (trn_elem_type_t)t->data_type : TRN_ELEM_UNDEFINED;
  }
  for (size_t i = 0; i < g->n_input; i++) {
    const char *name = g->input[i]->name;
    if (!name || !name[0]) return trn_status_make(TRN_ERR_FORMAT, "%s: graph input #%zu has no name", path, i);
    trn_onnx_value_t *v = trn_onnx_value_find(imp, name);
    if (v && v->init) continue; /* an initializer listed as input (IR < 4): a constant */
    if (v || !(v = value_add(imp, name)))
      return trn_status_make(TRN_ERR_FORMAT, "%s: graph input '%s' is defined twice", path, name);
    const Onnx__TypeProto *tp = g->input[i]->type;
    if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && tp->tensor_type &&
        tp->tensor_type->has_elem_type)
      v->elem = (trn_elem_type_t)tp->tensor_type->elem_type;
  }
  for (size_t i = 0; i < g->n_node; i++) {
    const Onnx__NodeProto *node = g->node[i];
    char nname[256];
    node_display_name(node, i, nname, sizeof nname);
    if (!node->op_type || !node->op_type[0])
      return trn_status_make(TRN_ERR_FORMAT, "%s: node '%s' has no op_type", path, nname);
    for (size_t k = 0; k < node->n_output; k++) {
      if (!node->output[k][0]) continue; /* omitted optional output */
      trn_onnx_value_t *v = value_add(imp, node->output[k]);
      if (!v)
        return trn_status_make(TRN_ERR_FORMAT, "%s: node '%s' (%s): output '%s' is already defined",
                               path, nname, node->op_type, node->output[k]);
      v->producer = (int64_t)i;
    }
  }
  for (size_t i = 0; i < g->n_node; i++) {
    const Onnx__NodeProto *node = g->node[i];
    for (size_t k = 0; k < node->n_input; k++) {
      if (!node->input[k][0]) continue;
      if (!trn_onnx_value_find(imp, node->input[k])) {
        char nname[256];
        node_display_name(node, i, nname, sizeof nname);
        return trn_status_make(TRN_ERR_FORMAT,
                               "%s: node '%s' (%s): input '%s' is not defined by a graph input, an "
                               "initializer or a node",
                               path, nname, node->op_type, node->input[k]);
      }
    }
  }
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * Steps 3 and 4: supported operators, topological order
 * ------------------------------------------------------------------------------- */

static trn_status_t check_supported(trn_onnx_importer_t *imp) {
  const Onnx__ModelProto *model = imp->model->proto;
  const Onnx__GraphProto *g = model->graph;
  char *text = NULL;
  size_t len = 0;
  const Onnx__NodeProto **kinds = calloc(g->n_node + 1, sizeof *kinds);
  FILE *f = kinds ? open_memstream(&text, &len) : NULL;
  if (!f) {
    free(kinds);
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", imp->path);
  }
  size_t bad = 0, n_kinds = 0;
  for (size_t i = 0; i < g->n_node; i++) {
    const Onnx__NodeProto *node = g->node[i];
    const char *domain = node->domain ? node->domain : "";
    int64_t opset = domain_opset(model, domain);
    bool known = false;
    if (trn_onnx_op_find(domain, node->op_type, opset, &known)) continue;
    char nname[256];
    node_display_name(node, i, nname, sizeof nname);
    fprintf(f, "\n  node '%s' (%s%s%s, opset %lld): ", nname, domain, domain[0] ? "." : "",
            node->op_type, (long long)opset);
    if (known) fputs("no lowering for this opset version of the operator", f);
    else fputs("no lowering for this operator", f);
    bad++;
    size_t k = 0;
    while (k < n_kinds && !(strcmp(kinds[k]->op_type, node->op_type) == 0 &&
                            strcmp(kinds[k]->domain ? kinds[k]->domain : "", domain) == 0))
      k++;
    if (k == n_kinds) kinds[n_kinds++] = node;
  }
  if (bad > 1) {
    fprintf(f, "\n  (%zu nodes, %zu operator type%s:", bad, n_kinds, n_kinds == 1 ? "" : "s");
    for (size_t k = 0; k < n_kinds; k++) {
      const char *domain = kinds[k]->domain ? kinds[k]->domain : "";
      fprintf(f, "%s %s%s%s", k ? "," : "", domain, domain[0] ? "." : "", kinds[k]->op_type);
    }
    fputs(")", f);
  }
  fclose(f);
  free(kinds);
  trn_status_t s = NULL;
  if (bad) s = trn_status_make(TRN_ERR_UNSUPPORTED, "%s: unsupported operators:%s", imp->path, text);
  free(text);
  return s;
}

/* Kahn's algorithm over producer -> consumer edges. */
static trn_status_t topo_order(trn_onnx_importer_t *imp, size_t **out_order) {
  const Onnx__GraphProto *g = imp->model->proto->graph;
  size_t n = g->n_node, edges = 0;
  *out_order = NULL;
  size_t *indeg = calloc(n, sizeof *indeg), *start = calloc(n + 1, sizeof *start);
  size_t *order = malloc(n * sizeof *order);
  size_t *adj = NULL;
  trn_status_t s = NULL;
  if (!indeg || !start || !order) goto oom;
  for (size_t j = 0; j < n; j++)
    for (size_t k = 0; k < g->node[j]->n_input; k++) {
      const char *in = g->node[j]->input[k];
      trn_onnx_value_t *v = in[0] ? trn_onnx_value_find(imp, in) : NULL;
      if (v && v->producer >= 0) {
        start[v->producer + 1]++;
        indeg[j]++;
        edges++;
      }
    }
  for (size_t i = 0; i < n; i++) start[i + 1] += start[i];
  adj = malloc((edges ? edges : 1) * sizeof *adj);
  if (!adj) goto oom;
  {
    size_t *fill = calloc(n, sizeof *fill);
    if (!fill) goto oom;
    for (size_t j = 0; j < n; j++)
      for (size_t k = 0; k < g->node[j]->n_input; k++) {
        const char *in = g->node[j]->input[k];
        trn_onnx_value_t *v = in[0] ? trn_onnx_value_find(imp, in) : NULL;
        if (v && v->producer >= 0) adj[start[v->producer] + fill[v->producer]++] = j;
      }
    free(fill);
  }
  /* A queue in `order`: nodes with every input available, in file order. */
  size_t head = 0, tail = 0;
  for (size_t i = 0; i < n; i++)
    if (indeg[i] == 0) order[tail++] = i;
  while (head < tail) {
    size_t i = order[head++];
    for (size_t e = start[i]; e < start[i + 1]; e++)
      if (--indeg[adj[e]] == 0) order[tail++] = adj[e];
  }
  if (tail < n) {
    size_t culprit = 0;
    while (culprit < n && indeg[culprit] == 0) culprit++;
    char nname[256];
    node_display_name(g->node[culprit], culprit, nname, sizeof nname);
    s = trn_status_make(TRN_ERR_FORMAT, "%s: the graph has a cycle through node '%s' (%s)", imp->path,
                        nname, g->node[culprit]->op_type);
    goto done;
  }
  *out_order = order;
  order = NULL;
  goto done;
oom:
  s = trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", imp->path);
done:
  free(indeg);
  free(start);
  free(order);
  free(adj);
  return s;
}

/* ---------------------------------------------------------------------------------
 * Step 5: arguments
 * ------------------------------------------------------------------------------- */


static const trn_input_shape_t *user_shape(const trn_compile_options_t *opts, const char *name) {
  for (size_t i = 0; i < opts->input_shape_count; i++)
    if (strcmp(opts->input_shapes[i].name, name) == 0) return &opts->input_shapes[i];
  return NULL;
}

static trn_status_t input_type(trn_onnx_importer_t *imp, const Onnx__ValueInfoProto *vi,
                               MlirType *out_type) {
  const char *path = imp->path, *name = vi->name;
  const Onnx__TypeProto *tp = vi->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
    return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: input '%s' is not a tensor", path, name);
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  int32_t dt = tt->has_elem_type ? tt->elem_type : 0;
  MlirType elem = trn_onnx_boundary_type(imp->ctx, dt);
  if (mlirTypeIsNull(elem))
    return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: input '%s': element type %s is not supported",
                           path, name, trn_onnx_dtype_name(dt));
  const trn_input_shape_t *user = user_shape(imp->opts, name);
  const Onnx__TensorShapeProto *shape = tt->shape;
  int64_t dims[TRN_MAX_RANK];
  size_t rank;
  if (!shape && !user)
    return trn_status_make(TRN_ERR_UNSUPPORTED,
                           "%s: input '%s' has no shape in the model: give one with --input-shape "
                           "%s=<d0>x<d1>...",
                           path, name, name);
  rank = shape ? shape->n_dim : user->rank;
  if (rank > TRN_MAX_RANK)
    return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: input '%s': rank %zu exceeds the maximum %d",
                           path, name, rank, TRN_MAX_RANK);
  if (shape && user && user->rank != rank)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                           "%s: input shape for '%s' has rank %u, the model's input has rank %zu",
                           path, name, user->rank, rank);
  for (size_t i = 0; i < rank; i++) {
    const Onnx__TensorShapeProto__Dimension *d = shape ? shape->dim[i] : NULL;
    bool fixed = d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
                 d->dim_value >= 0;
    if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value < 0)
      return trn_status_make(TRN_ERR_FORMAT, "%s: input '%s': dim %zu is %lld; dimensions must be >= 0",
                             path, name, i, (long long)d->dim_value);
    if (fixed && d->dim_value > TRN_ONNX_MAX_DIM)
      return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: input '%s': dim %zu (%lld) is too large",
                             path, name, i, (long long)d->dim_value);
    if (user) {
      if (user->dims[i] < 0 || user->dims[i] > TRN_ONNX_MAX_DIM)
        return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "%s: input shape for '%s': dim %zu is out of range",
                               path, name, i);
      if (fixed && d->dim_value != user->dims[i])
        return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                               "%s: input shape for '%s': dim %zu is %lld in the model, not %lld",
                               path, name, i, (long long)d->dim_value, (long long)user->dims[i]);
      dims[i] = user->dims[i];
    } else if (fixed) {
      dims[i] = d->dim_value;
    } else {
      const char *param = d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                                  d->dim_param
                              ? d->dim_param
                              : "?";
      return trn_status_make(TRN_ERR_UNSUPPORTED,
                             "%s: input '%s': dim %zu ('%s') is symbolic: give its size with "
                             "--input-shape %s=<d0>x<d1>...",
                             path, name, i, param, name);
    }
  }
  *out_type = mlirRankedTensorTypeGet((intptr_t)rank, dims, elem, mlirAttributeGetNull());
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * Step 7: outputs
 * ------------------------------------------------------------------------------- */

/* Checks graph output `vi` against the value computed for it and brings the value to
 * its boundary type (f32 -> f64 for DOUBLE) at the end of the body. */
static trn_status_t check_output(trn_onnx_importer_t *imp, const Onnx__ValueInfoProto *vi,
                                 trn_onnx_value_t *v, MlirValue *out_value) {
  const char *path = imp->path, *name = vi->name;
  MlirValue value = v->value;
  *out_value = value;
  MlirType t = mlirValueGetType(value);
  if (!mlirTypeIsARankedTensor(t))
    return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: output '%s' is not a ranked tensor", path, name);
  MlirType computed = mlirShapedTypeGetElementType(t);
  int32_t dt = (int32_t)v->elem;
  const Onnx__TypeProto *tp = vi->type;
  const Onnx__TypeProto__Tensor *tt =
      tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ? tp->tensor_type : NULL;
  if (tp && !tt)
    return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: output '%s' is not a tensor", path, name);
  if (tt && tt->has_elem_type && tt->elem_type != 0) {
    MlirType want;
    size_t esize;
    if (!trn_onnx_dtype(imp->ctx, tt->elem_type, &want, &esize))
      return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: output '%s': element type %s is not supported",
                             path, name, trn_onnx_dtype_name(tt->elem_type));
    if (!mlirTypeEqual(want, computed)) {
      char buf[32];
      return trn_status_make(TRN_ERR_FORMAT, "%s: output '%s' is declared %s but computes %s", path,
                             name, trn_onnx_dtype_name(tt->elem_type),
                             trn_onnx_type_str(computed, buf, sizeof buf));
    }
    dt = tt->elem_type;
  }
  if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE && mlirTypeIsAF32(computed)) {
    int64_t dims[TRN_MAX_RANK];
    for (intptr_t i = 0; i < mlirShapedTypeGetRank(t) && i < TRN_MAX_RANK; i++)
      dims[i] = mlirShapedTypeGetDimSize(t, i);
    MlirType ft = mlirRankedTensorTypeGet(mlirShapedTypeGetRank(t), dims, mlirF64TypeGet(imp->ctx),
                                          mlirAttributeGetNull());
    MlirLocation loc = mlirLocationNameGet(imp->ctx, mlirStringRefCreateFromCString(name), imp->file_loc);
    MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString("tosa.cast"), loc);
    mlirOperationStateAddOperands(&st, 1, &value);
    mlirOperationStateAddResults(&st, 1, &ft);
    MlirOperation op = mlirOperationCreate(&st);
    mlirBlockAppendOwnedOperation(imp->body, op);
    *out_value = mlirOperationGetResult(op, 0);
  }
  if (!tt) return NULL;
  const Onnx__TensorShapeProto *shape = tt->shape;
  if (!shape) return NULL;
  intptr_t rank = mlirShapedTypeGetRank(t);
  bool ok = (intptr_t)shape->n_dim == rank;
  for (intptr_t i = 0; ok && i < rank; i++) {
    const Onnx__TensorShapeProto__Dimension *d = shape->dim[i];
    if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
        d->dim_value != mlirShapedTypeGetDimSize(t, i))
      ok = false;
  }
  if (ok) return NULL;
  char declared[256], shape_text[256];
  size_t k = 0;
  k += (size_t)snprintf(declared, sizeof declared, "[");
  for (size_t i = 0; i < shape->n_dim && k < sizeof declared; i++) {
    const Onnx__TensorShapeProto__Dimension *d = shape->dim[i];
    if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
      k += (size_t)snprintf(declared + k, sizeof declared - k, "%s%lld", i ? ", " : "",
                            (long long)d->dim_value);
    else
      k += (size_t)snprintf(declared + k, sizeof declared - k, "%s?", i ? ", " : "");
  }
  if (k < sizeof declared) snprintf(declared + k, sizeof declared - k, "]");
  trn_onnx_shape_t s = trn_onnx_shape(value);
  return trn_status_make(TRN_ERR_FORMAT, "%s: output '%s' is declared with shape %s, computed %s",
                         path, name, declared, trn_onnx_shape_str(&s, shape_text, sizeof shape_text));
}

/* ---------------------------------------------------------------------------------
 * The function
 * ------------------------------------------------------------------------------- */

static MlirAttribute name_dict(MlirContext ctx, const char *name) {
  MlirNamedAttribute a = mlirNamedAttributeGet(
      mlirIdentifierGet(ctx, mlirStringRefCreateFromCString("trn.name")),
      mlirStringAttrGet(ctx, mlirStringRefCreateFromCString(name)));
  return mlirDictionaryAttrGet(ctx, 1, &a);
}

static MlirNamedAttribute named(MlirContext ctx, const char *name, MlirAttribute attr) {
  return mlirNamedAttributeGet(mlirIdentifierGet(ctx, mlirStringRefCreateFromCString(name)), attr);
}

static trn_status_t import_nodes(trn_onnx_importer_t *imp, const size_t *order) {
  const Onnx__ModelProto *model = imp->model->proto;
  const Onnx__GraphProto *g = model->graph;
  for (size_t oi = 0; oi < g->n_node; oi++) {
    size_t i = order[oi];
    const Onnx__NodeProto *proto = g->node[i];
    trn_onnx_node_t node = {.imp = imp, .proto = proto, .index = i};
    node_display_name(proto, i, node.name, sizeof node.name);
    node.opset = domain_opset(model, proto->domain);
    node.loc = mlirLocationNameGet(imp->ctx, mlirStringRefCreateFromCString(node.name), imp->file_loc);
    bool known;
    const trn_onnx_op_t *op = trn_onnx_op_find(proto->domain ? proto->domain : "", proto->op_type,
                                               node.opset, &known);
    trn_status_t s = op ? op->import(&node) : trn_onnx_error(&node, TRN_ERR_UNSUPPORTED, "no lowering");
    if (s && s != node.error) {
      trn_status_free(node.error);
      return s;
    }
    if (node.error) return node.error;
    for (size_t k = 0; k < proto->n_output; k++) {
      if (!proto->output[k][0]) continue;
      trn_onnx_value_t *v = trn_onnx_value_find(imp, proto->output[k]);
      if (v && mlirValueIsNull(v->value) && !v->constant)
        return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: node '%s' (%s): output %zu ('%s') is not produced",
                               imp->path, node.name, proto->op_type, k, proto->output[k]);
    }
  }
  return NULL;
}

static trn_status_t import_graph(trn_onnx_importer_t *imp, MlirModule *out_module) {
  MlirContext ctx = imp->ctx;
  const Onnx__GraphProto *g = imp->model->proto->graph;
  const char *path = imp->path;
  trn_status_t s = NULL;
  size_t *order = NULL;
  TRN_RETURN_IF_ERROR(build_values(imp));
  TRN_RETURN_IF_ERROR(topo_order(imp, &order));
  s = check_supported(imp);
  if (s) {
    free(order);
    return s;
  }
  /* Input shapes the user gave must name real inputs. */
  for (size_t i = 0; i < imp->opts->input_shape_count; i++) {
    trn_onnx_value_t *v = trn_onnx_value_find(imp, imp->opts->input_shapes[i].name);
    if (!v || v->init || v->producer >= 0) {
      free(order);
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "%s: input shape given for '%s', which is not a graph input",
                             path, imp->opts->input_shapes[i].name);
    }
  }

  size_t nargs = 0;
  MlirType *arg_types = calloc(g->n_input + 1, sizeof *arg_types);
  MlirLocation *arg_locs = calloc(g->n_input + 1, sizeof *arg_locs);
  MlirAttribute *arg_attrs = calloc(g->n_input + 1, sizeof *arg_attrs);
  trn_onnx_value_t **arg_values = calloc(g->n_input + 1, sizeof *arg_values);
  MlirType *res_types = calloc(g->n_output + 1, sizeof *res_types);
  MlirAttribute *res_attrs = calloc(g->n_output + 1, sizeof *res_attrs);
  MlirValue *results = calloc(g->n_output + 1, sizeof *results);
  MlirBlock block = {NULL};
  if (!arg_types || !arg_locs || !arg_attrs || !arg_values || !res_types || !res_attrs || !results) {
    s = trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    goto done;
  }
  for (size_t i = 0; i < g->n_input; i++) {
    trn_onnx_value_t *v = trn_onnx_value_find(imp, g->input[i]->name);
    if (v->init) continue;
    if ((s = input_type(imp, g->input[i], &arg_types[nargs]))) goto done;
    arg_locs[nargs] = mlirLocationNameGet(ctx, mlirStringRefCreateFromCString(v->name), imp->file_loc);
    arg_attrs[nargs] = name_dict(ctx, v->name);
    arg_values[nargs++] = v;
  }
  block = mlirBlockCreate((intptr_t)nargs, arg_types, arg_locs);
  imp->body = block;
  for (size_t i = 0; i < nargs; i++) {
    MlirValue arg = mlirBlockGetArgument(block, (intptr_t)i);
    /* DOUBLE is computed in f32: one cast at the boundary. */
    if (mlirTypeIsAF64(mlirShapedTypeGetElementType(arg_types[i]))) {
      intptr_t rank = mlirShapedTypeGetRank(arg_types[i]);
      int64_t dims[TRN_MAX_RANK];
      for (intptr_t k = 0; k < rank; k++) dims[k] = mlirShapedTypeGetDimSize(arg_types[i], k);
      MlirType f32 = mlirRankedTensorTypeGet(rank, dims, mlirF32TypeGet(ctx), mlirAttributeGetNull());
      MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString("tosa.cast"), arg_locs[i]);
      mlirOperationStateAddOperands(&st, 1, &arg);
      mlirOperationStateAddResults(&st, 1, &f32);
      MlirOperation op = mlirOperationCreate(&st);
      mlirBlockAppendOwnedOperation(block, op);
      arg = mlirOperationGetResult(op, 0);
    }
    arg_values[i]->value = arg;
  }

  if ((s = import_nodes(imp, order))) goto done;

  if (g->n_output == 0) {
    s = trn_status_make(TRN_ERR_FORMAT, "%s: the graph has no outputs", path);
    goto done;
  }
  for (size_t i = 0; i < g->n_output; i++) {
    const char *name = g->output[i]->name;
    trn_onnx_value_t *v = name ? trn_onnx_value_find(imp, name) : NULL;
    if (!v) {
      s = trn_status_make(TRN_ERR_FORMAT, "%s: graph output '%s' is not defined", path, name ? name : "");
      goto done;
    }
    if (v->constant && (s = trn_onnx_value_materialize(imp, v))) goto done;
    if (mlirValueIsNull(v->value)) {
      s = trn_status_make(TRN_ERR_FORMAT, "%s: graph output '%s' has no value", path, name);
      goto done;
    }
    if ((s = check_output(imp, g->output[i], v, &results[i]))) goto done;
    res_types[i] = mlirValueGetType(results[i]);
    res_attrs[i] = name_dict(ctx, name);
  }
  MlirOperationState ret = mlirOperationStateGet(mlirStringRefCreateFromCString("func.return"), imp->file_loc);
  mlirOperationStateAddOperands(&ret, (intptr_t)g->n_output, results);
  mlirBlockAppendOwnedOperation(block, mlirOperationCreate(&ret));

  MlirRegion region = mlirRegionCreate();
  mlirRegionAppendOwnedBlock(region, block);
  block = (MlirBlock){NULL};
  MlirType fn_type = mlirFunctionTypeGet(ctx, (intptr_t)nargs, arg_types, (intptr_t)g->n_output, res_types);
  MlirNamedAttribute attrs[5] = {
      named(ctx, "sym_name", mlirStringAttrGet(ctx, mlirStringRefCreateFromCString("main"))),
      named(ctx, "function_type", mlirTypeAttrGet(fn_type)),
      named(ctx, "arg_attrs", mlirArrayAttrGet(ctx, (intptr_t)nargs, arg_attrs)),
      named(ctx, "res_attrs", mlirArrayAttrGet(ctx, (intptr_t)g->n_output, res_attrs)),
      named(ctx, "llvm.emit_c_interface", mlirUnitAttrGet(ctx)),
  };
  MlirOperationState fs = mlirOperationStateGet(mlirStringRefCreateFromCString("func.func"), imp->file_loc);
  mlirOperationStateAddAttributes(&fs, 5, attrs);
  mlirOperationStateAddOwnedRegions(&fs, 1, &region);
  MlirOperation func = mlirOperationCreate(&fs);
  MlirModule module = mlirModuleCreateEmpty(imp->file_loc);
  mlirBlockAppendOwnedOperation(mlirModuleGetBody(module), func);
  *out_module = module;
done:
  if (!mlirBlockIsNull(block)) mlirBlockDestroy(block);
  free(order);
  free(arg_types);
  free(arg_locs);
  free(arg_attrs);
  free(arg_values);
  free(res_types);
  free(res_attrs);
  free(results);
  return s;
}

trn_status_t trn_onnx_import(MlirContext ctx, const trn_compile_options_t *opts,
                             trn_diag_buffer_t *diags, const char *path,
                             trn_onnx_model_t **out_model, MlirModule *out_module) {
  *out_model = NULL;
  *out_module = (MlirModule){NULL};
  trn_onnx_model_t *model;
  TRN_RETURN_IF_ERROR(model_load(path, &model));
  const Onnx__ModelProto *proto = model->proto;
  trn_status_t s = NULL;
  if (!proto->has_ir_version || proto->ir_version <= 0)
    s = trn_status_make(TRN_ERR_FORMAT, "%s: not a valid ONNX model (no ir_version)", path);
  else if (!proto->graph)
    s = trn_status_make(TRN_ERR_FORMAT, "%s: not a valid ONNX model (no graph)", path);
  else if (domain_opset(proto, "") <= 0)
    s = trn_status_make(TRN_ERR_UNSUPPORTED,
                        "%s: the model imports no version of the default ONNX opset (a "
                        "training-only or custom-domain model): not supported",
                        path);
  else if (proto->graph->n_node == 0)
    s = trn_status_make(TRN_ERR_FORMAT, "%s: the graph has no nodes", path);
  if (s) {
    trn_onnx_model_destroy(model);
    return s;
  }
  trn_onnx_importer_t imp = {
      .ctx = ctx,
      .opts = opts,
      .path = path,
      .model = model,
      .file_loc = mlirLocationFileLineColGet(ctx, mlirStringRefCreateFromCString(path), 0, 0),
  };
  MlirModule module = {NULL};
  s = import_graph(&imp, &module);
  if (!s) {
    trn_diag_buffer_clear(diags);
    if (!mlirOperationVerify(mlirModuleGetOperation(module))) {
      s = trn_status_make(TRN_ERR_INTERNAL, "%s: the importer built invalid IR:\n%s", path,
                          trn_diag_buffer_text(diags));
      trn_diag_buffer_clear(diags);
    }
  }
  free(imp.values);
  free(imp.table);
  for (size_t i = 0; i < imp.resource_count; i++) free(imp.resource_names[i]);
  free(imp.resource_names);
  if (s) {
    if (!mlirModuleIsNull(module)) mlirModuleDestroy(module);
    /* Weights may already be referenced by the context's resource blobs: the model
     * must outlive the context, so it is handed back even on failure. */
    *out_model = model;
    return s;
  }
  *out_model = model;
  *out_module = module;
  return NULL;
}
