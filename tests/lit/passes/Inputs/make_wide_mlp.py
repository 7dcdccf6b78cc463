#!/usr/bin/python3
"""Makes wide_mlp.onnx in OUTDIR: x[64, 1024] -> MatMul 1024x8192 -> Relu -> MatMul
8192x1024, with its input and float64 reference output, for
tests/lit/passes/allocate_long_lived.test. The hidden layer stays on chip as 64 small
tiles made one per weight panel of the first matmul, so they live across many
allocations while the second matmul needs 32 KiB panels. Run with Debian's python3:
  /usr/bin/python3 make_wide_mlp.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1] if len(sys.argv) > 1 else "."
rng = np.random.default_rng(11)
x = rng.standard_normal((64, 1024)).astype(np.float32)
w0 = (rng.standard_normal((1024, 8192)) / 32.0).astype(np.float32)
w1 = (rng.standard_normal((8192, 1024)) / 90.0).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w0"], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
     helper.make_node("MatMul", ["r", "w1"], ["y"])], "wide_mlp",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [64, 1024])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [64, 1024])],
    initializer=[numpy_helper.from_array(w0, "w0"), numpy_helper.from_array(w1, "w1")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.save(model, os.path.join(out, "wide_mlp.onnx"))
np.save(os.path.join(out, "wide_mlp_x.npy"), x)
y = np.maximum(x.astype(np.float64) @ w0, 0) @ w1
np.save(os.path.join(out, "wide_mlp_y.npy"), y.astype(np.float32))
