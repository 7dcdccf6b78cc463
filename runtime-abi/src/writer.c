/* The .neff writer: collects a program, serializes it (layout in NEFF.md), and checks
 * the result with the loader's own validation before handing it out. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "neff_format.h"

typedef struct trn_rt_bytes_t {
  uint8_t *data;
  size_t size, capacity;
} trn_rt_bytes_t;

typedef struct trn_rt_wconst_t {
  uint64_t hbm_offset;
  uint64_t size;
  uint8_t *data;
} trn_rt_wconst_t;

struct trn_rt_writer_t {
  const trn_target_t *target;
  char *compiler_version;
  uint8_t model_hash[32];
  uint64_t hbm_size;
  bool out_of_memory; /* a void setter failed to allocate; reported by write */
  trn_rt_bytes_t streams[TRN_MAX_STREAMS]; /* encoded instructions */
  trn_rt_bytes_t dma;                      /* encoded descriptors */
  trn_rt_wconst_t *constants;
  size_t constant_count, constant_capacity;
  trn_rt_tensor_info_t *tensors[2]; /* inputs, outputs; names owned */
  size_t tensor_count[2], tensor_capacity[2];
  char **layers; /* layer names, owned */
  size_t layer_count, layer_capacity;
  uint32_t current_layer;                    /* of the next instructions appended */
  trn_rt_bytes_t inst_layer[TRN_MAX_STREAMS]; /* u32 LE per instruction */
};

static bool bytes_reserve(trn_rt_bytes_t *b, size_t extra) {
  if (extra <= b->capacity - b->size) return true;
  if (extra > SIZE_MAX / 2 - b->size) return false;
  size_t cap = b->capacity ? b->capacity : 1024;
  while (cap - b->size < extra) cap *= 2;
  uint8_t *data = realloc(b->data, cap);
  if (!data) return false;
  b->data = data;
  b->capacity = cap;
  return true;
}

/* Grows an array of `elem` bytes so that it holds one more item. */
static bool array_grow(void **items, size_t count, size_t *capacity, size_t elem) {
  if (count < *capacity) return true;
  size_t cap = *capacity ? *capacity * 2 : 8;
  if (cap > SIZE_MAX / elem) return false;
  void *grown = realloc(*items, cap * elem);
  if (!grown) return false;
  *items = grown;
  *capacity = cap;
  return true;
}

trn_status_t trn_rt_writer_create(const trn_target_t *target, trn_rt_writer_t **out_writer) {
  if (!out_writer) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: out_writer is NULL");
  *out_writer = NULL;
  if (!target) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: target is NULL");
  if (!target->name || trn_isa_target_find(target->name) == NULL)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: target '%s' is not a known target",
                           target->name ? target->name : "(null)");
  trn_rt_writer_t *writer = calloc(1, sizeof(*writer));
  if (!writer) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "writer: out of memory");
  writer->target = target;
  writer->current_layer = TRN_RT_NO_LAYER;
  *out_writer = writer;
  return NULL;
}

void trn_rt_writer_destroy(trn_rt_writer_t *writer) {
  if (!writer) return;
  free(writer->compiler_version);
  for (size_t s = 0; s < TRN_MAX_STREAMS; ++s) free(writer->streams[s].data);
  free(writer->dma.data);
  for (size_t i = 0; i < writer->constant_count; ++i) free(writer->constants[i].data);
  free(writer->constants);
  for (size_t i = 0; i < writer->layer_count; ++i) free(writer->layers[i]);
  free(writer->layers);
  for (size_t s = 0; s < TRN_MAX_STREAMS; ++s) free(writer->inst_layer[s].data);
  for (int k = 0; k < 2; ++k) {
    for (size_t i = 0; i < writer->tensor_count[k]; ++i) free((char *)writer->tensors[k][i].name);
    free(writer->tensors[k]);
  }
  free(writer);
}

void trn_rt_writer_set_metadata(trn_rt_writer_t *writer, const char *compiler_version,
                                const uint8_t model_hash[32]) {
  if (!writer) return;
  if (compiler_version) {
    char *copy = strdup(compiler_version);
    if (!copy) {
      writer->out_of_memory = true;
    } else {
      free(writer->compiler_version);
      writer->compiler_version = copy;
    }
  }
  if (model_hash) memcpy(writer->model_hash, model_hash, 32);
}

void trn_rt_writer_set_hbm_size(trn_rt_writer_t *writer, uint64_t bytes) {
  if (writer) writer->hbm_size = bytes;
}

trn_status_t trn_rt_writer_append(trn_rt_writer_t *writer, uint32_t stream,
                                  const trn_inst_t *insts, size_t count) {
  if (!writer) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: writer is NULL");
  if (stream >= TRN_MAX_STREAMS || stream >= TRN_STREAM_DMA0 + writer->target->dma_queues)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                           "writer: stream %u out of range (target %s has %u streams)", stream,
                           writer->target->name, TRN_STREAM_DMA0 + writer->target->dma_queues);
  if (count == 0) return NULL;
  if (!insts) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: insts is NULL");
  trn_rt_bytes_t *b = &writer->streams[stream], *lb = &writer->inst_layer[stream];
  if (count > (SIZE_MAX / 2) / TRN_INST_BYTES || !bytes_reserve(b, count * TRN_INST_BYTES) ||
      !bytes_reserve(lb, count * 4))
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "writer: out of memory for %zu instructions",
                           count);
  char name[16];
  size_t first = b->size / TRN_INST_BYTES;
  for (size_t i = 0; i < count; ++i) {
    char msg[256];
    if (trn_isa_inst_check(&insts[i], stream, writer->target, msg, sizeof(msg)) != 0)
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: stream %s, instruction %zu: %s",
                             trn_isa_stream_name(stream, name, sizeof(name)), first + i, msg);
  }
  for (size_t i = 0; i < count; ++i) {
    trn_isa_encode(&insts[i], b->data + b->size);
    b->size += TRN_INST_BYTES;
    trn_neff_wr32(lb->data + lb->size, writer->current_layer);
    lb->size += 4;
  }
  return NULL;
}

trn_status_t trn_rt_writer_set_layer(trn_rt_writer_t *writer, const char *name) {
  if (!writer) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: writer is NULL");
  if (!name) {
    writer->current_layer = TRN_RT_NO_LAYER;
    return NULL;
  }
  if (writer->current_layer != TRN_RT_NO_LAYER &&
      strcmp(writer->layers[writer->current_layer], name) == 0)
    return NULL;
  /* Layers usually come back to recent names (fused ops, prefetches): search backward. */
  for (size_t i = writer->layer_count; i-- > 0;)
    if (strcmp(writer->layers[i], name) == 0) {
      writer->current_layer = (uint32_t)i;
      return NULL;
    }
  if (writer->layer_count >= TRN_RT_NO_LAYER - 1)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: too many layers");
  if (!array_grow((void **)&writer->layers, writer->layer_count, &writer->layer_capacity,
                  sizeof(char *)))
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "writer: out of memory");
  char *copy = strdup(name);
  if (!copy) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "writer: out of memory");
  writer->layers[writer->layer_count] = copy;
  writer->current_layer = (uint32_t)writer->layer_count++;
  return NULL;
}

trn_status_t trn_rt_writer_append_dma(trn_rt_writer_t *writer, const trn_dma_desc_t *descs,
                                      size_t count, uint32_t *out_first) {
  if (out_first) *out_first = 0;
  if (!writer) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: writer is NULL");
  size_t have = writer->dma.size / TRN_DMA_DESC_BYTES;
  if (out_first) *out_first = (uint32_t)have;
  if (count == 0) return NULL;
  if (!descs) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: descs is NULL");
  /* The DMA instruction's aux field holds the first index in 24 bits. */
  if (count > (1u << 24) || have + count > (1u << 24))
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                           "writer: more than %u DMA descriptors", 1u << 24);
  if (!bytes_reserve(&writer->dma, count * TRN_DMA_DESC_BYTES))
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "writer: out of memory for %zu descriptors",
                           count);
  for (size_t i = 0; i < count; ++i) {
    trn_isa_dma_encode(&descs[i], writer->dma.data + writer->dma.size);
    writer->dma.size += TRN_DMA_DESC_BYTES;
  }
  return NULL;
}

trn_status_t trn_rt_writer_add_constant(trn_rt_writer_t *writer, uint64_t hbm_offset,
                                        const void *data, size_t size) {
  if (!writer) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: writer is NULL");
  if (size == 0) return NULL;
  if (!data) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: constant data is NULL");
  if (hbm_offset > UINT64_MAX - size)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                           "writer: constant at HBM offset 0x%llx of %zu bytes overflows",
                           (unsigned long long)hbm_offset, size);
  if (!array_grow((void **)&writer->constants, writer->constant_count,
                  &writer->constant_capacity, sizeof(trn_rt_wconst_t)))
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "writer: out of memory");
  uint8_t *copy = malloc(size);
  if (!copy)
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "writer: out of memory for a %zu-byte constant",
                           size);
  memcpy(copy, data, size);
  trn_rt_wconst_t *c = &writer->constants[writer->constant_count++];
  c->hbm_offset = hbm_offset;
  c->size = size;
  c->data = copy;
  return NULL;
}

static trn_status_t add_tensor(trn_rt_writer_t *writer, int kind,
                               const trn_rt_tensor_info_t *info) {
  const char *what = kind == 0 ? "input" : "output";
  if (!writer) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: writer is NULL");
  if (!info || !info->name)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: %s info or name is NULL", what);
  size_t esize = trn_isa_dtype_size(info->dtype);
  if (esize == 0)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: %s '%s': invalid dtype %d", what,
                           info->name, (int)info->dtype);
  if (info->rank > TRN_MAX_RANK)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: %s '%s': rank %u exceeds %d", what,
                           info->name, info->rank, TRN_MAX_RANK);
  uint64_t bytes = esize;
  for (uint32_t d = 0; d < info->rank; ++d) {
    if (info->dims[d] < 0)
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: %s '%s': dim %u is %lld", what,
                             info->name, d, (long long)info->dims[d]);
    if (__builtin_mul_overflow(bytes, (uint64_t)info->dims[d], &bytes))
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: %s '%s': size overflows", what,
                             info->name);
  }
  if (info->bytes != 0 && info->bytes != bytes)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                           "writer: %s '%s': bytes is %llu but dims and dtype give %llu", what,
                           info->name, (unsigned long long)info->bytes,
                           (unsigned long long)bytes);
  if (!array_grow((void **)&writer->tensors[kind], writer->tensor_count[kind],
                  &writer->tensor_capacity[kind], sizeof(trn_rt_tensor_info_t)))
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "writer: out of memory");
  char *name = strdup(info->name);
  if (!name) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "writer: out of memory");
  trn_rt_tensor_info_t *t = &writer->tensors[kind][writer->tensor_count[kind]++];
  *t = *info;
  for (uint32_t d = info->rank; d < TRN_MAX_RANK; ++d) t->dims[d] = 0;
  t->name = name;
  t->bytes = bytes;
  return NULL;
}

trn_status_t trn_rt_writer_add_input(trn_rt_writer_t *writer, const trn_rt_tensor_info_t *info) {
  return add_tensor(writer, 0, info);
}

trn_status_t trn_rt_writer_add_output(trn_rt_writer_t *writer, const trn_rt_tensor_info_t *info) {
  return add_tensor(writer, 1, info);
}

/* ---- serialization ------------------------------------------------------------------ */

typedef struct trn_rt_layout_t {
  uint32_t kind, flags;
  uint64_t offset, size, aux;
} trn_rt_layout_t;

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

static trn_status_t serialize(const trn_rt_writer_t *w, uint8_t **out_data, size_t *out_size) {
  *out_data = NULL;
  *out_size = 0;
  const char *target_name = w->target->name;
  const char *compiler = w->compiler_version ? w->compiler_version : "";
  size_t ntensors = w->tensor_count[0] + w->tensor_count[1];
  if (w->tensor_count[0] > UINT32_MAX || w->tensor_count[1] > UINT32_MAX)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: too many inputs or outputs");

  trn_rt_layout_t secs[5 + TRN_MAX_STREAMS];
  size_t nsec = 0;
  /* METADATA */
  secs[nsec++] = (trn_rt_layout_t){TRN_NEFF_KIND_METADATA, 0, 0,
                                   TRN_NEFF_META_FIXED_SIZE + strlen(target_name) + 1 +
                                       strlen(compiler) + 1,
                                   0};
  /* IO */
  uint64_t io_size = TRN_NEFF_IO_FIXED_SIZE + (uint64_t)ntensors * TRN_NEFF_IO_ENTRY_SIZE;
  for (int k = 0; k < 2; ++k)
    for (size_t i = 0; i < w->tensor_count[k]; ++i) io_size += strlen(w->tensors[k][i].name) + 1;
  secs[nsec++] = (trn_rt_layout_t){TRN_NEFF_KIND_IO, 0, 0, io_size, 0};
  for (uint32_t s = 0; s < TRN_MAX_STREAMS; ++s)
    if (w->streams[s].size)
      secs[nsec++] = (trn_rt_layout_t){TRN_NEFF_KIND_STREAM, 0, 0, w->streams[s].size, s};
  if (w->dma.size)
    secs[nsec++] = (trn_rt_layout_t){TRN_NEFF_KIND_DMA, 0, 0, w->dma.size,
                                     w->dma.size / TRN_DMA_DESC_BYTES};
  if (w->constant_count) {
    uint64_t size = (uint64_t)w->constant_count * TRN_NEFF_CONST_ENTRY_SIZE;
    for (size_t i = 0; i < w->constant_count; ++i)
      size = align_up(size, TRN_NEFF_CONST_ALIGN) + w->constants[i].size;
    secs[nsec++] = (trn_rt_layout_t){TRN_NEFF_KIND_CONSTANTS, 0, 0, size, w->constant_count};
  }
  /* LAYERS: the fixed part, then per-stream index arrays, then the names */
  uint64_t layer_tables = 0, layer_index_at = 0, layer_names_at = 0;
  if (w->layer_count) {
    for (uint32_t s = 0; s < TRN_MAX_STREAMS; ++s) layer_tables += w->streams[s].size != 0;
    layer_index_at = TRN_NEFF_LAYERS_FIXED_SIZE + 4 * (uint64_t)w->layer_count +
                     layer_tables * TRN_NEFF_LTAB_ENTRY_SIZE;
    layer_names_at = layer_index_at;
    for (uint32_t s = 0; s < TRN_MAX_STREAMS; ++s) layer_names_at += w->inst_layer[s].size;
    uint64_t size = layer_names_at;
    for (size_t i = 0; i < w->layer_count; ++i) size += strlen(w->layers[i]) + 1;
    if (size > UINT32_MAX)
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: layer names too long");
    secs[nsec++] = (trn_rt_layout_t){TRN_NEFF_KIND_LAYERS, TRN_NEFF_SECTION_OPTIONAL, 0, size,
                                     w->layer_count};
  }

  uint64_t pos = TRN_NEFF_HEADER_SIZE + (uint64_t)nsec * TRN_NEFF_SECTION_ENTRY_SIZE;
  for (size_t i = 0; i < nsec; ++i) {
    pos = align_up(pos, TRN_NEFF_SECTION_ALIGN);
    secs[i].offset = pos;
    pos += secs[i].size;
  }
  if (pos > SIZE_MAX)
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "writer: a %llu-byte file does not fit in memory",
                           (unsigned long long)pos);
  size_t size = (size_t)pos;
  uint8_t *f = calloc(1, size);
  if (!f)
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "writer: out of memory for a %zu-byte file",
                           size);

  memcpy(f + TRN_NEFF_HDR_MAGIC, TRN_NEFF_MAGIC, TRN_NEFF_MAGIC_SIZE);
  trn_neff_wr32(f + TRN_NEFF_HDR_MAJOR, TRN_NEFF_VERSION_MAJOR);
  trn_neff_wr32(f + TRN_NEFF_HDR_MINOR, TRN_NEFF_VERSION_MINOR);
  trn_neff_wr64(f + TRN_NEFF_HDR_FILE_SIZE, size);
  trn_neff_wr32(f + TRN_NEFF_HDR_HEADER_SIZE, TRN_NEFF_HEADER_SIZE);
  trn_neff_wr32(f + TRN_NEFF_HDR_SECTION_COUNT, (uint32_t)nsec);
  trn_neff_wr64(f + TRN_NEFF_HDR_TABLE_OFFSET, TRN_NEFF_HEADER_SIZE);
  for (size_t i = 0; i < nsec; ++i) {
    uint8_t *e = f + TRN_NEFF_HEADER_SIZE + i * TRN_NEFF_SECTION_ENTRY_SIZE;
    trn_neff_wr32(e + TRN_NEFF_SEC_KIND, secs[i].kind);
    trn_neff_wr32(e + TRN_NEFF_SEC_FLAGS, secs[i].flags);
    trn_neff_wr64(e + TRN_NEFF_SEC_OFFSET, secs[i].offset);
    trn_neff_wr64(e + TRN_NEFF_SEC_SIZE, secs[i].size);
    trn_neff_wr64(e + TRN_NEFF_SEC_AUX, secs[i].aux);
  }

  for (size_t i = 0; i < nsec; ++i) {
    uint8_t *s = f + secs[i].offset;
    switch (secs[i].kind) {
    case TRN_NEFF_KIND_METADATA: {
      trn_neff_wr64(s + TRN_NEFF_META_HBM_SIZE, w->hbm_size);
      memcpy(s + TRN_NEFF_META_HASH, w->model_hash, 32);
      size_t at = TRN_NEFF_META_FIXED_SIZE;
      trn_neff_wr32(s + TRN_NEFF_META_TARGET, (uint32_t)at);
      memcpy(s + at, target_name, strlen(target_name) + 1);
      at += strlen(target_name) + 1;
      trn_neff_wr32(s + TRN_NEFF_META_COMPILER, (uint32_t)at);
      memcpy(s + at, compiler, strlen(compiler) + 1);
      break;
    }
    case TRN_NEFF_KIND_IO: {
      trn_neff_wr32(s + TRN_NEFF_IO_INPUT_COUNT, (uint32_t)w->tensor_count[0]);
      trn_neff_wr32(s + TRN_NEFF_IO_OUTPUT_COUNT, (uint32_t)w->tensor_count[1]);
      uint64_t names = TRN_NEFF_IO_FIXED_SIZE + (uint64_t)ntensors * TRN_NEFF_IO_ENTRY_SIZE;
      uint8_t *e = s + TRN_NEFF_IO_FIXED_SIZE;
      for (int k = 0; k < 2; ++k) {
        for (size_t j = 0; j < w->tensor_count[k]; ++j, e += TRN_NEFF_IO_ENTRY_SIZE) {
          const trn_rt_tensor_info_t *t = &w->tensors[k][j];
          if (names > UINT32_MAX) {
            free(f);
            return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: I/O names too long");
          }
          trn_neff_wr32(e + TRN_NEFF_IO_NAME, (uint32_t)names);
          trn_neff_wr32(e + TRN_NEFF_IO_DTYPE, (uint32_t)t->dtype);
          trn_neff_wr32(e + TRN_NEFF_IO_RANK, t->rank);
          trn_neff_wr64(e + TRN_NEFF_IO_HBM_OFFSET, t->hbm_offset);
          trn_neff_wr64(e + TRN_NEFF_IO_BYTES, t->bytes);
          for (int d = 0; d < TRN_MAX_RANK; ++d)
            trn_neff_wr64(e + TRN_NEFF_IO_DIMS + 8 * d, (uint64_t)t->dims[d]);
          size_t len = strlen(t->name) + 1;
          memcpy(s + names, t->name, len);
          names += len;
        }
      }
      break;
    }
    case TRN_NEFF_KIND_STREAM:
      memcpy(s, w->streams[secs[i].aux].data, secs[i].size);
      break;
    case TRN_NEFF_KIND_DMA:
      memcpy(s, w->dma.data, secs[i].size);
      break;
    case TRN_NEFF_KIND_CONSTANTS: {
      uint64_t at = (uint64_t)w->constant_count * TRN_NEFF_CONST_ENTRY_SIZE;
      for (size_t j = 0; j < w->constant_count; ++j) {
        const trn_rt_wconst_t *c = &w->constants[j];
        uint8_t *e = s + j * TRN_NEFF_CONST_ENTRY_SIZE;
        at = align_up(at, TRN_NEFF_CONST_ALIGN);
        trn_neff_wr64(e + TRN_NEFF_CONST_HBM_OFFSET, c->hbm_offset);
        trn_neff_wr64(e + TRN_NEFF_CONST_SIZE, c->size);
        trn_neff_wr64(e + TRN_NEFF_CONST_DATA, at);
        memcpy(s + at, c->data, c->size);
        at += c->size;
      }
      break;
    }
    case TRN_NEFF_KIND_LAYERS: {
      trn_neff_wr32(s + TRN_NEFF_LAYERS_COUNT, (uint32_t)w->layer_count);
      trn_neff_wr32(s + TRN_NEFF_LAYERS_TABLES, (uint32_t)layer_tables);
      uint64_t name_at = layer_names_at, index_at = layer_index_at;
      for (size_t j = 0; j < w->layer_count; ++j) {
        size_t len = strlen(w->layers[j]) + 1;
        trn_neff_wr32(s + TRN_NEFF_LAYERS_FIXED_SIZE + 4 * j, (uint32_t)name_at);
        memcpy(s + name_at, w->layers[j], len);
        name_at += len;
      }
      uint8_t *e = s + TRN_NEFF_LAYERS_FIXED_SIZE + 4 * w->layer_count;
      for (uint32_t st = 0; st < TRN_MAX_STREAMS; ++st) {
        if (!w->streams[st].size) continue;
        trn_neff_wr32(e + TRN_NEFF_LTAB_STREAM, st);
        trn_neff_wr32(e + TRN_NEFF_LTAB_COUNT, (uint32_t)(w->streams[st].size / TRN_INST_BYTES));
        trn_neff_wr64(e + TRN_NEFF_LTAB_OFFSET, index_at);
        memcpy(s + index_at, w->inst_layer[st].data, w->inst_layer[st].size);
        index_at += w->inst_layer[st].size;
        e += TRN_NEFF_LTAB_ENTRY_SIZE;
      }
      break;
    }
    }
  }
  trn_neff_wr32(f + TRN_NEFF_HDR_CHECKSUM, trn_rt_neff_checksum(f, size));
  *out_data = f;
  *out_size = size;
  return NULL;
}

/* Serializes and validates with the loader, so that a writer never hands out a file
 * the runtime would refuse. */
static trn_status_t serialize_checked(const trn_rt_writer_t *w, uint8_t **out_data,
                                      size_t *out_size) {
  if (w->out_of_memory)
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "writer: out of memory while setting metadata");
  TRN_RETURN_IF_ERROR(serialize(w, out_data, out_size));
  trn_rt_model_t check;
  memset(&check, 0, sizeof(check));
  trn_status_t status = trn_rt_neff_parse(*out_data, *out_size, "writer", &check);
  trn_rt_model_release_parts(&check);
  if (status) {
    free(*out_data);
    *out_data = NULL;
    *out_size = 0;
    trn_status_t wrapped = trn_status_make(
        trn_status_code(status) == TRN_ERR_OUT_OF_MEMORY ? TRN_ERR_OUT_OF_MEMORY
                                                         : TRN_ERR_INVALID_ARGUMENT,
        "%s", trn_status_message(status));
    trn_status_free(status);
    return wrapped;
  }
  return NULL;
}

trn_status_t trn_rt_writer_write_memory(trn_rt_writer_t *writer, void **out_data,
                                        size_t *out_size) {
  if (out_data) *out_data = NULL;
  if (out_size) *out_size = 0;
  if (!writer || !out_data || !out_size)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: NULL argument to write_memory");
  uint8_t *data;
  size_t size;
  TRN_RETURN_IF_ERROR(serialize_checked(writer, &data, &size));
  *out_data = data;
  *out_size = size;
  return NULL;
}

trn_status_t trn_rt_writer_write_file(trn_rt_writer_t *writer, const char *path) {
  if (!writer || !path || !*path)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "writer: NULL argument to write_file");
  uint8_t *data;
  size_t size;
  TRN_RETURN_IF_ERROR(serialize_checked(writer, &data, &size));

  trn_rt_outfile_t out;
  trn_status_t status = trn_rt_outfile_open(path, &out);
  if (status) {
    free(data);
    return status;
  }
  fwrite(data, 1, size, out.file); /* a short write sets the stream's error: close reports it */
  free(data);
  return trn_rt_outfile_close(&out, true);
}
