/* Unit tests of the strict-mode race detector (race.c). */
#include "interp_test_util.h"

#define HBM (1u << 20)

static trn_rt_run_options_t strict = {.strict = true};

static trn_inst_t *memset_at(tm_t *t, uint32_t stream, trn_ap_t dst) {
  trn_inst_t *in = tm_add(t, stream, stream == TRN_ENGINE_POOL ? TRN_OP_IOTA : TRN_OP_MEMSET);
  in->dst = dst;
  return in;
}

static trn_inst_t *copy_at(tm_t *t, uint32_t stream, trn_ap_t dst, trn_ap_t src) {
  trn_inst_t *in;
  if (stream == TRN_ENGINE_ACT) {
    in = tm_add(t, stream, TRN_OP_ACTIVATE);
    in->imm[0] = tm_f(1.0f);
  } else {
    in = tm_add(t, stream, TRN_OP_TENSOR_COPY);
  }
  in->dst = dst;
  in->src0 = src;
  return in;
}

START_TEST(test_race_unordered_write_read_names_both) {
  tm_t *t = tm_create(HBM);
  memset_at(t, TRN_ENGINE_DVE, tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 256, 16));
  copy_at(t, TRN_ENGINE_ACT, tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 4096, 8),
          tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 2, 2, 288, 8));
  t->finished = true;
  TM_FAILS(tm_run_opts(t, &strict, NULL), TRN_ERR_RACE,
           "data race on sbuf partition 2 bytes [0x120, 0x140): stream dve, instruction 0 "
           "(memset) writes it while stream act, instruction 0 (activate) reads it");
  /* not strict: runs */
  TM_OK(tm_run_opts(t, NULL, NULL));
  tm_destroy(t);
}
END_TEST

START_TEST(test_race_semaphore_orders_pair) {
  tm_t *t = tm_create(HBM);
  memset_at(t, TRN_ENGINE_DVE, tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 256, 16))
      ->signal_sem = 3;
  trn_inst_t *c = copy_at(t, TRN_ENGINE_ACT, tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 4096, 8),
                          tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 2, 2, 288, 8));
  c->wait_sem = 3;
  c->wait_value = 1;
  /* and a write-after-read the other way round, ordered by a second semaphore */
  c->signal_sem = 4;
  trn_inst_t *w = memset_at(t, TRN_ENGINE_DVE, tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 256, 16));
  w->wait_sem = 4;
  w->wait_value = 1;
  t->finished = true;
  TM_OK(tm_run_opts(t, &strict, NULL));
  /* without the second wait the overwrite races with the read */
  w->wait_sem = TRN_SEM_NONE;
  w->wait_value = 0;
  TM_FAILS(tm_run_opts(t, &strict, NULL), TRN_ERR_RACE, "stream dve, instruction 1 (memset) writes");
  tm_destroy(t);
}
END_TEST

START_TEST(test_race_transitive_order_through_third_stream) {
  /* DVE writes -> s1 -> POOL nop -> s2 -> ACT reads: ordered transitively. */
  tm_t *t = tm_create(HBM);
  memset_at(t, TRN_ENGINE_DVE, tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 16))->signal_sem = 1;
  trn_inst_t *n = tm_add(t, TRN_ENGINE_POOL, TRN_OP_NOP);
  n->wait_sem = 1;
  n->wait_value = 1;
  n->signal_sem = 2;
  trn_inst_t *c = copy_at(t, TRN_ENGINE_ACT, tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 512, 16),
                          tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 16));
  c->wait_sem = 2;
  c->wait_value = 1;
  t->finished = true;
  TM_OK(tm_run_opts(t, &strict, NULL));
  tm_destroy(t);
}
END_TEST

START_TEST(test_race_disjoint_and_interleaved_are_clean) {
  tm_t *t = tm_create(HBM);
  /* same partitions, disjoint byte ranges */
  memset_at(t, TRN_ENGINE_DVE, tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 128, 0, 64));
  memset_at(t, TRN_ENGINE_POOL, tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 128, 256, 64));
  /* interleaved columns: even elements by DVE, odd by POOL */
  memset_at(t, TRN_ENGINE_DVE, tm_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 8, 1024, 32, 2, 1, 0, 1, 0));
  memset_at(t, TRN_ENGINE_POOL, tm_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 8, 1028, 32, 2, 1, 0, 1, 0));
  /* same bytes, different partitions */
  memset_at(t, TRN_ENGINE_DVE, tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 8, 2048, 64));
  memset_at(t, TRN_ENGINE_POOL, tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 8, 8, 2048, 64));
  /* same offsets, different spaces */
  memset_at(t, TRN_ENGINE_DVE, tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, 8, 4096, 64));
  memset_at(t, TRN_ENGINE_POOL, tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 8, 4096, 64));
  /* two readers of the same bytes */
  copy_at(t, TRN_ENGINE_ACT, tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 8192, 16),
          tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 16384, 16));
  copy_at(t, TRN_ENGINE_DVE, tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 12288, 16),
          tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 16384, 16));
  t->finished = true;
  TM_OK(tm_run_opts(t, &strict, NULL));
  /* shifting the odd columns onto the even ones races */
  t->insts[TRN_ENGINE_POOL][1].dst.offset = 1032;
  TM_FAILS(tm_run_opts(t, &strict, NULL), TRN_ERR_RACE, "bytes [0x408, 0x4fc)");
  tm_destroy(t);
}
END_TEST

START_TEST(test_race_dma_against_engine) {
  tm_t *t = tm_create(HBM);
  /* queue 0 loads 16 partitions; DVE reads partition 7 without waiting */
  tm_stage_in(t, 0, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 16, 128, 32);
  copy_at(t, TRN_ENGINE_DVE, tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 7, 1, 8192, 4),
          tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 7, 1, 200, 4));
  t->finished = true;
  TM_FAILS(tm_run_opts(t, &strict, NULL), TRN_ERR_RACE,
           "data race on sbuf partition 7 bytes [0xc8, 0xd8): stream q0, instruction 0 (dma) "
           "writes it while stream dve, instruction 0 (tensor_copy) reads it");
  /* a DVE read of partition 16 (outside the load) is clean */
  t->insts[TRN_ENGINE_DVE][0].src0.start_partition = 16;
  TM_OK(tm_run_opts(t, &strict, NULL));
  /* with the helper's sync, the original pair is clean */
  t->insts[TRN_ENGINE_DVE][0].src0.start_partition = 7;
  t->finished = false;
  TM_OK(tm_run_opts(t, &strict, NULL));
  tm_destroy(t);
}
END_TEST

START_TEST(test_race_many_ordered_instructions_stay_fast) {
  /* A pipelined ping-pong of 2000 pairs: records are pruned as streams sync. */
  tm_t *t = calloc(1, sizeof *t);
  ck_assert_ptr_nonnull(t);
  static trn_inst_t dve[4000], act[4000];
  t->m.target = trn_isa_target(TRN_TARGET_TRN1);
  t->m.hbm_size = 0;
  t->m.streams[TRN_ENGINE_DVE] = dve;
  t->m.streams[TRN_ENGINE_ACT] = act;
  t->m.stream_length[TRN_ENGINE_DVE] = 2000;
  t->m.stream_length[TRN_ENGINE_ACT] = 2000;
  for (uint32_t i = 0; i < 2000; i++) {
    trn_inst_t *w = &dve[i], *r = &act[i];
    memset(w, 0, sizeof *w);
    memset(r, 0, sizeof *r);
    w->opcode = TRN_OP_MEMSET;
    w->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 128, (i % 2) * 1024, 256);
    w->signal_sem = 0;
    w->wait_sem = i >= 2 ? 1 : TRN_SEM_NONE; /* buffer free again */
    w->wait_value = i >= 2 ? i - 1 : 0;
    r->opcode = TRN_OP_ACTIVATE;
    r->imm[0] = tm_f(1.0f);
    r->src0 = w->dst;
    r->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 128, 4096, 256);
    r->wait_sem = 0;
    r->wait_value = i + 1;
    r->signal_sem = 1;
  }
  trn_rt_profile_t prof;
  TM_OK(trn_rt_interpret(&t->m, NULL, NULL, NULL, &strict, &prof));
  ck_assert_uint_eq(prof.instructions, 4000);
  free(t);
}
END_TEST

static Suite *race_suite(void) {
  Suite *s = suite_create("race");
  TCase *tc = tcase_create("race");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_race_unordered_write_read_names_both);
  tcase_add_test(tc, test_race_semaphore_orders_pair);
  tcase_add_test(tc, test_race_transitive_order_through_third_stream);
  tcase_add_test(tc, test_race_disjoint_and_interleaved_are_clean);
  tcase_add_test(tc, test_race_dma_against_engine);
  tcase_add_test(tc, test_race_many_ordered_instructions_stay_fast);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(race_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
