// Row banding: a 3x3 convolution over 72 channels and a 3x3 stride-2 max pool over 3
// channels of a 160x160 image, whose padded images (162 rows of 162, f32) do not fit
// half of SBUF. Each band of output rows gets its own image buffer holding only the
// input rows it reads ((rows - 1) * stride + kernel extent, at most a quarter of SBUF)
// and the padding inside them: the first band its top padding row, the last its
// bottom one, the middle ones only the left/right columns. Window views start at the
// band's first row. (Convolutions with few input channels pack their taps instead:
// lower_to_tile_conv_packed.mlir.)
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// Conv: 75 rows fit a quarter of SBUF -> 73 output rows, rounded down to 24 PSUM blocks
// of 3 rows (480 pixels): bands of 72, 72, 16 output rows = 74, 74, 18 padded rows of
// 162 (input rows -1..72, 71..144, 143..159 plus the bottom padding row).
// CHECK-LABEL: func.func @main()
// CHECK:      %[[IMG0:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[72, 11988], f32, "sbuf">
// CHECK:      "trn_tile.memset"({{.*}}) {value = 0.000000e+00 : f32}
// CHECK:      "trn_tile.dma"(%{{.*}}, %[[IMG0]]) {dst_offset = 163 : i64, dst_strides = array<i64: 11988, 162, 1>, sizes = array<i64: 72, 73, 160>, src_offset = 0 : i64, src_strides = array<i64: 1, 11520, 72>}
// CHECK:      "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 480], f32, "psum">
// CHECK-NEXT: "trn_tile.view"(%[[IMG0]]) {free_offset = 0 : i64, free_pattern = array<i64: 160, 1, 3, 162>, partition_offset = 0 : i64}
// CHECK-COUNT-24: "trn_tile.activate"
// CHECK:      %[[IMG1:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[72, 11988], f32, "sbuf">
// CHECK:      "trn_tile.memset"({{.*}}) {value = 0.000000e+00 : f32}
// CHECK:      "trn_tile.dma"(%{{.*}}, %[[IMG1]]) {dst_offset = 1 : i64, dst_strides = array<i64: 11988, 162, 1>, sizes = array<i64: 72, 74, 160>, src_offset = 817920 : i64, src_strides = array<i64: 1, 11520, 72>}
// CHECK:      "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 480], f32, "psum">
// CHECK-NEXT: "trn_tile.view"(%[[IMG1]]) {free_offset = 0 : i64, free_pattern = array<i64: 160, 1, 3, 162>, partition_offset = 0 : i64}
// CHECK-COUNT-24: "trn_tile.activate"
// CHECK:      %[[IMG2:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[72, 2916], f32, "sbuf">
// CHECK:      "trn_tile.memset"({{.*}}) {value = 0.000000e+00 : f32}
// CHECK:      "trn_tile.dma"(%{{.*}}, %[[IMG2]]) {dst_offset = 1 : i64, dst_strides = array<i64: 2916, 162, 1>, sizes = array<i64: 72, 17, 160>, src_offset = 1647360 : i64, src_strides = array<i64: 1, 11520, 72>}
// CHECK-COUNT-6: "trn_tile.activate"
// CHECK-NOT:  "trn_tile.activate"

// Max pool (pad value -inf): 76 rows fit -> 37 output rows, rounded down to 6 blocks
// of 6 rows (480 pixels, the moving size): bands of 36 output rows (73 padded rows of
// 162: input rows -1..71, 71..143), the last one 8 output rows (17 padded rows: input
// rows 143..159; no window reads the bottom padding row).
// CHECK:      %[[Q0:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[3, 11826], f32, "sbuf">
// CHECK:      "trn_tile.memset"({{.*}}) {value = 0xFF800000 : f32}
// CHECK:      "trn_tile.dma"(%{{.*}}, %[[Q0]]) {dst_offset = 163 : i64, dst_strides = array<i64: 11826, 162, 1>, sizes = array<i64: 3, 72, 160>, src_offset = 0 : i64, src_strides = array<i64: 1, 480, 3>}
// CHECK:      %[[Q1:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[3, 11826], f32, "sbuf">
// CHECK:      "trn_tile.memset"({{.*}}) {value = 0xFF800000 : f32}
// CHECK:      "trn_tile.dma"(%{{.*}}, %[[Q1]]) {dst_offset = 1 : i64, dst_strides = array<i64: 11826, 162, 1>, sizes = array<i64: 3, 73, 160>, src_offset = 34080 : i64, src_strides = array<i64: 1, 480, 3>}
// CHECK:      %[[Q2:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[3, 2754], f32, "sbuf">
// CHECK:      "trn_tile.memset"({{.*}}) {value = 0xFF800000 : f32}
// CHECK:      "trn_tile.dma"(%{{.*}}, %[[Q2]]) {dst_offset = 1 : i64, dst_strides = array<i64: 2754, 162, 1>, sizes = array<i64: 3, 17, 160>, src_offset = 68640 : i64, src_strides = array<i64: 1, 480, 3>}

func.func @main(%x: tensor<1x160x160x72xf32>, %x3: tensor<1x160x160x3xf32>) -> (tensor<1x160x160x8xf32>, tensor<1x80x80x3xf32>) {
  %w = "tosa.const"() <{value = dense<0.5> : tensor<8x3x3x72xf32>}> : () -> tensor<8x3x3x72xf32>
  %b = "tosa.const"() <{value = dense<0.1> : tensor<8xf32>}> : () -> tensor<8xf32>
  %c = tosa.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x160x160x72xf32>, tensor<8x3x3x72xf32>, tensor<8xf32>) -> tensor<1x160x160x8xf32>
  %m = tosa.max_pool2d %x3 {kernel = array<i64: 3, 3>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x160x160x3xf32>) -> tensor<1x80x80x3xf32>
  return %c, %m : tensor<1x160x160x8xf32>, tensor<1x80x80x3xf32>
}
