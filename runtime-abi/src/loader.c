/* The .neff loader: validates every byte of a file (layout in NEFF.md) before anything
 * can run, and builds the trn_rt_model_t the interpreter executes. Nothing here trusts
 * the input: every offset, size and count is checked with overflow-safe arithmetic. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "neff_format.h"

#ifdef TRN_HAVE_ZLIB
#include <pthread.h>
#include <zlib.h>
#endif

/* ---- CRC-32: zlib's when built with it, else slicing by 4 (the tables are built per
 * call: no mutable globals) ---------------------------------------------------------- */

#ifndef TRN_HAVE_ZLIB
typedef struct trn_rt_crc_tables_t {
  uint32_t t[4][256];
} trn_rt_crc_tables_t;

static void crc_tables_init(trn_rt_crc_tables_t *c) {
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t v = i;
    for (int k = 0; k < 8; ++k) v = (v >> 1) ^ (0xEDB88320u & (0u - (v & 1u)));
    c->t[0][i] = v;
  }
  for (uint32_t i = 0; i < 256; ++i)
    for (int s = 1; s < 4; ++s) c->t[s][i] = (c->t[s - 1][i] >> 8) ^ c->t[0][c->t[s - 1][i] & 0xFF];
}

static uint32_t crc_update(const trn_rt_crc_tables_t *c, uint32_t crc, const uint8_t *p,
                           size_t n) {
  crc = ~crc;
  while (n >= 4) {
    crc ^= trn_neff_rd32(p);
    crc = c->t[3][crc & 0xFF] ^ c->t[2][(crc >> 8) & 0xFF] ^ c->t[1][(crc >> 16) & 0xFF] ^
          c->t[0][crc >> 24];
    p += 4;
    n -= 4;
  }
  while (n--) crc = (crc >> 8) ^ c->t[0][(crc ^ *p++) & 0xFF];
  return ~crc;
}
#endif

#ifdef TRN_HAVE_ZLIB
/* Inputs at least this large have their CRC computed in two halves on two threads. */
#define TRN_RT_CRC_SPLIT ((size_t)8 << 20)

typedef struct trn_rt_crc_part_t {
  const uint8_t *data;
  size_t size;
  uLong crc;
} trn_rt_crc_part_t;

static void *crc_part_main(void *arg) {
  trn_rt_crc_part_t *part = arg;
  part->crc = crc32_z(0, part->data, part->size);
  return NULL;
}
#endif

uint32_t trn_rt_crc32(uint32_t crc, const void *data, size_t size) {
#ifdef TRN_HAVE_ZLIB
  /* zlib's crc32 is the same CRC, several times faster on large files. A large input
   * (a .neff holds the weights) is split: the second half on a second thread, the two
   * CRCs joined with crc32_combine; without the thread, one pass. */
  if (size >= TRN_RT_CRC_SPLIT) {
    size_t half = size / 2;
    trn_rt_crc_part_t tail = {(const uint8_t *)data + half, size - half, 0};
    pthread_t thread;
    if (pthread_create(&thread, NULL, crc_part_main, &tail) == 0) {
      uLong head = crc32_z(crc, data, half);
      pthread_join(thread, NULL);
      return (uint32_t)crc32_combine(head, tail.crc, (z_off_t)tail.size);
    }
  }
  return (uint32_t)crc32_z(crc, data, size);
#else
  trn_rt_crc_tables_t tables;
  crc_tables_init(&tables);
  return crc_update(&tables, crc, data, size);
#endif
}

uint32_t trn_rt_neff_checksum(const uint8_t *file, size_t size) {
  size_t head = size < TRN_NEFF_HDR_CHECKSUM ? size : TRN_NEFF_HDR_CHECKSUM;
  uint32_t crc = trn_rt_crc32(0, file, head);
  if (size > TRN_NEFF_HDR_CHECKSUM + 4)
    crc = trn_rt_crc32(crc, file + TRN_NEFF_HDR_CHECKSUM + 4, size - TRN_NEFF_HDR_CHECKSUM - 4);
  return crc;
}

const char *trn_rt_neff_kind_name(uint32_t kind) {
  switch (kind) {
  case TRN_NEFF_KIND_METADATA: return "metadata";
  case TRN_NEFF_KIND_IO: return "io";
  case TRN_NEFF_KIND_STREAM: return "stream";
  case TRN_NEFF_KIND_DMA: return "dma";
  case TRN_NEFF_KIND_CONSTANTS: return "constants";
  case TRN_NEFF_KIND_LAYERS: return "layers";
  }
  return NULL;
}

/* ---- parsing ----------------------------------------------------------------------- */

typedef struct trn_rt_section_t {
  uint32_t index, kind, flags;
  uint64_t offset, size, aux;
} trn_rt_section_t;

typedef struct trn_rt_parser_t {
  const uint8_t *data;
  size_t size;
  const char *name;
  trn_rt_model_t *model;
} trn_rt_parser_t;

/* "<name>: <where> at offset 0x..: <detail>" */
static trn_status_t fail(const trn_rt_parser_t *p, trn_status_code_t code, const char *where,
                         uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static trn_status_t fail(const trn_rt_parser_t *p, trn_status_code_t code, const char *where,
                         uint64_t offset, const char *fmt, ...) {
  char detail[512];
  va_list args;
  va_start(args, fmt);
  vsnprintf(detail, sizeof(detail), fmt, args);
  va_end(args);
  return trn_status_make(code, "%s: %s at offset 0x%" PRIx64 ": %s", p->name, where, offset,
                         detail);
}

/* A section's name for messages: "section 3 (stream pe)". */
static void section_where(const trn_rt_section_t *s, char *buf, size_t size) {
  const char *kind = trn_rt_neff_kind_name(s->kind);
  if (s->kind == TRN_NEFF_KIND_STREAM && s->aux < TRN_MAX_STREAMS) {
    char stream[16];
    trn_isa_stream_name((uint32_t)s->aux, stream, sizeof(stream));
    snprintf(buf, size, "section %u (stream %s)", s->index, stream);
  } else if (kind) {
    snprintf(buf, size, "section %u (%s)", s->index, kind);
  } else {
    snprintf(buf, size, "section %u (kind %u)", s->index, s->kind);
  }
}

/* Checks that a NUL-terminated string starts at `off` inside the section. */
static bool section_string(const trn_rt_parser_t *p, const trn_rt_section_t *s, uint64_t off,
                           const char **out) {
  if (off >= s->size) return false;
  const char *str = (const char *)p->data + s->offset + off;
  if (!memchr(str, 0, (size_t)(s->size - off))) return false;
  *out = str;
  return true;
}

static trn_status_t parse_metadata(trn_rt_parser_t *p, const trn_rt_section_t *s) {
  char where[64];
  section_where(s, where, sizeof(where));
  const uint8_t *b = p->data + s->offset;
  trn_rt_model_t *m = p->model;
  if (s->aux != 0)
    return fail(p, TRN_ERR_FORMAT, where, s->offset, "aux is %" PRIu64 ", must be 0", s->aux);
  if (s->size < TRN_NEFF_META_FIXED_SIZE)
    return fail(p, TRN_ERR_FORMAT, where, s->offset, "size %" PRIu64 " is below the %d-byte minimum",
                s->size, TRN_NEFF_META_FIXED_SIZE);
  m->hbm_size = trn_neff_rd64(b + TRN_NEFF_META_HBM_SIZE);
  memcpy(m->source_hash, b + TRN_NEFF_META_HASH, 32);
  const char *target_name, *compiler;
  uint32_t toff = trn_neff_rd32(b + TRN_NEFF_META_TARGET);
  uint32_t coff = trn_neff_rd32(b + TRN_NEFF_META_COMPILER);
  if (!section_string(p, s, toff, &target_name))
    return fail(p, TRN_ERR_FORMAT, where, s->offset + TRN_NEFF_META_TARGET,
                "target name at section offset %u is not a NUL-terminated string inside the "
                "section",
                toff);
  if (!section_string(p, s, coff, &compiler))
    return fail(p, TRN_ERR_FORMAT, where, s->offset + TRN_NEFF_META_COMPILER,
                "compiler version at section offset %u is not a NUL-terminated string inside "
                "the section",
                coff);
  m->target = trn_isa_target_find(target_name);
  if (!m->target)
    return fail(p, TRN_ERR_FORMAT, where, s->offset + toff, "unknown target '%.64s'", target_name);
  if (m->hbm_size > m->target->hbm_bytes)
    return fail(p, TRN_ERR_FORMAT, where, s->offset + TRN_NEFF_META_HBM_SIZE,
                "HBM size %" PRIu64 " exceeds the %" PRIu64 " bytes of target %s", m->hbm_size,
                m->target->hbm_bytes, m->target->name);
  m->compiler_version = strdup(compiler);
  if (!m->compiler_version) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", p->name);
  return NULL;
}

static trn_status_t parse_io(trn_rt_parser_t *p, const trn_rt_section_t *s) {
  char where[64];
  section_where(s, where, sizeof(where));
  const uint8_t *b = p->data + s->offset;
  trn_rt_model_t *m = p->model;
  if (s->aux != 0)
    return fail(p, TRN_ERR_FORMAT, where, s->offset, "aux is %" PRIu64 ", must be 0", s->aux);
  if (s->size < TRN_NEFF_IO_FIXED_SIZE)
    return fail(p, TRN_ERR_FORMAT, where, s->offset, "size %" PRIu64 " is below the %d-byte minimum",
                s->size, TRN_NEFF_IO_FIXED_SIZE);
  uint64_t counts[2] = {trn_neff_rd32(b + TRN_NEFF_IO_INPUT_COUNT),
                        trn_neff_rd32(b + TRN_NEFF_IO_OUTPUT_COUNT)};
  uint64_t total = counts[0] + counts[1];
  if (total > (s->size - TRN_NEFF_IO_FIXED_SIZE) / TRN_NEFF_IO_ENTRY_SIZE)
    return fail(p, TRN_ERR_FORMAT, where, s->offset,
                "%" PRIu64 " inputs and %" PRIu64 " outputs of %d bytes each do not fit in %" PRIu64
                " bytes",
                counts[0], counts[1], TRN_NEFF_IO_ENTRY_SIZE, s->size);
  trn_rt_tensor_info_t *arrays[2] = {NULL, NULL};
  for (int k = 0; k < 2; ++k) {
    if (counts[k] == 0) continue;
    arrays[k] = calloc((size_t)counts[k], sizeof(trn_rt_tensor_info_t));
    if (!arrays[k]) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", p->name);
    if (k == 0) {
      m->inputs = arrays[0];
    } else {
      m->outputs = arrays[1];
    }
  }
  const uint8_t *e = b + TRN_NEFF_IO_FIXED_SIZE;
  for (int k = 0; k < 2; ++k) {
    const char *what = k == 0 ? "input" : "output";
    for (uint64_t i = 0; i < counts[k]; ++i, e += TRN_NEFF_IO_ENTRY_SIZE) {
      uint64_t eoff = (uint64_t)(e - p->data);
      trn_rt_tensor_info_t *t = &arrays[k][i];
      const char *name;
      uint32_t noff = trn_neff_rd32(e + TRN_NEFF_IO_NAME);
      if (!section_string(p, s, noff, &name))
        return fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_IO_NAME,
                    "%s %" PRIu64 ": name at section offset %u is not a NUL-terminated string "
                    "inside the section",
                    what, i, noff);
      uint32_t dtype = trn_neff_rd32(e + TRN_NEFF_IO_DTYPE);
      uint32_t rank = trn_neff_rd32(e + TRN_NEFF_IO_RANK);
      size_t esize = dtype < TRN_DTYPE_COUNT ? trn_isa_dtype_size((trn_dtype_t)dtype) : 0;
      if (esize == 0)
        return fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_IO_DTYPE,
                    "%s %" PRIu64 " '%.64s': invalid dtype %u", what, i, name, dtype);
      if (rank > TRN_MAX_RANK)
        return fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_IO_RANK,
                    "%s %" PRIu64 " '%.64s': rank %u exceeds %d", what, i, name, rank,
                    TRN_MAX_RANK);
      if (trn_neff_rd32(e + TRN_NEFF_IO_RESERVED) != 0)
        return fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_IO_RESERVED,
                    "%s %" PRIu64 " '%.64s': reserved field is not 0", what, i, name);
      uint64_t bytes = esize;
      for (uint32_t d = 0; d < TRN_MAX_RANK; ++d) {
        int64_t dim = (int64_t)trn_neff_rd64(e + TRN_NEFF_IO_DIMS + 8 * d);
        if (d >= rank) {
          if (dim != 0)
            return fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_IO_DIMS + 8 * d,
                        "%s %" PRIu64 " '%.64s': dim %u beyond rank %u is not 0", what, i, name, d,
                        rank);
          continue;
        }
        if (dim < 0)
          return fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_IO_DIMS + 8 * d,
                      "%s %" PRIu64 " '%.64s': dim %u is negative (%" PRId64 ")", what, i, name, d,
                      dim);
        if (__builtin_mul_overflow(bytes, (uint64_t)dim, &bytes))
          return fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_IO_DIMS + 8 * d,
                      "%s %" PRIu64 " '%.64s': size overflows", what, i, name);
        t->dims[d] = dim;
      }
      t->dtype = (trn_dtype_t)dtype;
      t->rank = rank;
      t->hbm_offset = trn_neff_rd64(e + TRN_NEFF_IO_HBM_OFFSET);
      t->bytes = trn_neff_rd64(e + TRN_NEFF_IO_BYTES);
      if (t->bytes != bytes)
        return fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_IO_BYTES,
                    "%s %" PRIu64 " '%.64s': bytes is %" PRIu64 " but dims and dtype give %" PRIu64,
                    what, i, name, t->bytes, bytes);
      if (t->hbm_offset > m->hbm_size || t->bytes > m->hbm_size - t->hbm_offset)
        return fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_IO_HBM_OFFSET,
                    "%s %" PRIu64 " '%.64s': HBM range [0x%" PRIx64 ", +%" PRIu64
                    ") is outside the %" PRIu64 "-byte HBM image",
                    what, i, name, t->hbm_offset, t->bytes, m->hbm_size);
      t->name = strdup(name);
      if (!t->name) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", p->name);
      if (k == 0) {
        m->input_count = (size_t)i + 1;
      } else {
        m->output_count = (size_t)i + 1;
      }
    }
  }
  return NULL;
}

/* Byte range [*lo, *hi) one side of a descriptor touches; false on overflow or a
 * range below address 0. *hi == *lo when no element moves. */
static bool dma_extent(uint64_t addr, const uint32_t *num, const int64_t *step, size_t esize,
                       uint64_t *lo, uint64_t *hi) {
  int64_t min = 0, max = 0;
  for (int d = 0; d < TRN_DMA_DIMS; ++d) {
    if (num[d] == 0) {
      *lo = *hi = addr;
      return true;
    }
  }
  for (int d = 0; d < TRN_DMA_DIMS; ++d) {
    int64_t span;
    if (__builtin_mul_overflow(step[d], (int64_t)(num[d] - 1), &span)) return false;
    if (span < 0) {
      if (__builtin_add_overflow(min, span, &min)) return false;
    } else {
      if (__builtin_add_overflow(max, span, &max)) return false;
    }
  }
  int64_t min_bytes, max_bytes;
  if (__builtin_mul_overflow(min, (int64_t)esize, &min_bytes)) return false;
  if (__builtin_mul_overflow(max, (int64_t)esize, &max_bytes)) return false;
  /* min_bytes <= 0 <= max_bytes */
  uint64_t below = (uint64_t)0 - (uint64_t)min_bytes;
  if (below > addr) return false;
  *lo = addr - below;
  if (__builtin_add_overflow(addr, (uint64_t)max_bytes, hi)) return false;
  if (__builtin_add_overflow(*hi, (uint64_t)esize, hi)) return false;
  return true;
}

static uint64_t space_limit(const trn_rt_model_t *m, uint8_t space) {
  switch (space) {
  case TRN_SPACE_HBM: return m->hbm_size;
  case TRN_SPACE_SBUF: return (uint64_t)m->target->partitions * m->target->sbuf_partition_bytes;
  case TRN_SPACE_PSUM: return (uint64_t)m->target->partitions * m->target->psum_partition_bytes;
  }
  return 0;
}

static trn_status_t check_dma_side(trn_rt_parser_t *p, const char *where, uint64_t off,
                                   uint64_t index, const char *side, uint8_t space,
                                   uint8_t dtype, uint64_t addr, const uint32_t *num,
                                   const int64_t *step) {
  if (space != TRN_SPACE_HBM && space != TRN_SPACE_SBUF && space != TRN_SPACE_PSUM)
    return fail(p, TRN_ERR_FORMAT, where, off, "descriptor %" PRIu64 ": %s space %u is not hbm, sbuf or psum",
                index, side, space);
  size_t esize = dtype < TRN_DTYPE_COUNT ? trn_isa_dtype_size((trn_dtype_t)dtype) : 0;
  if (esize == 0)
    return fail(p, TRN_ERR_FORMAT, where, off, "descriptor %" PRIu64 ": %s dtype %u is invalid",
                index, side, dtype);
  uint64_t limit = space_limit(p->model, space);
  uint64_t lo, hi;
  if (!dma_extent(addr, num, step, esize, &lo, &hi))
    return fail(p, TRN_ERR_FORMAT, where, off,
                "descriptor %" PRIu64 ": %s address range of %s at 0x%" PRIx64
                " overflows or starts below 0",
                index, side, trn_isa_space_name((trn_space_t)space), addr);
  if (hi > lo && hi > limit)
    return fail(p, TRN_ERR_FORMAT, where, off,
                "descriptor %" PRIu64 ": %s range [0x%" PRIx64 ", 0x%" PRIx64
                ") is outside %s (%" PRIu64 " bytes)",
                index, side, lo, hi, trn_isa_space_name((trn_space_t)space), limit);
  return NULL;
}

static trn_status_t parse_dma(trn_rt_parser_t *p, const trn_rt_section_t *s) {
  char where[64];
  section_where(s, where, sizeof(where));
  trn_rt_model_t *m = p->model;
  if (s->size % TRN_DMA_DESC_BYTES != 0 || s->aux != s->size / TRN_DMA_DESC_BYTES)
    return fail(p, TRN_ERR_FORMAT, where, s->offset,
                "size %" PRIu64 " does not hold aux = %" PRIu64 " descriptors of %d bytes", s->size,
                s->aux, TRN_DMA_DESC_BYTES);
  size_t count = (size_t)s->aux;
  if (count == 0) return NULL;
  m->dma = calloc(count, sizeof(trn_dma_desc_t));
  if (!m->dma) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", p->name);
  for (size_t i = 0; i < count; ++i) {
    uint64_t off = s->offset + (uint64_t)i * TRN_DMA_DESC_BYTES;
    trn_dma_desc_t *d = &m->dma[i];
    char msg[256] = "";
    if (trn_isa_dma_decode(p->data + off, d, msg, sizeof(msg)) != 0)
      return fail(p, TRN_ERR_FORMAT, where, off, "descriptor %zu: %s", i, msg);
    TRN_RETURN_IF_ERROR(check_dma_side(p, where, off, i, "source", d->src_space, d->src_dtype,
                                       d->src_addr, d->num, d->src_step));
    TRN_RETURN_IF_ERROR(check_dma_side(p, where, off, i, "destination", d->dst_space,
                                       d->dst_dtype, d->dst_addr, d->num, d->dst_step));
    m->dma_count = i + 1;
  }
  return NULL;
}

static trn_status_t parse_stream(trn_rt_parser_t *p, const trn_rt_section_t *s) {
  char where[64];
  section_where(s, where, sizeof(where));
  trn_rt_model_t *m = p->model;
  uint32_t stream = (uint32_t)s->aux;
  if (s->aux >= TRN_MAX_STREAMS || stream >= TRN_STREAM_DMA0 + m->target->dma_queues)
    return fail(p, TRN_ERR_FORMAT, where, s->offset,
                "stream id %" PRIu64 " is out of range (target %s has %u streams)", s->aux,
                m->target->name, TRN_STREAM_DMA0 + m->target->dma_queues);
  if (m->streams[stream])
    return fail(p, TRN_ERR_FORMAT, where, s->offset, "a second section for the same stream");
  if (s->size % TRN_INST_BYTES != 0)
    return fail(p, TRN_ERR_FORMAT, where, s->offset,
                "size %" PRIu64 " is not a multiple of the %d-byte instruction", s->size,
                TRN_INST_BYTES);
  size_t count = (size_t)(s->size / TRN_INST_BYTES);
  if (count == 0) return NULL;
  trn_inst_t *insts = calloc(count, sizeof(trn_inst_t));
  if (!insts) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", p->name);
  m->streams[stream] = insts;
  char sname[16];
  trn_isa_stream_name(stream, sname, sizeof(sname));
  for (size_t i = 0; i < count; ++i) {
    uint64_t off = s->offset + (uint64_t)i * TRN_INST_BYTES;
    char msg[256] = "";
    if (trn_isa_decode(p->data + off, &insts[i], msg, sizeof(msg)) != 0)
      return fail(p, TRN_ERR_FORMAT, where, off, "stream %s, instruction %zu: %s", sname, i, msg);
    if (trn_isa_inst_check(&insts[i], stream, m->target, msg, sizeof(msg)) != 0)
      return fail(p, TRN_ERR_FORMAT, where, off, "stream %s, instruction %zu: %s", sname, i, msg);
    if (insts[i].opcode == TRN_OP_DMA) {
      uint64_t first = insts[i].aux, n = insts[i].imm[0];
      if (first > m->dma_count || n > m->dma_count - first)
        return fail(p, TRN_ERR_FORMAT, where, off,
                    "stream %s, instruction %zu: descriptors [%" PRIu64 ", %" PRIu64
                    ") are outside the table of %zu descriptors",
                    sname, i, first, first + n, m->dma_count);
    }
    m->stream_length[stream] = i + 1;
  }
  return NULL;
}

/* LAYERS: the names, then per stream the layer of each instruction (NEFF.md). */
static trn_status_t parse_layers(trn_rt_parser_t *p, const trn_rt_section_t *s) {
  char where[64];
  section_where(s, where, sizeof(where));
  trn_rt_model_t *m = p->model;
  const uint8_t *base = p->data + s->offset;
  if (s->size < TRN_NEFF_LAYERS_FIXED_SIZE)
    return fail(p, TRN_ERR_FORMAT, where, s->offset, "%" PRIu64 " bytes is too small", s->size);
  uint64_t count = trn_neff_rd32(base + TRN_NEFF_LAYERS_COUNT);
  uint64_t tables = trn_neff_rd32(base + TRN_NEFF_LAYERS_TABLES);
  uint64_t fixed = TRN_NEFF_LAYERS_FIXED_SIZE + count * 4 + tables * TRN_NEFF_LTAB_ENTRY_SIZE;
  if (count != s->aux || tables > TRN_MAX_STREAMS || fixed > s->size)
    return fail(p, TRN_ERR_FORMAT, where, s->offset,
                "%" PRIu64 " layers (aux says %" PRIu64 ") and %" PRIu64
                " stream tables do not fit its %" PRIu64 " bytes",
                count, s->aux, tables, s->size);
  m->layer_names = calloc(count ? (size_t)count : 1, sizeof(char *));
  if (!m->layer_names) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", p->name);
  for (uint64_t i = 0; i < count; ++i) {
    const char *name;
    uint64_t off = trn_neff_rd32(base + TRN_NEFF_LAYERS_FIXED_SIZE + 4 * i);
    if (!section_string(p, s, off, &name))
      return fail(p, TRN_ERR_FORMAT, where, s->offset + TRN_NEFF_LAYERS_FIXED_SIZE + 4 * i,
                  "layer %" PRIu64 ": name offset %" PRIu64 " is not a string in the section", i,
                  off);
    if (!(m->layer_names[i] = strdup(name)))
      return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", p->name);
    m->layer_count = (size_t)i + 1;
  }
  for (uint64_t t = 0; t < tables; ++t) {
    uint64_t at = TRN_NEFF_LAYERS_FIXED_SIZE + count * 4 + t * TRN_NEFF_LTAB_ENTRY_SIZE;
    uint32_t stream = trn_neff_rd32(base + at + TRN_NEFF_LTAB_STREAM);
    uint64_t n = trn_neff_rd32(base + at + TRN_NEFF_LTAB_COUNT);
    uint64_t off = trn_neff_rd64(base + at + TRN_NEFF_LTAB_OFFSET);
    if (stream >= TRN_MAX_STREAMS || m->inst_layer[stream] || n != m->stream_length[stream] ||
        n == 0 || off % 4 != 0 || off < fixed || off > s->size || n > (s->size - off) / 4)
      return fail(p, TRN_ERR_FORMAT, where, s->offset + at,
                  "stream table %" PRIu64 " (stream %u, %" PRIu64 " instructions at %" PRIu64
                  ") does not match a stream of the file or lies outside the section",
                  t, stream, n, off);
    uint32_t *layer = malloc((size_t)n * sizeof(uint32_t));
    if (!layer) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", p->name);
    m->inst_layer[stream] = layer;
    for (uint64_t i = 0; i < n; ++i) {
      layer[i] = trn_neff_rd32(base + off + 4 * i);
      if (layer[i] != TRN_RT_NO_LAYER && layer[i] >= count)
        return fail(p, TRN_ERR_FORMAT, where, s->offset + off + 4 * i,
                    "instruction %" PRIu64 " of stream %u: layer %u of %" PRIu64, i, stream,
                    layer[i], count);
    }
  }
  return NULL;
}

static int compare_u64_pairs(const void *a, const void *b) {
  const uint64_t *x = a, *y = b;
  return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1];
}

static trn_status_t parse_constants(trn_rt_parser_t *p, const trn_rt_section_t *s) {
  char where[64];
  section_where(s, where, sizeof(where));
  const uint8_t *b = p->data + s->offset;
  trn_rt_model_t *m = p->model;
  if (s->aux > s->size / TRN_NEFF_CONST_ENTRY_SIZE)
    return fail(p, TRN_ERR_FORMAT, where, s->offset,
                "%" PRIu64 " constants of %d-byte entries do not fit in %" PRIu64 " bytes", s->aux,
                TRN_NEFF_CONST_ENTRY_SIZE, s->size);
  size_t count = (size_t)s->aux;
  if (count == 0) return NULL;
  uint64_t table_end = (uint64_t)count * TRN_NEFF_CONST_ENTRY_SIZE;
  m->constants = calloc(count, sizeof(trn_rt_constant_t));
  uint64_t *ranges = calloc(count, 2 * sizeof(uint64_t)); /* {hbm_offset, index} */
  if (!m->constants || !ranges) {
    free(ranges);
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", p->name);
  }
  for (size_t i = 0; i < count; ++i) {
    const uint8_t *e = b + i * TRN_NEFF_CONST_ENTRY_SIZE;
    uint64_t eoff = s->offset + (uint64_t)i * TRN_NEFF_CONST_ENTRY_SIZE;
    uint64_t hbm = trn_neff_rd64(e + TRN_NEFF_CONST_HBM_OFFSET);
    uint64_t size = trn_neff_rd64(e + TRN_NEFF_CONST_SIZE);
    uint64_t data = trn_neff_rd64(e + TRN_NEFF_CONST_DATA);
    trn_status_t st = NULL;
    if (trn_neff_rd64(e + TRN_NEFF_CONST_RESERVED) != 0)
      st = fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_CONST_RESERVED,
                "constant %zu: reserved field is not 0", i);
    else if (data < table_end || data > s->size || size > s->size - data)
      st = fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_CONST_DATA,
                "constant %zu: data [0x%" PRIx64 ", +%" PRIu64
                ") is not inside the section after its %" PRIu64 "-byte table",
                i, data, size, table_end);
    else if ((s->offset + data) % TRN_NEFF_CONST_ALIGN != 0)
      st = fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_CONST_DATA,
                "constant %zu: data at file offset 0x%" PRIx64 " is not %u-byte aligned", i,
                s->offset + data, TRN_NEFF_CONST_ALIGN);
    else if (hbm > m->hbm_size || size > m->hbm_size - hbm)
      st = fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_CONST_HBM_OFFSET,
                "constant %zu: HBM range [0x%" PRIx64 ", +%" PRIu64
                ") is outside the %" PRIu64 "-byte HBM image",
                i, hbm, size, m->hbm_size);
    if (st) {
      free(ranges);
      return st;
    }
    m->constants[i].hbm_offset = hbm;
    m->constants[i].size = size;
    m->constants[i].data = p->data + s->offset + data;
    m->constant_count = i + 1;
    ranges[2 * i] = hbm;
    ranges[2 * i + 1] = i;
  }
  qsort(ranges, count, 2 * sizeof(uint64_t), compare_u64_pairs);
  for (size_t i = 1; i < count; ++i) {
    uint64_t prev_index = ranges[2 * i - 1], cur_index = ranges[2 * i + 1];
    const trn_rt_constant_t *prev = &m->constants[prev_index];
    const trn_rt_constant_t *cur = &m->constants[cur_index];
    if (cur->size && prev->hbm_offset + prev->size > cur->hbm_offset) {
      trn_status_t st =
          fail(p, TRN_ERR_FORMAT, where, s->offset + cur_index * TRN_NEFF_CONST_ENTRY_SIZE,
               "constant %" PRIu64 " at HBM 0x%" PRIx64 " overlaps constant %" PRIu64
               " [0x%" PRIx64 ", +%" PRIu64 ")",
               cur_index, cur->hbm_offset, prev_index, prev->hbm_offset, prev->size);
      free(ranges);
      return st;
    }
  }
  free(ranges);
  return NULL;
}

static int compare_sections(const void *a, const void *b) {
  const trn_rt_section_t *x = a, *y = b;
  if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
  return x->size < y->size ? -1 : x->size > y->size;
}

static trn_status_t parse_header_and_sections(trn_rt_parser_t *p, trn_rt_section_t **out_secs,
                                              uint32_t *out_count) {
  const uint8_t *d = p->data;
  size_t size = p->size;
  trn_rt_model_t *m = p->model;
  if (size < TRN_NEFF_MAGIC_SIZE || memcmp(d, TRN_NEFF_MAGIC, TRN_NEFF_MAGIC_SIZE) != 0)
    return fail(p, TRN_ERR_FORMAT, "header", 0, "not a .neff file (no \"TRNNEFF\" magic)");
  if (size < TRN_NEFF_HDR_FILE_SIZE)
    return fail(p, TRN_ERR_FORMAT, "header", size, "file truncated to %zu bytes inside the header",
                size);
  m->version_major = trn_neff_rd32(d + TRN_NEFF_HDR_MAJOR);
  m->version_minor = trn_neff_rd32(d + TRN_NEFF_HDR_MINOR);
  if (m->version_major != TRN_NEFF_VERSION_MAJOR)
    return fail(p, TRN_ERR_VERSION, "header", TRN_NEFF_HDR_MAJOR,
                "file format version %u.%u is not supported by this runtime, which reads version "
                "%u.%u (the file is %s; only major version %u is compatible)",
                m->version_major, m->version_minor, TRN_NEFF_VERSION_MAJOR,
                TRN_NEFF_VERSION_MINOR, m->version_major > TRN_NEFF_VERSION_MAJOR ? "newer" : "older",
                TRN_NEFF_VERSION_MAJOR);
  if (size < TRN_NEFF_HEADER_SIZE)
    return fail(p, TRN_ERR_FORMAT, "header", size, "file truncated to %zu bytes inside the %d-byte header",
                size, TRN_NEFF_HEADER_SIZE);
  uint64_t file_size = trn_neff_rd64(d + TRN_NEFF_HDR_FILE_SIZE);
  if (file_size != size)
    return fail(p, TRN_ERR_FORMAT, "header", TRN_NEFF_HDR_FILE_SIZE,
                "the header gives a file size of %" PRIu64 " bytes but the file has %zu (%s)",
                file_size, size, file_size > size ? "truncated" : "trailing bytes");
  uint32_t checksum = trn_neff_rd32(d + TRN_NEFF_HDR_CHECKSUM);
  uint32_t actual = trn_rt_neff_checksum(d, size);
  if (checksum != actual) {
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION /* let the fuzzer reach the checks below */
    return fail(p, TRN_ERR_FORMAT, "header", TRN_NEFF_HDR_CHECKSUM,
                "checksum mismatch: the header says 0x%08x, the contents give 0x%08x (file corrupt)",
                checksum, actual);
#endif
  }
  uint32_t header_size = trn_neff_rd32(d + TRN_NEFF_HDR_HEADER_SIZE);
  if (header_size < TRN_NEFF_HEADER_SIZE || header_size > size)
    return fail(p, TRN_ERR_FORMAT, "header", TRN_NEFF_HDR_HEADER_SIZE,
                "header size %u is outside [%d, file size %zu]", header_size, TRN_NEFF_HEADER_SIZE,
                size);
  if (trn_neff_rd32(d + TRN_NEFF_HDR_FLAGS) != 0)
    return fail(p, TRN_ERR_FORMAT, "header", TRN_NEFF_HDR_FLAGS,
                "flags 0x%08x: no flag is defined in version %u", trn_neff_rd32(d + TRN_NEFF_HDR_FLAGS),
                TRN_NEFF_VERSION_MAJOR);
  for (int i = TRN_NEFF_HDR_RESERVED; i < TRN_NEFF_HEADER_SIZE; ++i)
    if (d[i] != 0)
      return fail(p, TRN_ERR_FORMAT, "header", (uint64_t)i, "reserved header byte is not 0");

  uint32_t count = trn_neff_rd32(d + TRN_NEFF_HDR_SECTION_COUNT);
  uint64_t table = trn_neff_rd64(d + TRN_NEFF_HDR_TABLE_OFFSET);
  if (table < header_size || table % 8 != 0 || table > size ||
      (uint64_t)count > (size - table) / TRN_NEFF_SECTION_ENTRY_SIZE)
    return fail(p, TRN_ERR_FORMAT, "header", TRN_NEFF_HDR_TABLE_OFFSET,
                "section table of %u entries at 0x%" PRIx64
                " is not 8-aligned inside [header end 0x%x, file end 0x%zx)",
                count, table, header_size, size);
  uint64_t table_end = table + (uint64_t)count * TRN_NEFF_SECTION_ENTRY_SIZE;
  trn_rt_section_t *secs = calloc(count ? count : 1, sizeof(trn_rt_section_t));
  if (!secs) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", p->name);
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t *e = d + table + (uint64_t)i * TRN_NEFF_SECTION_ENTRY_SIZE;
    uint64_t eoff = table + (uint64_t)i * TRN_NEFF_SECTION_ENTRY_SIZE;
    trn_rt_section_t *s = &secs[i];
    s->index = i;
    s->kind = trn_neff_rd32(e + TRN_NEFF_SEC_KIND);
    s->flags = trn_neff_rd32(e + TRN_NEFF_SEC_FLAGS);
    s->offset = trn_neff_rd64(e + TRN_NEFF_SEC_OFFSET);
    s->size = trn_neff_rd64(e + TRN_NEFF_SEC_SIZE);
    s->aux = trn_neff_rd64(e + TRN_NEFF_SEC_AUX);
    char where[64];
    snprintf(where, sizeof(where), "section table entry %u", i);
    trn_status_t st = NULL;
    if (s->flags & ~TRN_NEFF_SECTION_FLAGS_KNOWN)
      st = fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_SEC_FLAGS, "unknown flags 0x%08x",
                s->flags);
    else if (s->offset % 8 != 0 || s->offset < header_size || s->offset > size ||
             s->size > size - s->offset)
      st = fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_SEC_OFFSET,
                "section [0x%" PRIx64 ", +%" PRIu64
                ") is not 8-aligned inside [header end 0x%x, file end 0x%zx)",
                s->offset, s->size, header_size, size);
    else if (s->size && s->offset < table_end && table < s->offset + s->size)
      st = fail(p, TRN_ERR_FORMAT, where, eoff + TRN_NEFF_SEC_OFFSET,
                "section [0x%" PRIx64 ", +%" PRIu64 ") overlaps the section table [0x%" PRIx64
                ", 0x%" PRIx64 ")",
                s->offset, s->size, table, table_end);
    if (st) {
      free(secs);
      return st;
    }
  }
  /* No two sections share a byte. */
  trn_rt_section_t *sorted = malloc((count ? count : 1) * sizeof(trn_rt_section_t));
  if (!sorted) {
    free(secs);
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", p->name);
  }
  if (count) memcpy(sorted, secs, count * sizeof(trn_rt_section_t));
  qsort(sorted, count, sizeof(trn_rt_section_t), compare_sections);
  uint64_t end = 0;
  uint32_t end_index = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (sorted[i].size == 0) continue;
    if (sorted[i].offset < end) {
      char where[64];
      snprintf(where, sizeof(where), "section table entry %u", sorted[i].index);
      trn_status_t st = fail(p, TRN_ERR_FORMAT, where,
                             table + (uint64_t)sorted[i].index * TRN_NEFF_SECTION_ENTRY_SIZE +
                                 TRN_NEFF_SEC_OFFSET,
                             "section [0x%" PRIx64 ", +%" PRIu64 ") overlaps section %u", sorted[i].offset,
                             sorted[i].size, end_index);
      free(sorted);
      free(secs);
      return st;
    }
    end = sorted[i].offset + sorted[i].size;
    end_index = sorted[i].index;
  }
  free(sorted);
  *out_secs = secs;
  *out_count = count;
  return NULL;
}

trn_status_t trn_rt_neff_parse(const uint8_t *data, size_t size, const char *name,
                               trn_rt_model_t *model) {
  trn_rt_parser_t parser = {data, size, name ? name : "<memory>", model};
  trn_rt_parser_t *p = &parser;
  trn_rt_section_t *secs = NULL;
  uint32_t count = 0;
  TRN_RETURN_IF_ERROR(parse_header_and_sections(p, &secs, &count));

  /* Find the singletons; refuse unknown required kinds. */
  const trn_rt_section_t *meta = NULL, *io = NULL, *dma = NULL, *consts = NULL, *layers = NULL;
  trn_status_t st = NULL;
  for (uint32_t i = 0; i < count && !st; ++i) {
    const trn_rt_section_t *s = &secs[i];
    const trn_rt_section_t **slot = NULL;
    switch (s->kind) {
    case TRN_NEFF_KIND_METADATA: slot = &meta; break;
    case TRN_NEFF_KIND_IO: slot = &io; break;
    case TRN_NEFF_KIND_DMA: slot = &dma; break;
    case TRN_NEFF_KIND_CONSTANTS: slot = &consts; break;
    case TRN_NEFF_KIND_LAYERS: slot = &layers; break;
    case TRN_NEFF_KIND_STREAM: break;
    default: {
      char where[64];
      section_where(s, where, sizeof(where));
      if (!(s->flags & TRN_NEFF_SECTION_OPTIONAL))
        st = fail(p, TRN_ERR_FORMAT, where, s->offset,
                  "unknown section kind %u is not marked optional (file version %u.%u, this "
                  "runtime reads %u.%u)",
                  s->kind, model->version_major, model->version_minor, TRN_NEFF_VERSION_MAJOR,
                  TRN_NEFF_VERSION_MINOR);
      break;
    }
    }
    if (slot && *slot) {
      char where[64];
      section_where(s, where, sizeof(where));
      st = fail(p, TRN_ERR_FORMAT, where, s->offset, "second %s section (section %u is the first)",
                trn_rt_neff_kind_name(s->kind), (*slot)->index);
    } else if (slot) {
      *slot = s;
    }
  }
  if (!st && !meta) st = fail(p, TRN_ERR_FORMAT, "section table", 0, "no metadata section");
  if (!st && !io) st = fail(p, TRN_ERR_FORMAT, "section table", 0, "no io section");
  if (!st) st = parse_metadata(p, meta);
  if (!st) st = parse_io(p, io);
  if (!st && dma) st = parse_dma(p, dma);
  for (uint32_t i = 0; i < count && !st; ++i)
    if (secs[i].kind == TRN_NEFF_KIND_STREAM) st = parse_stream(p, &secs[i]);
  if (!st && consts) st = parse_constants(p, consts);
  if (!st && layers) st = parse_layers(p, layers);
  free(secs);
  return st;
}

void trn_rt_model_release_parts(trn_rt_model_t *m) {
  if (!m) return;
  free(m->compiler_version);
  for (size_t s = 0; s < TRN_MAX_STREAMS; ++s) free(m->streams[s]);
  free(m->dma);
  free(m->constants);
  if (m->inputs)
    for (size_t i = 0; i < m->input_count; ++i) free((char *)m->inputs[i].name);
  if (m->outputs)
    for (size_t i = 0; i < m->output_count; ++i) free((char *)m->outputs[i].name);
  free(m->inputs);
  free(m->outputs);
  for (size_t i = 0; i < m->layer_count; ++i) free(m->layer_names[i]);
  free(m->layer_names);
  for (size_t s = 0; s < TRN_MAX_STREAMS; ++s) free(m->inst_layer[s]);
  trn_rt_model_free_run_memories(m);
  trn_rt_model_t zero;
  memset(&zero, 0, sizeof(zero));
  zero.file = m->file;
  zero.file_size = m->file_size;
  *m = zero;
}

/* ---- public loading ----------------------------------------------------------------- */

/* A page-aligned buffer (so constant blobs stay TRN_NEFF_CONST_ALIGN-aligned) from
 * trn_rt_mem_alloc: huge pages for a large file, whose 4 KiB page faults would cost
 * more than reading it. Released with trn_rt_mem_free(file, size). */
static uint8_t *alloc_file_buffer(size_t size) {
  _Static_assert(TRN_NEFF_CONST_ALIGN <= 4096, "constants aligned within a page");
  return trn_rt_mem_alloc(size);
}

/* Takes ownership of `file` (from alloc_file_buffer). */
static trn_status_t load_owned(uint8_t *file, size_t size, const char *name,
                               trn_rt_model_t **out_model) {
  trn_rt_model_t *model = calloc(1, sizeof(*model));
  if (!model) {
    trn_rt_mem_free(file, size);
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", name);
  }
  model->file = file;
  model->file_size = size;
  trn_status_t st = trn_rt_neff_parse(file, size, name, model);
  if (st) {
    trn_rt_model_destroy(model);
    return st;
  }
  *out_model = model;
  return NULL;
}

trn_status_t trn_rt_model_load_memory(const void *data, size_t size, trn_rt_model_t **out_model) {
  if (!out_model) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "load: out_model is NULL");
  *out_model = NULL;
  if (!data && size) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "load: data is NULL");
  uint8_t *copy = alloc_file_buffer(size);
  if (!copy)
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "<memory>: out of memory for %zu bytes", size);
  if (size) memcpy(copy, data, size);
  return load_owned(copy, size, "<memory>", out_model);
}

trn_status_t trn_rt_model_load_file(const char *path, trn_rt_model_t **out_model) {
  if (!out_model) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "load: out_model is NULL");
  *out_model = NULL;
  if (!path) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "load: path is NULL");
  FILE *f = fopen(path, "rb");
  if (!f) return trn_status_make(TRN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat info;
  int stat_rc = fstat(fileno(f), &info);
  if (stat_rc != 0 || S_ISDIR(info.st_mode)) {
    int err = stat_rc != 0 ? errno : EISDIR;
    fclose(f);
    return trn_status_make(TRN_ERR_IO, "%s: cannot read: %s", path, strerror(err));
  }
  /* Regular files straight into the aligned buffer; anything else (a pipe) by
   * doubling, then copied. */
  if (S_ISREG(info.st_mode) && (uint64_t)info.st_size < SIZE_MAX / 2) {
    size_t size = (size_t)info.st_size;
    uint8_t *file = alloc_file_buffer(size);
    if (!file) {
      fclose(f);
      return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory for %zu bytes", path, size);
    }
    size_t got = size ? fread(file, 1, size, f) : 0;
    int err = ferror(f) ? errno : 0;
    bool longer = got == size && fgetc(f) != EOF;
    fclose(f);
    if (err || got != size || longer) {
      trn_rt_mem_free(file, size);
      return trn_status_make(TRN_ERR_IO, "%s: cannot read: %s", path,
                             err ? strerror(err) : "the file changed size while being read");
    }
    return load_owned(file, size, path, out_model);
  }
  size_t cap = 1 << 16;
  size_t size = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    size_t n = fread(buf + size, 1, cap - size, f);
    size += n;
    if (size < cap) break;
    if (cap > SIZE_MAX / 2) {
      free(buf);
      buf = NULL;
      break;
    }
    uint8_t *grown = realloc(buf, cap * 2);
    if (!grown) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = grown;
    cap *= 2;
  }
  if (!buf) {
    fclose(f);
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory reading the file", path);
  }
  if (ferror(f)) {
    int err = errno;
    free(buf);
    fclose(f);
    return trn_status_make(TRN_ERR_IO, "%s: cannot read: %s", path, strerror(err));
  }
  fclose(f);
  uint8_t *file = alloc_file_buffer(size);
  if (!file) {
    free(buf);
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory for %zu bytes", path, size);
  }
  if (size) memcpy(file, buf, size);
  free(buf);
  return load_owned(file, size, path, out_model);
}
