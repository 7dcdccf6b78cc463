/* Unit tests of dialects/tile_types.c: !trn_tile.tile types from C and back. */
#include <stdlib.h>
#include <string.h>

#include "dialects_test_util.h"
#include "mlir-c/BuiltinTypes.h"

START_TEST(test_tile_type_roundtrip_every_dtype_and_space) {
  MlirContext ctx = test_context();
  const trn_space_t spaces[] = {TRN_SPACE_SBUF, TRN_SPACE_PSUM, TRN_SPACE_HBM};
  for (int dt = 0; dt < TRN_DTYPE_COUNT; dt++) {
    for (size_t s = 0; s < 3; s++) {
      trn_tile_type_t t = {.rank = 3, .dims = {128, 7, 512}, .dtype = (trn_dtype_t)dt, .space = spaces[s]};
      MlirType ty = trn_dialects_tile_type_get(ctx, &t);
      ck_assert(!mlirTypeIsNull(ty));
      trn_tile_type_t back;
      ck_assert(trn_dialects_tile_type_read(ty, &back));
      ck_assert_uint_eq(back.rank, 3);
      ck_assert_int_eq(back.dims[0], 128);
      ck_assert_int_eq(back.dims[2], 512);
      ck_assert_int_eq(back.dtype, dt);
      ck_assert_int_eq(back.space, spaces[s]);
    }
  }
  mlirContextDestroy(ctx);
}
END_TEST

START_TEST(test_tile_type_rejects_other_types) {
  MlirContext ctx = test_context();
  trn_tile_type_t t;
  ck_assert(!trn_dialects_tile_type_read(mlirF32TypeGet(ctx), &t));
  trn_tile_type_t bad = {.rank = 0, .dtype = TRN_DTYPE_FP32, .space = TRN_SPACE_SBUF};
  ck_assert(mlirTypeIsNull(trn_dialects_tile_type_get(ctx, &bad)));
  bad.rank = 1;
  bad.dims[0] = 4;
  bad.space = TRN_SPACE_NONE;
  ck_assert(mlirTypeIsNull(trn_dialects_tile_type_get(ctx, &bad)));
  mlirContextDestroy(ctx);
}
END_TEST

START_TEST(test_dtype_type_roundtrip) {
  MlirContext ctx = test_context();
  for (int dt = 0; dt < TRN_DTYPE_COUNT; dt++) {
    trn_dtype_t back;
    ck_assert(trn_dialects_dtype_of(trn_dialects_dtype_type(ctx, (trn_dtype_t)dt), &back));
    ck_assert_int_eq(back, dt);
  }
  trn_dtype_t x;
  ck_assert(!trn_dialects_dtype_of(mlirF64TypeGet(ctx), &x));
  mlirContextDestroy(ctx);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dialects_tile_types");
  TCase *tc = tcase_create("tile_types");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_tile_type_roundtrip_every_dtype_and_space);
  tcase_add_test(tc, test_tile_type_rejects_other_types);
  tcase_add_test(tc, test_dtype_type_roundtrip);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
