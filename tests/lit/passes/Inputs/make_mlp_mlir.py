#!/usr/bin/python3
"""Writes graph-level MLIR (func + tosa, as the ONNX importer produces it) for a
two-layer MLP  y = Gemm(Relu(MatMul(x, W1) + b1), W2, b2, transB=1)  with its weights
as dense_resource blobs.

  make_mlp_mlir.py OUT.mlir BATCH D_IN D_HIDDEN D_OUT [SEED]     random weights
  make_mlp_mlir.py OUT.mlir --onnx model.onnx                   weights of examples/mlp.onnx
Run with Debian's python3 (/usr/bin/python3: numpy, onnx).
"""
import sys

import numpy as np


def blob(a):
    return "0x04000000" + np.ascontiguousarray(a, dtype="<f4").tobytes().hex().upper()


def write(path, w1, b1, w2, b2, batch):
    d_in, d_hidden = w1.shape
    d_out = w2.shape[0]
    t = lambda *dims: "tensor<" + "x".join(str(d) for d in dims) + "xf32>"
    lines = [
        f'func.func @main(%arg0: {t(batch, d_in)} {{trn.name = "input"}}) -> ({t(batch, d_out)} {{trn.name = "logits"}}) attributes {{llvm.emit_c_interface}} {{',
        f'  %w1 = "tosa.const"() <{{value = dense_resource<fc1.weight> : {t(d_in, d_hidden)}}}> : () -> {t(d_in, d_hidden)}',
        f'  %0 = tosa.reshape %arg0 {{new_shape = array<i64: 1, {batch}, {d_in}>}} : ({t(batch, d_in)}) -> {t(1, batch, d_in)}',
        f'  %1 = tosa.reshape %w1 {{new_shape = array<i64: 1, {d_in}, {d_hidden}>}} : ({t(d_in, d_hidden)}) -> {t(1, d_in, d_hidden)}',
        f'  %2 = tosa.matmul %0, %1 : ({t(1, batch, d_in)}, {t(1, d_in, d_hidden)}) -> {t(1, batch, d_hidden)}',
        f'  %3 = tosa.reshape %2 {{new_shape = array<i64: {batch}, {d_hidden}>}} : ({t(1, batch, d_hidden)}) -> {t(batch, d_hidden)}',
        f'  %b1 = "tosa.const"() <{{value = dense_resource<fc1.bias> : {t(d_hidden)}}}> : () -> {t(d_hidden)}',
        f'  %4 = tosa.reshape %b1 {{new_shape = array<i64: 1, {d_hidden}>}} : ({t(d_hidden)}) -> {t(1, d_hidden)}',
        f'  %5 = tosa.add %3, %4 : ({t(batch, d_hidden)}, {t(1, d_hidden)}) -> {t(batch, d_hidden)}',
        f'  %6 = tosa.clamp %5 {{max_fp = 3.40282347E+38 : f32, max_int = 9223372036854775807 : i64, min_fp = 0.000000e+00 : f32, min_int = 0 : i64}} : ({t(batch, d_hidden)}) -> {t(batch, d_hidden)}',
        f'  %w2 = "tosa.const"() <{{value = dense_resource<fc2.weight> : {t(d_out, d_hidden)}}}> : () -> {t(d_out, d_hidden)}',
        f'  %p = "tosa.const"() <{{value = dense<[1, 0]> : tensor<2xi32>}}> : () -> tensor<2xi32>',
        f'  %7 = tosa.transpose %w2, %p : ({t(d_out, d_hidden)}, tensor<2xi32>) -> {t(d_hidden, d_out)}',
        f'  %8 = tosa.reshape %6 {{new_shape = array<i64: 1, {batch}, {d_hidden}>}} : ({t(batch, d_hidden)}) -> {t(1, batch, d_hidden)}',
        f'  %9 = tosa.reshape %7 {{new_shape = array<i64: 1, {d_hidden}, {d_out}>}} : ({t(d_hidden, d_out)}) -> {t(1, d_hidden, d_out)}',
        f'  %10 = tosa.matmul %8, %9 : ({t(1, batch, d_hidden)}, {t(1, d_hidden, d_out)}) -> {t(1, batch, d_out)}',
        f'  %11 = tosa.reshape %10 {{new_shape = array<i64: {batch}, {d_out}>}} : ({t(1, batch, d_out)}) -> {t(batch, d_out)}',
        f'  %b2 = "tosa.const"() <{{value = dense_resource<fc2.bias> : {t(d_out)}}}> : () -> {t(d_out)}',
        f'  %12 = tosa.reshape %b2 {{new_shape = array<i64: 1, {d_out}>}} : ({t(d_out)}) -> {t(1, d_out)}',
        f'  %13 = tosa.add %11, %12 : ({t(batch, d_out)}, {t(1, d_out)}) -> {t(batch, d_out)}',
        f'  return %13 : {t(batch, d_out)}',
        '}',
        '',
        '{-#',
        '  dialect_resources: {',
        '    builtin: {',
        f'      fc1.weight: "{blob(w1)}",',
        f'      fc1.bias: "{blob(b1)}",',
        f'      fc2.weight: "{blob(w2)}",',
        f'      fc2.bias: "{blob(b2)}"',
        '    }',
        '  }',
        '#-}',
    ]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    out = sys.argv[1]
    if sys.argv[2] == "--onnx":
        import onnx
        from onnx import numpy_helper
        m = onnx.load(sys.argv[3])
        w = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
        batch = m.graph.input[0].type.tensor_type.shape.dim[0].dim_value
        write(out, w["fc1.weight"], w["fc1.bias"], w["fc2.weight"], w["fc2.bias"], batch)
        return
    batch, d_in, d_hidden, d_out = (int(a) for a in sys.argv[2:6])
    rng = np.random.default_rng(int(sys.argv[6]) if len(sys.argv) > 6 else 1)
    write(out, rng.standard_normal((d_in, d_hidden)).astype(np.float32) * 0.1,
          rng.standard_normal(d_hidden).astype(np.float32) * 0.1,
          rng.standard_normal((d_out, d_hidden)).astype(np.float32) * 0.1,
          rng.standard_normal(d_out).astype(np.float32) * 0.1, batch)


if __name__ == "__main__":
    main()
