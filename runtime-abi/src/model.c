/* Loaded-model accessors, trn_rt_model_run (HBM image around the interpreter) and the
 * assembly listing printer. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, madvise */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "neff_format.h"
#include "pool.h"

void trn_rt_model_destroy(trn_rt_model_t *model) {
  if (!model) return;
  trn_rt_model_release_parts(model);
  trn_rt_mem_free(model->file, model->file_size);
  free(model);
}

size_t trn_rt_model_input_count(const trn_rt_model_t *model) {
  return model ? model->input_count : 0;
}
size_t trn_rt_model_output_count(const trn_rt_model_t *model) {
  return model ? model->output_count : 0;
}
const trn_rt_tensor_info_t *trn_rt_model_input(const trn_rt_model_t *model, size_t index) {
  return model && index < model->input_count ? &model->inputs[index] : NULL;
}
const trn_rt_tensor_info_t *trn_rt_model_output(const trn_rt_model_t *model, size_t index) {
  return model && index < model->output_count ? &model->outputs[index] : NULL;
}
const trn_target_t *trn_rt_model_target(const trn_rt_model_t *model) {
  return model ? model->target : NULL;
}
const char *trn_rt_model_compiler_version(const trn_rt_model_t *model) {
  return model && model->compiler_version ? model->compiler_version : "";
}
const uint8_t *trn_rt_model_source_hash(const trn_rt_model_t *model) {
  return model ? model->source_hash : NULL;
}
uint32_t trn_rt_model_version_major(const trn_rt_model_t *model) {
  return model ? model->version_major : 0;
}
uint32_t trn_rt_model_version_minor(const trn_rt_model_t *model) {
  return model ? model->version_minor : 0;
}
size_t trn_rt_model_stream_length(const trn_rt_model_t *model, uint32_t stream) {
  return model && stream < TRN_MAX_STREAMS ? model->stream_length[stream] : 0;
}
const trn_inst_t *trn_rt_model_stream(const trn_rt_model_t *model, uint32_t stream) {
  return model && stream < TRN_MAX_STREAMS ? model->streams[stream] : NULL;
}
size_t trn_rt_model_dma_count(const trn_rt_model_t *model) {
  return model ? model->dma_count : 0;
}
const trn_dma_desc_t *trn_rt_model_dma(const trn_rt_model_t *model) {
  return model ? model->dma : NULL;
}
size_t trn_rt_model_layer_count(const trn_rt_model_t *model) {
  return model ? model->layer_count : 0;
}
const char *trn_rt_model_layer_name(const trn_rt_model_t *model, size_t layer) {
  return model && layer < model->layer_count ? model->layer_names[layer] : NULL;
}
uint32_t trn_rt_model_inst_layer(const trn_rt_model_t *model, uint32_t stream, size_t index) {
  if (!model || stream >= TRN_MAX_STREAMS || !model->inst_layer[stream] ||
      index >= model->stream_length[stream])
    return TRN_RT_NO_LAYER;
  return model->inst_layer[stream][index];
}
uint64_t trn_rt_model_hbm_size(const trn_rt_model_t *model) {
  return model ? model->hbm_size : 0;
}
size_t trn_rt_model_constant_count(const trn_rt_model_t *model) {
  return model ? model->constant_count : 0;
}
bool trn_rt_model_constant(const trn_rt_model_t *model, size_t index, uint64_t *out_hbm_offset,
                           uint64_t *out_size, const uint8_t **out_data) {
  if (!model || index >= model->constant_count) return false;
  const trn_rt_constant_t *c = &model->constants[index];
  if (out_hbm_offset) *out_hbm_offset = c->hbm_offset;
  if (out_size) *out_size = c->size;
  if (out_data) *out_data = c->data;
  return true;
}

/* The section table was validated at load; these read it back from the file bytes. */
uint64_t trn_rt_model_file_size(const trn_rt_model_t *model) {
  return model ? model->file_size : 0;
}
uint32_t trn_rt_model_checksum(const trn_rt_model_t *model) {
  return model && model->file ? trn_neff_rd32(model->file + TRN_NEFF_HDR_CHECKSUM) : 0;
}
size_t trn_rt_model_section_count(const trn_rt_model_t *model) {
  return model && model->file ? trn_neff_rd32(model->file + TRN_NEFF_HDR_SECTION_COUNT) : 0;
}
bool trn_rt_model_section(const trn_rt_model_t *model, size_t index,
                          trn_rt_section_info_t *out_info) {
  if (!model || !out_info || index >= trn_rt_model_section_count(model)) return false;
  const uint8_t *e = model->file + trn_neff_rd64(model->file + TRN_NEFF_HDR_TABLE_OFFSET) +
                     index * TRN_NEFF_SECTION_ENTRY_SIZE;
  out_info->kind = trn_neff_rd32(e + TRN_NEFF_SEC_KIND);
  out_info->kind_name = trn_rt_neff_kind_name(out_info->kind);
  if (!out_info->kind_name) out_info->kind_name = "unknown";
  out_info->flags = trn_neff_rd32(e + TRN_NEFF_SEC_FLAGS);
  out_info->offset = trn_neff_rd64(e + TRN_NEFF_SEC_OFFSET);
  out_info->size = trn_neff_rd64(e + TRN_NEFF_SEC_SIZE);
  out_info->aux = trn_neff_rd64(e + TRN_NEFF_SEC_AUX);
  return true;
}

/* ---- running ------------------------------------------------------------------------ */

#ifdef TRN_RT_NO_INTERP
/* Built before the interpreter exists (see CMakeLists.txt). */
trn_status_t trn_rt_interpret(const trn_rt_model_t *model, uint8_t *hbm, uint8_t *sbuf,
                              uint8_t *psum, const trn_rt_run_options_t *options,
                              trn_rt_profile_t *out_profile) {
  return trn_status_make(TRN_ERR_UNSUPPORTED, "this runtime was built without the interpreter");
}
#endif

/* Run memories come straight from the kernel: anonymous pages are zero-filled, and
 * large ones are asked to be transparent huge pages. The interpreter walks these
 * memories with large strides (consecutive SBUF partitions are 192 KiB apart, a
 * descriptor row often lands on a new partition), so with 4 KiB pages nearly every
 * row costs a TLB miss; 2 MiB pages also cut the page faults of the first touch by
 * 512x. Sizes are rounded up to whole pages by the kernel. */
uint8_t *trn_rt_mem_alloc(size_t size) {
  if (size == 0) size = 1;
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
  if (size >= ((size_t)2 << 20)) (void)madvise(p, size, MADV_HUGEPAGE); /* a hint only */
#endif
  return p;
}

void trn_rt_mem_free(uint8_t *p, size_t size) {
  if (p) munmap(p, size ? size : 1);
}

/* The sizes of the run memories of `model` (HBM image, SBUF, PSUM). */
static void run_sizes(const trn_rt_model_t *model, size_t size[3]) {
  size[0] = model->hbm_size ? (size_t)model->hbm_size : 1;
  size[1] = (size_t)model->target->partitions * model->target->sbuf_partition_bytes;
  size[2] = (size_t)model->target->partitions * model->target->psum_partition_bytes;
}

void trn_rt_model_free_run_memories(trn_rt_model_t *model) {
  trn_pool_destroy(model->run_pool);
  model->run_pool = NULL;
  free(model->run_spans);
  model->run_spans = NULL;
  model->run_span_count = 0;
  model->run_consts_in_place = false;
  if (!model->target) return; /* never ran */
  size_t size[3];
  run_sizes(model, size);
  trn_rt_mem_free(model->run_hbm, size[0]);
  trn_rt_mem_free(model->run_sbuf, size[1]);
  trn_rt_mem_free(model->run_psum, size[2]);
  model->run_hbm = model->run_sbuf = model->run_psum = NULL;
}

static int compare_spans(const void *a, const void *b) {
  const uint64_t *x = a, *y = b;
  return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Prepares what later runs need to rebuild the HBM image cheaply: the constants' HBM
 * ranges in address order (the loader checked that they do not overlap), and whether
 * any DMA descriptor may write into one of them. When none does, the constants the
 * first run copied are still in place at the end of every run. */
static trn_status_t run_plan(trn_rt_model_t *model) {
  size_t n = model->constant_count;
  model->run_spans = malloc((n ? n : 1) * 2 * sizeof(uint64_t));
  if (!model->run_spans)
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "run: %zu constant ranges", n);
  for (size_t i = 0; i < n; ++i) {
    model->run_spans[2 * i] = model->constants[i].hbm_offset;
    model->run_spans[2 * i + 1] = model->constants[i].size;
  }
  qsort(model->run_spans, n, 2 * sizeof(uint64_t), compare_spans);
  model->run_span_count = n;
  bool kept = true;
  for (size_t d = 0; d < model->dma_count && kept && n; ++d) {
    const trn_dma_desc_t *desc = &model->dma[d];
    if (desc->dst_space != TRN_SPACE_HBM) continue;
    /* Byte range [blo, bhi) of the destination (all of HBM when malformed). */
    trn_rt_extent_t e[3];
    memset(e, 0, sizeof e);
    trn_rt_desc_write_extents(model, desc, e);
    if (e[0].lo >= e[0].hi) continue; /* no elements */
    uint64_t blo = e[0].lo, bhi = e[0].hi;
    /* the last span starting below bhi is the only one that can reach past blo */
    size_t a = 0, b = n;
    while (a < b) {
      size_t mid = a + (b - a) / 2;
      if (model->run_spans[2 * mid] < bhi) a = mid + 1;
      else b = mid;
    }
    if (a > 0) {
      const uint64_t *sp = &model->run_spans[2 * (a - 1)];
      if (sp[1] && sp[0] + sp[1] > blo) kept = false;
    }
  }
  model->run_consts_kept = kept;
  return NULL;
}

/* Zeroes the bytes of the HBM image in extent `e` (one partition) outside the
 * constants' ranges. */
static void zero_outside_constants(const trn_rt_model_t *model, uint8_t *hbm,
                                   const trn_rt_extent_t *e) {
  if (e->lo >= e->hi || e->p_lo >= e->p_hi) return;
  uint64_t at = e->lo;
  for (size_t i = 0; i < model->run_span_count && at < e->hi; ++i) {
    uint64_t off = model->run_spans[2 * i], end = off + model->run_spans[2 * i + 1];
    if (end <= at) continue;
    if (off > at) memset(hbm + at, 0, (size_t)((off < e->hi ? off : e->hi) - at));
    at = end;
  }
  if (e->hi > at) memset(hbm + at, 0, (size_t)(e->hi - at));
}

/* Zeroed SBUF and PSUM and the HBM image holding the constants for a run: new (fresh
 * pages are zero), or the previous run's, cleared where a run can write (a warm
 * memset costs a fraction of faulting in fresh pages, and the rest is still zero). A
 * warm HBM image is cleared only outside the constants, which are copied again only
 * if the program may have overwritten them. */
static trn_status_t run_memories(trn_rt_model_t *model) {
  if (!model->target) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "run: model has no target");
  size_t size[3];
  run_sizes(model, size);
  if (!model->run_spans) TRN_RETURN_IF_ERROR(run_plan(model));
  uint8_t **mem[3] = {&model->run_hbm, &model->run_sbuf, &model->run_psum};
  static const char *const what[3] = {"HBM image", "SBUF", "PSUM"};
  const uint64_t row[3] = {size[0], model->target->sbuf_partition_bytes,
                           model->target->psum_partition_bytes};
  for (int i = 0; i < 3; i++) {
    if (*mem[i]) {
      if (i == 0) zero_outside_constants(model, *mem[i], &model->run_written[0]);
      else trn_rt_extent_clear(&model->run_written[i], *mem[i], row[i]);
      continue;
    }
    *mem[i] = trn_rt_mem_alloc(size[i]);
    if (!*mem[i])
      return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "run: cannot allocate the %zu-byte %s",
                             size[i], what[i]);
  }
  /* Ranges were checked by the loader. */
  if (!model->run_consts_in_place || !model->run_consts_kept)
    for (size_t i = 0; i < model->constant_count; ++i)
      memcpy(model->run_hbm + model->constants[i].hbm_offset, model->constants[i].data,
             (size_t)model->constants[i].size);
  model->run_consts_in_place = true;
  return NULL;
}

trn_status_t trn_rt_model_run(trn_rt_model_t *model, const trn_rt_run_options_t *options,
                              const void *const *inputs, void *const *outputs,
                              trn_rt_profile_t *out_profile) {
  if (out_profile) memset(out_profile, 0, sizeof(*out_profile));
  if (!model) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "run: model is NULL");
  if (model->input_count && !inputs)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "run: inputs is NULL but the model has %zu",
                           model->input_count);
  if (model->output_count && !outputs)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "run: outputs is NULL but the model has %zu",
                           model->output_count);
  for (size_t i = 0; i < model->input_count; ++i)
    if (!inputs[i] && model->inputs[i].bytes)
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "run: input %zu '%s': buffer is NULL", i,
                             model->inputs[i].name);
  for (size_t i = 0; i < model->output_count; ++i)
    if (!outputs[i] && model->outputs[i].bytes)
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "run: output %zu '%s': buffer is NULL", i,
                             model->outputs[i].name);
  if (model->hbm_size > SIZE_MAX)
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "run: HBM image of %" PRIu64 " bytes",
                           model->hbm_size);
  if (!model->run_written_known) {
    trn_rt_model_write_extents(model, model->run_written);
    model->run_written_known = true;
  }
  TRN_RETURN_IF_ERROR(run_memories(model));
#ifndef TRN_RT_NO_INTERP
  if (!model->run_pool)
    TRN_RETURN_IF_ERROR(trn_pool_create(trn_pool_default_threads(), &model->run_pool));
#endif
  uint8_t *hbm = model->run_hbm;
  for (size_t i = 0; i < model->input_count; ++i)
    if (model->inputs[i].bytes)
      memcpy(hbm + model->inputs[i].hbm_offset, inputs[i], (size_t)model->inputs[i].bytes);
  trn_status_t status =
      trn_rt_interpret(model, hbm, model->run_sbuf, model->run_psum, options, out_profile);
  if (!status)
    for (size_t i = 0; i < model->output_count; ++i)
      if (model->outputs[i].bytes)
        memcpy(outputs[i], hbm + model->outputs[i].hbm_offset, (size_t)model->outputs[i].bytes);
  return status;
}

/* ---- assembly listing ------------------------------------------------------------ */

/* A quoted string with C escapes for ", \ and bytes outside printable ASCII. */
static void print_quoted(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; ++p) {
    if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
    else if (*p < 0x20 || *p >= 0x7F) fprintf(out, "\\x%02x", *p);
    else fputc(*p, out);
  }
  fputc('"', out);
}

static void print_tensor(FILE *out, const char *directive, const trn_rt_tensor_info_t *t) {
  fprintf(out, "%s ", directive);
  print_quoted(out, t->name);
  fprintf(out, " %s [", trn_isa_dtype_name(t->dtype));
  for (uint32_t d = 0; d < t->rank; ++d) fprintf(out, "%s%" PRId64, d ? ", " : "", t->dims[d]);
  fprintf(out, "] @0x%" PRIx64 "    # %" PRIu64 " bytes\n", t->hbm_offset, t->bytes);
}

trn_status_t trn_rt_model_print_asm_ex(const trn_rt_model_t *model, FILE *out,
                                       const trn_rt_asm_options_t *options) {
  if (!model || !out)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "print_asm: model or out is NULL");
  bool const_data = options && options->constant_data;
  fprintf(out, "# trn assembly listing (.neff format %u.%u)\n", model->version_major,
          model->version_minor);
  fprintf(out, "# inputs %zu, outputs %zu, constants %zu, descriptors %zu, streams:",
          model->input_count, model->output_count, model->constant_count, model->dma_count);
  char name[16];
  for (uint32_t s = 0; s < TRN_MAX_STREAMS; ++s)
    if (model->stream_length[s])
      fprintf(out, " %s %zu", trn_isa_stream_name(s, name, sizeof(name)), model->stream_length[s]);
  fprintf(out, "\n.target %s\n.compiler ", model->target->name);
  print_quoted(out, trn_rt_model_compiler_version(model));
  fprintf(out, "\n.hash ");
  for (int i = 0; i < 32; ++i) fprintf(out, "%02x", model->source_hash[i]);
  fprintf(out, "\n.hbm_size 0x%" PRIx64 "    # %" PRIu64 " bytes\n", model->hbm_size,
          model->hbm_size);
  for (size_t i = 0; i < model->input_count; ++i) print_tensor(out, ".input", &model->inputs[i]);
  for (size_t i = 0; i < model->output_count; ++i) print_tensor(out, ".output", &model->outputs[i]);
  for (size_t i = 0; i < model->constant_count; ++i) {
    const trn_rt_constant_t *c = &model->constants[i];
    if (!const_data) {
      fprintf(out, "# .const 0x%" PRIx64 ": %" PRIu64 " bytes, crc32 0x%08x\n", c->hbm_offset,
              c->size, trn_rt_crc32(0, c->data, (size_t)c->size));
      continue;
    }
    /* 32 bytes a line; trn-as joins adjacent lines back into one blob. */
    for (uint64_t at = 0; at < c->size; at += 32) {
      fprintf(out, ".const 0x%" PRIx64 " hex ", c->hbm_offset + at);
      for (uint64_t j = at; j < c->size && j < at + 32; ++j) fprintf(out, "%02x", c->data[j]);
      fputc('\n', out);
    }
  }

  /* Layers: declared in their order (trn-as numbers them alike), then switched to
   * before the instructions they hold. */
  uint32_t layer = TRN_RT_NO_LAYER;
  for (size_t i = 0; i < model->layer_count; ++i) {
    fputs(i ? ".layer " : "\n.layer ", out);
    print_quoted(out, model->layer_names[i]);
    fputc('\n', out);
  }
  if (model->layer_count) fputs(".layer -\n", out);

  size_t cap = 512;
  char *line = malloc(cap);
  if (!line) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "print_asm: out of memory");
  trn_status_t status = NULL;
  for (uint32_t s = 0; s < TRN_MAX_STREAMS && !status; ++s) {
    if (!model->stream_length[s]) continue;
    fprintf(out, "\n.stream %s\n", trn_isa_stream_name(s, name, sizeof(name)));
    for (size_t i = 0; i < model->stream_length[s]; ++i) {
      uint32_t l = trn_rt_model_inst_layer(model, s, i);
      if (l != layer) {
        fputs(".layer ", out);
        if (l == TRN_RT_NO_LAYER) fputc('-', out);
        else print_quoted(out, model->layer_names[l]);
        fputc('\n', out);
        layer = l;
      }
      int n = trn_isa_disassemble(&model->streams[s][i], line, cap);
      if (n >= 0 && (size_t)n >= cap) {
        char *grown = realloc(line, (size_t)n + 1);
        if (!grown) {
          status = trn_status_make(TRN_ERR_OUT_OF_MEMORY, "print_asm: out of memory");
          break;
        }
        line = grown;
        cap = (size_t)n + 1;
        trn_isa_disassemble(&model->streams[s][i], line, cap);
      }
      fprintf(out, "    %s    # %zu\n", line, i);
    }
  }
  if (!status && model->dma_count) fprintf(out, "\n# DMA descriptors\n");
  for (size_t i = 0; i < model->dma_count && !status; ++i) {
    int n = trn_isa_dma_disassemble(&model->dma[i], line, cap);
    if (n >= 0 && (size_t)n >= cap) {
      char *grown = realloc(line, (size_t)n + 1);
      if (!grown) {
        status = trn_status_make(TRN_ERR_OUT_OF_MEMORY, "print_asm: out of memory");
        break;
      }
      line = grown;
      cap = (size_t)n + 1;
      trn_isa_dma_disassemble(&model->dma[i], line, cap);
    }
    fprintf(out, "%s    # %zu\n", line, i);
  }
  free(line);
  if (!status && ferror(out))
    status = trn_status_make(TRN_ERR_IO, "print_asm: write error on the output stream");
  return status;
}

trn_status_t trn_rt_model_print_asm(const trn_rt_model_t *model, FILE *out) {
  return trn_rt_model_print_asm_ex(model, out, NULL);
}
