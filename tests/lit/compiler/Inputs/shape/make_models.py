#!/usr/bin/python3
"""Makes the tiny ONNX models of the shape-family lit tests (ops-shape*.test), checked
in beside this script. Run with Debian's python3:
/usr/bin/python3 tests/lit/compiler/Inputs/shape/make_models.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
F = TensorProto.FLOAT
I64 = TensorProto.INT64


def save(model, name, check=True):
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name))


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, producer_name="trn-lit", opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, shape, t=F):
    return helper.make_tensor_value_info(name, t, shape)


def ints(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def main():
    # x.view(x.size(0), -1) as exporters write it: Shape -> Gather -> Unsqueeze ->
    # Concat -> Reshape. The shape computation folds to a constant at import.
    save(model(
        [helper.make_node("Shape", ["x"], ["s"], name="shape"),
         helper.make_node("Gather", ["s", "zero"], ["n"], name="batch", axis=0),
         helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"], name="unsq"),
         helper.make_node("Concat", ["n1", "minus1"], ["target"], name="cat", axis=0),
         helper.make_node("Reshape", ["x", "target"], ["y"], name="view")],
        [vi("x", [2, 3, 4])], [vi("y", [2, 12])],
        [ints("zero", 0), ints("axes0", [0]), ints("minus1", [-1])]), "view.onnx")

    # Slice with constant starts/ends/axes/steps (a reversed axis and a stride), then
    # reflect Pad, then Transpose with the default (reversed) permutation.
    save(model(
        [helper.make_node("Slice", ["x", "starts", "ends", "axes", "steps"], ["s"], name="slice"),
         helper.make_node("Pad", ["s", "pads"], ["p"], name="pad", mode="reflect"),
         helper.make_node("Transpose", ["p"], ["y"], name="t")],
        [vi("x", [4, 6])], [vi("y", [5, 3])],
        [ints("starts", [-1, 0]), ints("ends", [-10, 6]), ints("axes", [0, 1]), ints("steps", [-2, 2]),
         ints("pads", [0, 1, 1, 1])]), "slice_pad.onnx")

    # Gather with negative constant indices; Split (opset 13 input) and Concat back in
    # the other order; Expand; DepthToSpace.
    save(model(
        [helper.make_node("Gather", ["x", "idx"], ["g"], name="gather", axis=1),
         helper.make_node("Split", ["g", "split"], ["a", "b"], name="split", axis=1),
         helper.make_node("Concat", ["b", "a"], ["c"], name="cat", axis=1),
         helper.make_node("Expand", ["c", "eshape"], ["e"], name="expand"),
         helper.make_node("DepthToSpace", ["e"], ["y"], name="d2s", blocksize=2, mode="CRD")],
        [vi("x", [1, 5, 2, 2])], [vi("y", [2, 1, 4, 4])],
        [ints("idx", [-1, 0, 2, 1]), ints("split", [1, 3]), ints("eshape", [2, 1, 1, 1])]), "gather_split.onnx")

    # Resize, linear, half_pixel, constant scales: one gather per tap along each
    # resized axis.
    save(model(
        [helper.make_node("Resize", ["x", "", "scales"], ["y"], name="up", mode="linear")],
        [vi("x", [1, 1, 2, 3])], [vi("y", [1, 1, 4, 3])],
        [numpy_helper.from_array(np.array([1, 1, 2, 1], dtype=np.float32), "scales")]), "resize.onnx")

    # A run-time shape input: the declared output shape is used.
    save(model(
        [helper.make_node("Reshape", ["x", "shape"], ["y"], name="rt")],
        [vi("x", [2, 6]), vi("shape", [2], I64)], [vi("y", [3, 4])]), "reshape_runtime.onnx")

    # Errors.
    save(model(
        [helper.make_node("Reshape", ["x", "shape"], ["y"], name="two_neg")],
        [vi("x", [2, 6])], [vi("y", [3, 4])], [ints("shape", [-1, -1])]), "reshape_two_neg.onnx")
    save(model(
        [helper.make_node("Reshape", ["x", "shape"], ["y"], name="rt")],
        [vi("x", [2, 6]), vi("shape", [2], I64)], [helper.make_tensor_value_info("y", F, None)]),
        "reshape_runtime_undeclared.onnx", check=False)
    save(model(
        [helper.make_node("Squeeze", ["x", "axes"], ["y"], name="sq")],
        [vi("x", [2, 3])], [vi("y", [2])], [ints("axes", [1])]), "squeeze_not_one.onnx", check=False)
    save(model(
        [helper.make_node("Transpose", ["x"], ["y"], name="tp", perm=[0, 0])],
        [vi("x", [2, 3])], [vi("y", [2, 2])]), "transpose_bad_perm.onnx", check=False)
    save(model(
        [helper.make_node("Pad", ["x", "pads"], ["y"], name="pd", mode="mirror")],
        [vi("x", [2, 3])], [vi("y", [2, 5])], [ints("pads", [0, 1, 0, 1])]), "pad_bad_mode.onnx", check=False)


if __name__ == "__main__":
    main()
