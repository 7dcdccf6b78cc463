// From -O2, a matmul whose operands both come from HBM (the moving one not a
// constant), with one stationary block and moving panels of at least what all DMA
// queues move during a fixed cost, loads in DMA rounds: the stationary panel and the
// first moving panel are round 1, each later moving panel a round of its own
// (trn-lower-to-isa spreads a round over the queues, one instruction per queue). The
// last 64 moving indices (M here) are a chunk of their own, so that the last
// eviction and store are short: chunks 512 + 424 + 64. -O1 has no rounds.
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s
// RUN: trn-opt %s -O1 --trn-layout --trn-lower-to-tile | FileCheck %s --check-prefix=O1

// CHECK-LABEL: func.func @main()
// O1-LABEL:    func.func @main()
// O1-NOT:      round =
func.func @main(%x: tensor<1x1000x777xf32>, %w: tensor<1x777x123xf32>) -> tensor<1x1000x123xf32> {
  // The stationary panel (W, K tiles 6 x 128 + 9), then the first moving panel.
  // CHECK: "trn_tile.dma"(%[[W:[0-9]+]], %{{[0-9]+}}) {{.*}}round = 1 : i64, sizes = array<i64: 6, 128, 123>
  // CHECK: "trn_tile.dma"(%[[W]], %{{[0-9]+}}) {{.*}}round = 1 : i64, sizes = array<i64: 9, 123>
  // CHECK: "trn_tile.dma"(%[[X:[0-9]+]], %{{[0-9]+}}) {{.*}}round = 1 : i64, sizes = array<i64: 6, 128, 512>
  // CHECK: "trn_tile.dma"(%[[X]], %{{[0-9]+}}) {{.*}}round = 1 : i64, sizes = array<i64: 9, 512>
  // The second moving panel, prefetched before the first chunk's matmuls.
  // CHECK: "trn_tile.dma"(%[[X]], %{{[0-9]+}}) {{.*}}round = 2 : i64, sizes = array<i64: 6, 128, 424>
  // CHECK: "trn_tile.dma"(%[[X]], %{{[0-9]+}}) {{.*}}round = 2 : i64, sizes = array<i64: 9, 424>
  // CHECK: "trn_tile.alloc"() : () -> !trn_tile.tile<[123, 512], f32, "psum">
  // The store of a result has no round.
  // CHECK: "trn_tile.dma"({{.*}}) {dst_offset = 0 : i64, dst_strides = array<i64: 1, 123>, sizes = array<i64: 123, 512>
  // CHECK: "trn_tile.dma"(%[[X]], %{{[0-9]+}}) {{.*}}round = 3 : i64, sizes = array<i64: 6, 128, 64>
  // CHECK: "trn_tile.dma"(%[[X]], %{{[0-9]+}}) {{.*}}round = 3 : i64, sizes = array<i64: 9, 64>
  // CHECK: "trn_tile.alloc"() : () -> !trn_tile.tile<[123, 424], f32, "psum">
  // CHECK: "trn_tile.alloc"() : () -> !trn_tile.tile<[123, 64], f32, "psum">
  // CHECK-NOT: round =
  // O1: "trn_tile.alloc"() : () -> !trn_tile.tile<[123, 488], f32, "psum">
  %y = tosa.matmul %x, %w : (tensor<1x1000x777xf32>, tensor<1x777x123xf32>) -> tensor<1x1000x123xf32>
  return %y : tensor<1x1000x123xf32>
}
