#!/usr/bin/python3
"""Makes the tiny ONNX models of ops-reduce*.test (checked in beside this script).
Run with Debian's python3: /usr/bin/python3 tests/lit/compiler/Inputs/reduce/make_models.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
F = TensorProto.FLOAT


def save(nodes, inputs, outputs, name, inits=(), opset=13, check=True):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, producer_name="trn-lit", opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    if check:
        onnx.checker.check_model(m)
    onnx.save(m, os.path.join(HERE, name))


def vi(name, shape, t=F):
    return helper.make_tensor_value_info(name, t, shape)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def main():
    N = helper.make_node
    # Softmax (opset 13, last axis) and LogSoftmax (opset 11: coerced to 2-D at axis 1).
    save([N("Softmax", ["x"], ["s"], name="sm"), N("LogSoftmax", ["x"], ["l"], name="lsm")],
         [vi("x", [2, 3, 4])], [vi("s", [2, 3, 4]), vi("l", [2, 3, 4])], "softmax.onnx", opset=11)
    save([N("Softmax", ["x"], ["y"], name="sm13")], [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])],
         "softmax13.onnx")
    # ReduceMean opset 18: axes from an initializer, keepdims = 0.
    save([N("ReduceMean", ["x", "axes"], ["y"], name="mean", keepdims=0)], [vi("x", [3, 4, 5])],
         [vi("y", [4])], "reduce_mean18.onnx", inits=[ints("axes", [0, -1])], opset=18,
         check=False)  # onnx 1.12 predates opset 18
    # ReduceLogSumExp opset 13 (axes attribute).
    save([N("ReduceLogSumExp", ["x"], ["y"], name="lse", axes=[1])], [vi("x", [3, 4])],
         [vi("y", [3, 1])], "reduce_lse.onnx")
    # ReduceSum opset 13 whose axes are computed at run time (by an ArgMax): unsupported.
    save([N("ArgMax", ["z"], ["axes"], name="pick", axis=1, keepdims=0),
          N("ReduceSum", ["x", "axes"], ["y"], name="rsum")],
         [vi("x", [3, 4]), vi("z", [1, 2])], [vi("y", [3, 1])], "reduce_sum_runtime_axes.onnx")
    # ArgMax with an out-of-range axis: an invalid model.
    save([N("ArgMax", ["x"], ["y"], name="amax", axis=3)], [vi("x", [3, 4])], [vi("y", [3, 1], TensorProto.INT64)],
         "argmax_bad_axis.onnx", check=False)
    # TopK k = 2 from an initializer; the values output only.
    save([N("TopK", ["x", "k"], ["v", "i"], name="topk", axis=1)], [vi("x", [3, 5])], [vi("v", [3, 2])],
         "topk.onnx", inits=[ints("k", [2])], opset=11)
    # CumSum along axis 1 (an initializer), exclusive and reversed.
    save([N("CumSum", ["x", "axis"], ["y"], name="cs", exclusive=1, reverse=1)], [vi("x", [2, 5])],
         [vi("y", [2, 5])], "cumsum.onnx", inits=[ints("axis", 1)], opset=14)
    # Trilu: lower triangle with k = -1 from an initializer.
    save([N("Trilu", ["x", "k"], ["y"], name="tril", upper=0)], [vi("x", [4, 5])], [vi("y", [4, 5])],
         "trilu.onnx", inits=[ints("k", -1)], opset=14)
    # SoftmaxCrossEntropyLoss, mean over the non-ignored targets, with the log_prob output.
    save([N("SoftmaxCrossEntropyLoss", ["x", "t"], ["loss", "log_prob"], name="sce", ignore_index=2)],
         [vi("x", [3, 5]), vi("t", [3], TensorProto.INT64)], [vi("loss", []), vi("log_prob", [3, 5])],
         "sce.onnx")
    # Einsum: attention scores; a label of size 1 against 4 would need broadcasting
    # (unsupported).
    save([N("Einsum", ["q", "k"], ["s"], name="scores", equation="bhqd,bhkd->bhqk")],
         [vi("q", [2, 3, 4, 8]), vi("k", [2, 3, 6, 8])], [vi("s", [2, 3, 4, 6])], "einsum_attention.onnx", opset=12)
    save([N("Einsum", ["x", "w"], ["y"], name="bcast", equation="ij,j->i")], [vi("x", [3, 4]), vi("w", [1])],
         [vi("y", [3])], "einsum_bcast.onnx", opset=12, check=False)


if __name__ == "__main__":
    main()
