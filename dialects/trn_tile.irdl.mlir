// trn_tile: tiles in a memory space and the engine operations on them.
//
// A tile is a buffer: !trn_tile.tile<[P, F0, ...], dtype, "space">. In "sbuf" and
// "psum", dim 0 is the partition axis (P <= 128) and the others are free axes laid
// out row-major inside each partition. In "hbm", the shape is the logical tensor
// shape, row-major. Operations write their destination operand in place
// (destination-passing style); values are never produced by compute operations, only
// by the buffer-defining operations (input, output, const, alloc) and views of them
// (view). Program order is
// the order of execution within an engine; the passes below this level add the
// synchronization between engines.
//
// Access patterns of trn_tile.dma: `sizes` (outermost first) walks an index space;
// element i of each side is at `offset + sum_d i_d * strides[d]`, in elements of the
// side's row-major linearized tile (for on-chip tiles: p * prod(free dims) + f).
//
// Attributes set by trn-allocate: `offset` (byte offset inside each partition) on
// alloc; `hbm_offset` (bytes) on input, output, const and hbm allocs.
irdl.dialect @trn_tile {
  irdl.type @tile {
    %shape = irdl.base "#builtin.array"
    %f32 = irdl.is f32
    %bf16 = irdl.is bf16
    %f16 = irdl.is f16
    %i32 = irdl.is i32
    %i8 = irdl.is i8
    %ui8 = irdl.is ui8
    %elem = irdl.any_of(%f32, %bf16, %f16, %i32, %i8, %ui8)
    %sbuf = irdl.is "sbuf"
    %psum = irdl.is "psum"
    %hbm = irdl.is "hbm"
    %space = irdl.any_of(%sbuf, %psum, %hbm)
    irdl.parameters(%shape, %elem, %space)
  }

  // A graph input in HBM: {name = "x", index = 0}; optional `type`: the graph's
  // tensor type (a rank-0 tensor is a [1] tile).
  irdl.operation @input {
    %t = irdl.base @trn_tile::@tile
    %name = irdl.base "#builtin.string"
    %index = irdl.base "#builtin.integer"
    irdl.attributes { "name" = %name, "index" = %index }
    irdl.results(%t)
  }

  // A graph output in HBM: {name = "y", index = 0}; optional `type` as for input.
  irdl.operation @output {
    %t = irdl.base @trn_tile::@tile
    %name = irdl.base "#builtin.string"
    %index = irdl.base "#builtin.integer"
    irdl.attributes { "name" = %name, "index" = %index }
    irdl.results(%t)
  }

  // A constant in HBM; `value` is a dense or dense_resource elements attribute.
  irdl.operation @const {
    %t = irdl.base @trn_tile::@tile
    %value = irdl.any
    irdl.attributes { "value" = %value }
    irdl.results(%t)
  }

  // A buffer in SBUF, PSUM or HBM (scratch).
  irdl.operation @alloc {
    %t = irdl.base @trn_tile::@tile
    irdl.results(%t)
  }

  // A view of a sub-block of an on-chip buffer [P, F...]: partitions
  // [partition_offset, partition_offset + P') and free elements [free_offset,
  // free_offset + F') of the flattened free axis; the result type gives P' and F'.
  // With an optional `free_pattern = array<i64: n0, s0[, n1, s1[, n2, s2]]>` the F'
  // elements are instead free_offset + i0*s0 + i1*s1 + i2*s2 (i_d < n_d, innermost
  // first; a convolution window, say); such a view is an engine operand only, not a
  // DMA side. Operations on the view read/write the buffer (no copy).
  irdl.operation @view {
    %src = irdl.base @trn_tile::@tile
    %t = irdl.base @trn_tile::@tile
    %po = irdl.base "#builtin.integer"
    %fo = irdl.base "#builtin.integer"
    irdl.operands(%src)
    irdl.attributes { "partition_offset" = %po, "free_offset" = %fo }
    irdl.results(%t)
  }

  // DMA: dst[dst pattern] = convert(src[src pattern]), any two spaces.
  irdl.operation @dma {
    %src = irdl.base @trn_tile::@tile
    %dst = irdl.base @trn_tile::@tile
    %sizes = irdl.base "#builtin.dense_array"
    %so = irdl.base "#builtin.integer"
    %ss = irdl.base "#builtin.dense_array"
    %do = irdl.base "#builtin.integer"
    %ds = irdl.base "#builtin.dense_array"
    irdl.operands(%src, %dst)
    irdl.attributes { "sizes" = %sizes, "src_offset" = %so, "src_strides" = %ss,
                      "dst_offset" = %do, "dst_strides" = %ds }
  }

  // Tensor engine: psum[m, n] (+)= sum_k stationary[k, m] * moving[k, n].
  // stationary [K, M] (K, M <= 128) and moving [K, N] (N <= 512) in SBUF, psum [M, N].
  irdl.operation @matmul {
    %stat = irdl.base @trn_tile::@tile
    %mov = irdl.base @trn_tile::@tile
    %psum = irdl.base @trn_tile::@tile
    %acc = irdl.base "#builtin.integer"
    irdl.operands(%stat, %mov, %psum)
    irdl.attributes { "accumulate" = %acc }
  }

  // Tensor engine transpose: dst[j, i] = src[i, j], dst in PSUM.
  irdl.operation @transpose {
    %src = irdl.base @trn_tile::@tile
    %dst = irdl.base @trn_tile::@tile
    irdl.operands(%src, %dst)
  }

  // Scalar engine: dst[p, f] = func(src[p, f] * scale + bias + bias_tile[p, 0]).
  irdl.operation @activate {
    %src = irdl.base @trn_tile::@tile
    %dst = irdl.base @trn_tile::@tile
    %btile = irdl.base @trn_tile::@tile
    %func = irdl.base "#builtin.string"
    %scale = irdl.base "#builtin.float"
    %bias = irdl.base "#builtin.float"
    irdl.operands(%src, %dst, optional %btile)
    irdl.attributes { "func" = %func, "scale" = %scale, "bias" = %bias }
  }

  // Vector engine: dst[p, f] = op(a[p, f], b[p, f]). An operand [P, 1] is broadcast
  // along the free axis (a per-partition scalar).
  irdl.operation @tensor_tensor {
    %a = irdl.base @trn_tile::@tile
    %b = irdl.base @trn_tile::@tile
    %dst = irdl.base @trn_tile::@tile
    %op = irdl.base "#builtin.string"
    irdl.operands(%a, %b, %dst)
    irdl.attributes { "op" = %op }
  }

  // Vector engine: dst[p, f] = op1(op0(src[p, f], s0), s1); s0/s1 are the float
  // attributes, or columns 0/1 of the optional per-partition `scalars` tile when
  // `per_partition` is true.
  irdl.operation @tensor_scalar {
    %src = irdl.base @trn_tile::@tile
    %dst = irdl.base @trn_tile::@tile
    %sc = irdl.base @trn_tile::@tile
    %op0 = irdl.base "#builtin.string"
    %op1 = irdl.base "#builtin.string"
    %s0 = irdl.base "#builtin.float"
    %s1 = irdl.base "#builtin.float"
    irdl.operands(%src, %dst, optional %sc)
    irdl.attributes { "op0" = %op0, "scalar0" = %s0, "op1" = %op1, "scalar1" = %s1 }
  }

  // Vector engine: reduction along one free dim. The source's free axis is laid out
  // [outer, axis, inner] (row-major; `sizes`), the destination's [outer, inner]:
  // dst[p, o, i] = op over a of src[p, o, a, i] (op: "add", "max", "min", "mul").
  irdl.operation @tensor_reduce {
    %src = irdl.base @trn_tile::@tile
    %dst = irdl.base @trn_tile::@tile
    %op = irdl.base "#builtin.string"
    %sizes = irdl.base "#builtin.dense_array"
    irdl.operands(%src, %dst)
    irdl.attributes { "op" = %op, "sizes" = %sizes }
  }

  // GpSimd engine: dst[0, f] = op over p of src[p, f] (a reduction across partitions;
  // dst has one partition).
  irdl.operation @partition_reduce {
    %src = irdl.base @trn_tile::@tile
    %dst = irdl.base @trn_tile::@tile
    %op = irdl.base "#builtin.string"
    irdl.operands(%src, %dst)
    irdl.attributes { "op" = %op }
  }

  // Vector engine: dst[p, f] = cond[p, f] != 0 ? src[p, f] : otherwise.
  irdl.operation @select {
    %cond = irdl.base @trn_tile::@tile
    %src = irdl.base @trn_tile::@tile
    %dst = irdl.base @trn_tile::@tile
    %other = irdl.base "#builtin.float"
    irdl.operands(%cond, %src, %dst)
    irdl.attributes { "otherwise" = %other }
  }

  // GpSimd engine: dst[p, f] = src[p, indices[p, f]] (i32 indices along the free axis,
  // bounds-checked).
  irdl.operation @gather {
    %src = irdl.base @trn_tile::@tile
    %indices = irdl.base @trn_tile::@tile
    %dst = irdl.base @trn_tile::@tile
    irdl.operands(%src, %indices, %dst)
  }

  // Vector engine: dst[p, f] = convert(src[p, f]).
  irdl.operation @copy {
    %src = irdl.base @trn_tile::@tile
    %dst = irdl.base @trn_tile::@tile
    irdl.operands(%src, %dst)
  }

  // Vector engine: dst[p, f] = value.
  irdl.operation @memset {
    %dst = irdl.base @trn_tile::@tile
    %value = irdl.base "#builtin.float"
    irdl.operands(%dst)
    irdl.attributes { "value" = %value }
  }
}
