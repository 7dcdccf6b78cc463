// With --auto-cast=matmul, matmul operands are bf16: weights and x are converted by
// their DMA (fp32 in HBM, bf16 tiles), the hidden layer is written in bf16 by its
// eviction because it only feeds a matmul; PSUM and the graph output stay fp32.
// RUN: trn-opt %S/Inputs/mlp_small.mlir --auto-cast=matmul --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
// CHECK: "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 32], bf16, "sbuf">
// CHECK: "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 8], bf16, "sbuf">
// CHECK: "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 4], f32, "psum">
// CHECK: %[[H:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 4], bf16, "sbuf">
// CHECK: "trn_tile.activate"(%{{.*}}, %[[H]], %{{.*}}) {{.*}}func = "relu"
// CHECK: "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 3], bf16, "sbuf">
// CHECK: "trn_tile.matmul"(%{{.*}}, %[[H]], %{{.*}})
// CHECK: %[[O:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[3, 4], f32, "sbuf">
// CHECK: "trn_tile.activate"(%{{.*}}, %[[O]], %{{.*}}) {{.*}}func = "copy"
