#!/usr/bin/python3
"""Makes the tiny ONNX models the compiler's lit tests import (checked in beside this
script). Run with Debian's python3: /usr/bin/python3 tests/lit/compiler/Inputs/make_models.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
F = TensorProto.FLOAT


def save(model, name, check=True):
    if check:
        onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name))


def model(nodes, inputs, outputs, inits=(), opset=13, name="g"):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, producer_name="trn-lit", opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, shape, t=F):
    return helper.make_tensor_value_info(name, t, shape)


def main():
    rng = np.random.default_rng(7)

    # Add with numpy broadcasting: [2,3] + [3] and a scalar-like [1,1].
    save(model([helper.make_node("Add", ["a", "b"], ["s"], name="add0"),
                helper.make_node("Add", ["s", "c"], ["y"], name="add1")],
               [vi("a", [2, 3]), vi("b", [3]), vi("c", [1, 1])], [vi("y", [2, 3])]),
         "add_broadcast.onnx")

    # Gemm with every attribute: Y = 0.5 * A^T B^T + 2 * C.
    c = numpy_helper.from_array(np.arange(5, dtype=np.float32), "c")
    b = numpy_helper.from_array(rng.standard_normal((5, 4)).astype(np.float32), "b")
    save(model([helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="gemm", alpha=0.5, beta=2.0,
                                 transA=1, transB=1)],
               [vi("a", [4, 3])], [vi("y", [3, 5])], [b, c]),
         "gemm_attrs.onnx")

    # Gemm with alpha given as an INT: an invalid model.
    bad = model([helper.make_node("Gemm", ["a", "b"], ["y"], name="gemm_bad", alpha=2)],
                [vi("a", [3, 4])], [vi("y", [3, 5])], [b])
    save(bad, "gemm_bad_attr.onnx", check=False)

    # Batched MatMul: [2,3,4] x [4,5] (shared weight) and [2,3,5] x [1,5,2] (broadcast batch),
    # and a vector operand [2] x [2,6] ... via Identity.
    w45 = numpy_helper.from_array(rng.standard_normal((4, 5)).astype(np.float32), "w45")
    w152 = numpy_helper.from_array(rng.standard_normal((1, 5, 2)).astype(np.float32), "w152")
    save(model([helper.make_node("MatMul", ["x", "w45"], ["h"], name="mm_shared"),
                helper.make_node("MatMul", ["h", "w152"], ["z"], name="mm_bcast"),
                helper.make_node("Identity", ["z"], ["y"], name="id")],
               [vi("x", [2, 3, 4])], [vi("y", [2, 3, 2])], [w45, w152]),
         "matmul_batched.onnx")

    # MatMul with batch broadcasting on both sides: [2,1,3,4] x [3,4,5] -> [2,3,3,5], and a
    # vector operand: [5] x [2,3,3,5,...] is not needed; [2,3,3,5] x [5] -> [2,3,3].
    save(model([helper.make_node("MatMul", ["a", "b"], ["p"], name="mm_tile"),
                helper.make_node("MatMul", ["p", "v"], ["y"], name="mm_vec")],
               [vi("a", [2, 1, 3, 4]), vi("b", [3, 4, 5]), vi("v", [5])], [vi("y", [2, 3, 3])]),
         "matmul_broadcast.onnx")

    # Unsupported operators (ones no family plans to lower), some without names.
    save(model([helper.make_node("TfIdfVectorizer", ["x"], ["c"], name="tfidf1"),
                helper.make_node("Relu", ["c"], ["r"], name="relu1"),
                helper.make_node("StringNormalizer", ["r"], ["s"]),
                helper.make_node("Relu", ["s"], ["y"], name="relu2")],
               [vi("x", [1, 1, 4, 4])], [vi("y", [1, 1, 2, 2])]),
         "unsupported.onnx", check=False)

    # A symbolic batch dimension.
    save(model([helper.make_node("Relu", ["x"], ["y"], name="relu")],
               [vi("x", ["batch", 16])], [vi("y", ["batch", 16])]),
         "symbolic.onnx")

    # An int64 input and output (i64 at graph level).
    save(model([helper.make_node("Identity", ["x"], ["y"], name="id")],
               [vi("x", [4], TensorProto.INT64)], [vi("y", [4], TensorProto.INT64)]),
         "int64_input.onnx")

    # A STRING input: no graph-level type for it.
    save(model([helper.make_node("Identity", ["x"], ["y"], name="id")],
               [vi("x", [4], TensorProto.STRING)], [vi("y", [4], TensorProto.STRING)]),
         "string_input.onnx")

    # A training-only model: no default-domain opset import.
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="relu")], "g",
                          [vi("x", [4])], [vi("y", [4])])
    m = helper.make_model(g, producer_name="trn-lit",
                          opset_imports=[helper.make_opsetid("ai.onnx.preview.training", 1)])
    m.ir_version = 8
    save(m, "training_only.onnx", check=False)

    # Weights in an external data file beside the model (offset 16, 6 floats), one whose
    # location leaves the model's folder, and one whose file does not exist.
    w = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    with open(os.path.join(HERE, "external_data.bin"), "wb") as f:
        f.write(b"\x00" * 16 + w.tobytes())
    for name, location in (("external_data.onnx", "external_data.bin"),
                           ("external_escape.onnx", "../Inputs/external_data.bin"),
                           ("external_missing.onnx", "no_such_file.bin")):
        t = onnx.TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2, 3])
        t.data_location = onnx.TensorProto.EXTERNAL
        for k, v in (("location", location), ("offset", "16"), ("length", "24")):
            e = t.external_data.add()
            e.key, e.value = k, v
        save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add_w")],
                   [vi("x", [2, 3])], [vi("y", [2, 3])], [t]),
             name, check=False)

    # A node input nobody defines (invalid model).
    save(model([helper.make_node("Relu", ["nowhere"], ["y"], name="lost")],
               [vi("x", [4])], [vi("y", [4])]),
         "undefined_input.onnx", check=False)

    # Two nodes feeding each other (invalid model).
    save(model([helper.make_node("Relu", ["b"], ["a"], name="ping"),
                helper.make_node("Relu", ["a"], ["b"], name="pong"),
                helper.make_node("Add", ["x", "b"], ["y"], name="sum")],
               [vi("x", [4])], [vi("y", [4])]),
         "cycle.onnx", check=False)

    # Not an ONNX file at all.
    with open(os.path.join(HERE, "not_onnx.onnx"), "wb") as f:
        f.write(b"\xff\xff\xff\xff this is not a protobuf \x00\x01")
    print("wrote the lit test models to", HERE)


if __name__ == "__main__":
    main()
