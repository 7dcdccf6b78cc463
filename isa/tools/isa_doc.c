/* Markdown tables of ISA.md, expanded from targets.def and isa.def. */
#include "isa_doc.h"

#include "trn/isa.h"

static const char *trn_isa_doc_format(trn_format_t f) {
  static const char *const names[] = {"NONE", "T1", "T2", "T3", "TS", "ACT", "MATMUL", "DMA"};
  return (unsigned)f < sizeof names / sizeof names[0] ? names[f] : "?";
}

static const char *trn_isa_doc_cost(trn_cost_t c) {
  static const char *const names[] = {"FIXED", "MATMUL", "ELEM", "DMA"};
  return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "?";
}

/* Markdown table cell: '|' escaped. */
static void trn_isa_doc_cell(FILE *out, const char *text) {
  for (; *text; ++text) {
    if (*text == '|') fputc('\\', out);
    fputc(*text, out);
  }
}

static void trn_isa_doc_targets(FILE *out) {
  fprintf(out, "### Targets (from `targets.def`)\n\n| field |");
  for (int i = 0; i < TRN_TARGET_COUNT; ++i) fprintf(out, " %s |", trn_isa_target(i)->name);
  fprintf(out, "\n| --- |");
  for (int i = 0; i < TRN_TARGET_COUNT; ++i) fprintf(out, " --- |");
  fprintf(out, "\n");
#define TRN_ROW_U(field)                                                               \
  do {                                                                                 \
    fprintf(out, "| " #field " |");                                                    \
    for (int i = 0; i < TRN_TARGET_COUNT; ++i)                                         \
      fprintf(out, " %llu |", (unsigned long long)trn_isa_target(i)->field);           \
    fprintf(out, "\n");                                                                \
  } while (0)
#define TRN_ROW_F(field)                                                               \
  do {                                                                                 \
    fprintf(out, "| " #field " |");                                                    \
    for (int i = 0; i < TRN_TARGET_COUNT; ++i) fprintf(out, " %g |", trn_isa_target(i)->field); \
    fprintf(out, "\n");                                                                \
  } while (0)
  TRN_ROW_U(partitions);
  TRN_ROW_U(sbuf_partition_bytes);
  TRN_ROW_U(psum_partition_bytes);
  TRN_ROW_U(psum_banks);
  TRN_ROW_U(pe_rows);
  TRN_ROW_U(pe_cols);
  TRN_ROW_U(moving_free_max);
  TRN_ROW_F(pe_ghz);
  TRN_ROW_F(act_ghz);
  TRN_ROW_F(dve_ghz);
  TRN_ROW_F(pool_ghz);
  TRN_ROW_F(dve_elems_per_cycle);
  TRN_ROW_F(act_elems_per_cycle);
  TRN_ROW_F(pool_elems_per_cycle);
  TRN_ROW_U(dma_queues);
  TRN_ROW_F(dma_queue_gbps);
  TRN_ROW_F(dma_fixed_ns);
  TRN_ROW_U(hbm_bytes);
  TRN_ROW_F(hbm_gbps);
  TRN_ROW_U(min_issue_cycles);
  TRN_ROW_U(access_latency_cycles);
  TRN_ROW_U(semaphores);
#undef TRN_ROW_U
#undef TRN_ROW_F
  fprintf(out, "\n");
}

static void trn_isa_doc_opcodes(FILE *out) {
  fprintf(out, "### Opcodes (from `isa.def`)\n\n"
               "| opcode | mnemonic | engine | format | cost | semantics |\n"
               "| --- | --- | --- | --- | --- | --- |\n");
  for (size_t i = 0; i < trn_isa_opcode_count(); ++i) {
    const trn_opinfo_t *r = trn_isa_opinfo_at(i);
    fprintf(out, "| 0x%02x | `%s` | %s | %s | %s | ", (unsigned)r->opcode, r->mnemonic,
            trn_isa_engine_name(r->engine), trn_isa_doc_format(r->format),
            trn_isa_doc_cost(r->cost));
    trn_isa_doc_cell(out, r->semantics);
    fprintf(out, " |\n");
  }
  fprintf(out, "\nReserved opcode numbers (never reused):");
  int first = -1;
  for (int op = 0; op <= 256; ++op) {
    bool free_ = op < 256 && !trn_isa_opinfo((uint32_t)op);
    if (free_ && first < 0) first = op;
    if (!free_ && first >= 0) {
      if (op - 1 == first) fprintf(out, " 0x%02x", first);
      else fprintf(out, " 0x%02x-0x%02x", first, op - 1);
      first = -1;
    }
  }
  fprintf(out, ".\n\n");
}

static void trn_isa_doc_named(FILE *out, const char *title, const char *(*name)(uint32_t),
                              const char *const *sems) {
  fprintf(out, "### %s (from `isa.def`)\n\n| number | mnemonic | semantics |\n"
               "| --- | --- | --- |\n", title);
  for (uint32_t v = 0; v < 256; ++v)
    if (name(v)) {
      fprintf(out, "| 0x%02x | `%s` | ", (unsigned)v, name(v));
      trn_isa_doc_cell(out, sems[v]);
      fprintf(out, " |\n");
    }
  fprintf(out, "\n");
}

static const char *const trn_isa_doc_alu_sems[256] = {
#define TRN_ALU(name, num, mnem, sem) [num] = sem,
#include "trn/isa.def"
};
static const char *const trn_isa_doc_act_sems[256] = {
#define TRN_ACT(name, num, mnem, sem) [num] = sem,
#include "trn/isa.def"
};

void trn_isa_doc_write(FILE *out) {
  trn_isa_doc_targets(out);
  trn_isa_doc_opcodes(out);
  trn_isa_doc_named(out, "ALU operations (op0/op1)", trn_isa_alu_name, trn_isa_doc_alu_sems);
  trn_isa_doc_named(out, "Activation functions (op0 of `activate`)", trn_isa_act_name,
                    trn_isa_doc_act_sems);
}
