// Row-split form (from -O2): a stride-1 3x3 conv with tap pairs and at most half the
// PE columns of output channels (8) whose result only feeds a 1x1 conv computes two
// output rows per matmul. The weight panel [8, 48] holds per tap pair j the tiles of
// kernel rows 0, 1, 2 side by side (one DMA per pair and half). The bias is loaded on
// both partition halves ([16, 1], a zero-stride DMA). One PSUM tile [16, 128] per
// block of 16 output rows (8 per half): kernel-row offsets d = 1, 2 take the
// stationary [8 or 4, 16] of kernel rows d - 1 (columns [0, 8): odd rows) and d
// (columns [8, 16): even rows) over every other window row (row step 2 * 18);
// d = 0 writes only the even rows (PSUM partitions [8, 16)), d = 3 only the odd ones
// ([0, 8)): 8 matmuls instead of 6 per 8 rows. One ACTIVATE evicts both halves.
// The 1x1 conv loads its weights on both halves (one DMA, zero stride), and per
// parity one matmul (K = 8 on that parity's partitions, the rows contiguous) writes
// every other row of its PSUM tile (both overwrite: disjoint columns).
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s
// Without -O2 (no tap pairs) the ordinary form: one row per PSUM partition.
// RUN: trn-opt %s -O1 --trn-layout --trn-lower-to-tile | FileCheck %s --check-prefix=O1
// O1-NOT: !trn_tile.tile<[16, 128], f32, "psum">

// CHECK-LABEL: func.func @main()
// CHECK:      %[[W:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 48], f32, "sbuf">
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[W]]) {dst_offset = 0 : i64, dst_strides = array<i64: 8, 48, 1>, sizes = array<i64: 3, 4, 8>, src_offset = 0 : i64, src_strides = array<i64: 12, 1, 36>}
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[W]]) {dst_offset = 192 : i64, dst_strides = array<i64: 8, 48, 1>, sizes = array<i64: 3, 4, 8>, src_offset = 4 : i64, src_strides = array<i64: 12, 1, 36>}
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[W]]) {dst_offset = 24 : i64, dst_strides = array<i64: 8, 48, 1>, sizes = array<i64: 3, 4, 8>, src_offset = 8 : i64, src_strides = array<i64: 12, 1, 36>}
// CHECK:      %[[B:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 1], f32, "sbuf">
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[B]]) {dst_offset = 0 : i64, dst_strides = array<i64: 8, 1>, sizes = array<i64: 2, 8>, src_offset = 0 : i64, src_strides = array<i64: 0, 1>}
// CHECK:      %[[IMG:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 324], f32, "sbuf">
// CHECK:      %[[P:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 128], f32, "psum">
// CHECK-NEXT: %[[LO:.*]] = "trn_tile.view"(%[[P]]) {free_offset = 0 : i64, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[8, 128], f32, "psum">
// CHECK-NEXT: %[[HI:.*]] = "trn_tile.view"(%[[P]]) {free_offset = 0 : i64, partition_offset = 8 : i64} {{.*}} -> !trn_tile.tile<[8, 128], f32, "psum">
// CHECK-NEXT: %[[WIN:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 18 : i64, free_pattern = array<i64: 16, 1, 8, 36>, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[8, 128], f32, "sbuf">
// CHECK-NEXT: %[[S:.*]] = "trn_tile.view"(%[[W]]) {free_offset = 0 : i64, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[8, 16], f32, "sbuf">
// The 1x1 conv's weights on both halves (one DMA, zero stride), prefetched here.
// CHECK:      "trn_tile.dma"(%{{.*}}, %{{.*}}) {dst_offset = 0 : i64, dst_strides = array<i64: 128, 16, 1>, {{.*}}sizes = array<i64: 2, 8, 16>, src_offset = 0 : i64, src_strides = array<i64: 0, 1, 8>}
// CHECK-NEXT: "trn_tile.matmul"(%[[S]], %[[WIN]], %[[P]]) {accumulate = false}
// CHECK-COUNT-3: "trn_tile.matmul"(%{{.*}}, %{{.*}}, %[[P]]) {accumulate = true}
// CHECK:      %[[WIN0:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 0 : i64, free_pattern = array<i64: 16, 1, 8, 36>, partition_offset = 0 : i64}
// CHECK-NEXT: %[[S0:.*]] = "trn_tile.view"(%[[W]]) {free_offset = 0 : i64, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[8, 8], f32, "sbuf">
// CHECK-NEXT: "trn_tile.matmul"(%[[S0]], %[[WIN0]], %[[HI]]) {accumulate = true}
// CHECK:      "trn_tile.matmul"(%{{.*}}, %{{.*}}, %[[HI]]) {accumulate = true}
// CHECK:      %[[WIN3:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 54 : i64, free_pattern = array<i64: 16, 1, 8, 36>, partition_offset = 0 : i64}
// CHECK-NEXT: %[[S3:.*]] = "trn_tile.view"(%[[W]]) {free_offset = 16 : i64, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[8, 8], f32, "sbuf">
// CHECK-NEXT: "trn_tile.matmul"(%[[S3]], %[[WIN3]], %[[LO]]) {accumulate = true}
// CHECK:      "trn_tile.matmul"(%{{.*}}, %{{.*}}, %[[LO]]) {accumulate = true}
// CHECK-NEXT: %[[Y:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 128], f32, "sbuf">
// CHECK-NEXT: "trn_tile.activate"(%[[P]], %[[Y]], %[[B]]) {bias = 0.000000e+00 : f32, func = "relu", scale = 1.000000e+00 : f32}
// The 1x1 conv: its weights on the even rows' partitions [8, 16) and the odd rows' [0, 8).
// CHECK-NEXT: %[[WE:.*]] = "trn_tile.view"(%{{.*}}) {free_offset = 0 : i64, partition_offset = 8 : i64} {{.*}} -> !trn_tile.tile<[8, 16], f32, "sbuf">
// CHECK-NEXT: %[[WO:.*]] = "trn_tile.view"(%{{.*}}) {free_offset = 0 : i64, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[8, 16], f32, "sbuf">
// CHECK-NEXT: %[[P2:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 256], f32, "psum">
// CHECK-NEXT: %[[E:.*]] = "trn_tile.view"(%[[Y]]) {free_offset = 0 : i64, partition_offset = 8 : i64} {{.*}} -> !trn_tile.tile<[8, 128], f32, "sbuf">
// CHECK-NEXT: %[[PE:.*]] = "trn_tile.view"(%[[P2]]) {free_offset = 0 : i64, free_pattern = array<i64: 16, 1, 8, 32>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.matmul"(%[[WE]], %[[E]], %[[PE]]) {accumulate = false}
// CHECK-NEXT: %[[O:.*]] = "trn_tile.view"(%[[Y]]) {free_offset = 0 : i64, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[8, 128], f32, "sbuf">
// CHECK-NEXT: %[[PO:.*]] = "trn_tile.view"(%[[P2]]) {free_offset = 16 : i64, free_pattern = array<i64: 16, 1, 8, 32>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.matmul"(%[[WO]], %[[O]], %[[PO]]) {accumulate = false}
// CHECK-NEXT: %[[Z:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 256], f32, "sbuf">
// CHECK-NEXT: "trn_tile.activate"(%[[P2]], %[[Z]])

func.func @main(%x: tensor<1x16x16x4xf32>) -> tensor<1x16x16x16xf32> {
  %w = "tosa.const"() <{value = dense<0.5> : tensor<8x3x3x4xf32>}> : () -> tensor<8x3x3x4xf32>
  %b = "tosa.const"() <{value = dense<0.25> : tensor<8xf32>}> : () -> tensor<8xf32>
  %w2 = "tosa.const"() <{value = dense<0.125> : tensor<16x1x1x8xf32>}> : () -> tensor<16x1x1x8xf32>
  %b2 = "tosa.const"() <{value = dense<0.0> : tensor<16xf32>}> : () -> tensor<16xf32>
  %c = tosa.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x16x16x4xf32>, tensor<8x3x3x4xf32>, tensor<8xf32>) -> tensor<1x16x16x8xf32>
  %r = tosa.clamp %c {max_fp = 3.40282347E+38 : f32, max_int = 9223372036854775807 : i64, min_fp = 0.000000e+00 : f32, min_int = 0 : i64} : (tensor<1x16x16x8xf32>) -> tensor<1x16x16x8xf32>
  %d = tosa.conv2d %r, %w2, %b2 {dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x16x16x8xf32>, tensor<16x1x1x8xf32>, tensor<16xf32>) -> tensor<1x16x16x16xf32>
  return %d : tensor<1x16x16x16xf32>
}
