// trn_isa: one operation per machine instruction of isa/include/trn/isa.def, plus the
// placement of graph inputs, outputs and constants in HBM. Every operation has no
// operands and no results: the instruction is entirely in its attributes, in the
// order of its stream. Emission (compiler/emit.c) reads them back through
// trn_dialects_isa_read (dialects/include/trn/dialects.h).
//
// Instruction attributes (all but `stream` optional; absent = zero / unused):
//   stream  : integer, 0 pe, 1 act, 2 dve, 3 pool, 4 + q for DMA queue q
//   op0/op1 : string, ALU op or activation function mnemonic ("add", "relu", ...)
//   flags   : array of strings, from "acc", "accum", "s0_ap", "s1_ap", "reverse"
//   imm     : array of up to 4 typed values (f32 float -> its bits, integer -> int32)
//   dst, src0, src1 : access patterns, dictionaries
//             {space = "sbuf"|"psum", dtype = "fp32"|..., part = array<i64: start, count>,
//              offset = bytes, num = array<i64: n0[, n1, n2]>, step = array<i64: s0[, s1, s2]>}
//   wait    : array<i64: semaphore, value>   (wait until sem >= value)
//   signal  : integer semaphore (add 1 when done)
//   descriptors (dma only): array of dictionaries
//             {src_space, dst_space, src_dtype, dst_dtype (strings), src_addr, dst_addr,
//              num = array<i64: n0..n3> (innermost first), src_step, dst_step (elements)}
irdl.dialect @trn_isa {
  // A graph input placed in HBM: {name, index, type = tensor<...>, hbm_offset}.
  irdl.operation @input {
    %s = irdl.base "#builtin.string"
    %i = irdl.base "#builtin.integer"
    %t = irdl.base "#builtin.type"
    %o = irdl.base "#builtin.integer"
    irdl.attributes { "name" = %s, "index" = %i, "type" = %t, "hbm_offset" = %o }
  }

  // A graph output placed in HBM: {name, index, type = tensor<...>, hbm_offset}.
  irdl.operation @output {
    %s = irdl.base "#builtin.string"
    %i = irdl.base "#builtin.integer"
    %t = irdl.base "#builtin.type"
    %o = irdl.base "#builtin.integer"
    irdl.attributes { "name" = %s, "index" = %i, "type" = %t, "hbm_offset" = %o }
  }

  // Constant bytes of the initial HBM image: {value = dense or dense_resource, hbm_offset}.
  irdl.operation @const {
    %v = irdl.any
    %o = irdl.base "#builtin.integer"
    irdl.attributes { "value" = %v, "hbm_offset" = %o }
  }

  // DMA: run `descriptors` in order on queue stream - 4.
  irdl.operation @dma {
    %s = irdl.base "#builtin.integer"
    %d = irdl.base "#builtin.array"
    irdl.attributes { "stream" = %s, "descriptors" = %d }
  }

  // HALT
  irdl.operation @halt {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // NOP
  irdl.operation @nop {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // MATMUL
  irdl.operation @matmul {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // TRANSPOSE
  irdl.operation @transpose {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // ACTIVATE
  irdl.operation @activate {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // TENSOR_TENSOR
  irdl.operation @tensor_tensor {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // TENSOR_SCALAR
  irdl.operation @tensor_scalar {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // TENSOR_REDUCE
  irdl.operation @tensor_reduce {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // TENSOR_COPY
  irdl.operation @tensor_copy {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // MEMSET
  irdl.operation @memset {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // SELECT
  irdl.operation @select {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // TRANSPOSE32
  irdl.operation @transpose32 {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // PARTITION_REDUCE
  irdl.operation @partition_reduce {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // PARTITION_BROADCAST
  irdl.operation @partition_broadcast {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // IOTA
  irdl.operation @iota {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // AFFINE_SELECT
  irdl.operation @affine_select {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }

  // GATHER
  irdl.operation @gather {
    %s = irdl.base "#builtin.integer"
    irdl.attributes { "stream" = %s }
  }
}
