#!/usr/bin/python3
"""Makes small ONNX models, their inputs and reference outputs (computed in float64
by numpy) in OUTDIR, for tests/lit/passes/run_models.test, which compiles them with
trnc and runs them with trn-run: shapes and op mixes that exercise the lowering
beyond the MLP (remainders of every tile size, batched matmuls, epilogues that do not
fuse, element-wise ops on their own, layout changes through HBM). Generated at test
time so that no binaries are checked in. Run with Debian's python3:
  /usr/bin/python3 make_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = sys.argv[1] if len(sys.argv) > 1 else "."
rng = np.random.default_rng(7)


def rand(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def save(name, nodes, inputs, outputs, inits, feeds, expect):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(a.shape)) for n, a in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(a.shape)) for n, a in outputs],
        initializer=[numpy_helper.from_array(a, n) for n, a in inits])
    model = helper.make_model(graph, producer_name="trn-tests", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name + ".onnx"))
    for n, a in feeds:
        np.save(os.path.join(HERE, f"{name}_{n}.npy"), a)
    np.save(os.path.join(HERE, f"{name}_out.npy"), expect.astype(np.float32))


def main():
    os.makedirs(HERE, exist_ok=True)
    # Batched matmul with remainders everywhere: M = 600 (512 + 88 moving), N = 200
    # (128 + 72 stationary), K = 300 (128 + 128 + 44 partitions), batch 2, weights
    # from HBM, followed by Relu (fused into the PSUM eviction).
    a = rand(2, 600, 300, scale=0.5)
    w = rand(2, 300, 200, scale=0.1)
    y = np.maximum(a.astype(np.float64) @ w, 0)
    save("bmm_relu", [helper.make_node("MatMul", ["a", "w"], ["mm"]), helper.make_node("Relu", ["mm"], ["y"])],
         [("a", a)], [("y", y)], [("w", w)], [("a", a)], y)

    # Gemm with alpha/beta: the scaled bias is computed on chip, so the bias add is a
    # separate element-wise op whose operands have different layouts.
    x = rand(5, 130)
    wg = rand(70, 130, scale=0.1)
    c = rand(70)
    y = 0.5 * (x.astype(np.float64) @ wg.T) + 2.0 * c
    save("gemm_alpha_beta",
         [helper.make_node("Gemm", ["x", "w", "c"], ["y"], alpha=0.5, beta=2.0, transB=1)],
         [("x", x)], [("y", y)], [("w", wg), ("c", c)], [("x", x)], y)

    # Element-wise ops alone: two inputs added, then Relu, no matmul anywhere.
    p = rand(3, 260)
    q = rand(3, 260)
    y = np.maximum(p.astype(np.float64) + q, 0)
    save("add_relu", [helper.make_node("Add", ["p", "q"], ["s"]), helper.make_node("Relu", ["s"], ["y"])],
         [("p", p), ("q", q)], [("y", y)], [], [("p", p), ("q", q)], y)

    # Broadcast add of a row vector input, and a matmul whose output is consumed by
    # another matmul as its stationary operand (a layout change through HBM).
    u = rand(4, 64)
    r = rand(1, 64)
    v = rand(64, 32, scale=0.2)
    t = rand(4, 4)
    h = (u.astype(np.float64) + r) @ v
    y = t.astype(np.float64) @ h
    save("chain",
         [helper.make_node("Add", ["u", "r"], ["s"]), helper.make_node("MatMul", ["s", "v"], ["h"]),
          helper.make_node("MatMul", ["t", "h"], ["y"])],
         [("u", u), ("r", r), ("t", t)], [("y", y)], [("v", v)], [("u", u), ("r", r), ("t", t)], y)


    # A matmul result used twice, as the moving operand of one matmul and the
    # stationary one of another: one of the two needs it in another layout (transposed
    # on the tensor engine).
    u = rand(6, 40)
    v = rand(40, 24, scale=0.2)
    w2 = rand(24, 5, scale=0.3)
    t = rand(3, 6)
    h = u.astype(np.float64) @ v
    y1 = h @ w2
    y = (t.astype(np.float64) @ h) @ w2 + t @ y1
    save("two_roles",
         [helper.make_node("MatMul", ["u", "v"], ["h"]), helper.make_node("MatMul", ["h", "w2"], ["y1"]),
          helper.make_node("MatMul", ["t", "h"], ["y2"]), helper.make_node("MatMul", ["y2", "w2"], ["ya"]),
          helper.make_node("MatMul", ["t", "y1"], ["yb"]), helper.make_node("Add", ["ya", "yb"], ["y"])],
         [("u", u), ("t", t)], [("y", y)], [("v", v), ("w2", w2)], [("u", u), ("t", t)], y)


if __name__ == "__main__":
    main()
