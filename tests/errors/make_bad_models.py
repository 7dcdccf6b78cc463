#!/usr/bin/python3
"""Makes the bad inputs of the robustness tests (tests/lit/errors/, docs/errors.md):
ONNX models that are broken in one way each, and damaged .neff / listing files.
The outputs are tiny and checked in beside this script, in tests/errors/inputs/.
Run with Debian's python3: /usr/bin/python3 tests/errors/make_bad_models.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "inputs")
F = TensorProto.FLOAT


def path(name):
    return os.path.join(OUT, name)


def save(m, name):
    """Saves without the checker: most of these models are invalid on purpose."""
    with open(path(name), "wb") as f:
        f.write(m.SerializeToString())


def model(nodes, inputs, outputs, inits=(), opset=13, value_info=()):
    g = helper.make_graph(nodes, "bad", inputs, outputs, initializer=list(inits),
                          value_info=list(value_info))
    m = helper.make_model(g, producer_name="trn-errors", opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, shape, t=F):
    return helper.make_tensor_value_info(name, t, shape)


def relu(i, o, name=None):
    return helper.make_node("Relu", [i], [o], name=name or o)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(11)
    w = numpy_helper.from_array(rng.standard_normal((4, 3)).astype(np.float32), "w")

    # A valid model the damaged ones start from: y = relu(x @ w).
    good = model([helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"), relu("h", "y", "act")],
                 [vi("x", [2, 4])], [vi("y", [2, 3])], [w])
    onnx.checker.check_model(good)
    save(good, "good.onnx")
    data = good.SerializeToString()

    # Truncated in the middle of the weight bytes; garbage; empty.
    with open(path("truncated.onnx"), "wb") as f:
        f.write(data[: len(data) * 2 // 3])
    with open(path("garbage.onnx"), "wb") as f:
        f.write(bytes(rng.integers(0, 256, size=200, dtype=np.uint8)))
    open(path("empty.onnx"), "wb").close()

    # A cycle: a = relu(b), b = relu(a).
    save(model([relu("b", "a", "r1"), relu("a", "b", "r2"), helper.make_node("Add", ["x", "a"], ["y"], name="add")],
               [vi("x", [2, 2])], [vi("y", [2, 2])]), "cycle.onnx")

    # A missing initializer: the weight 'w' is declared (value_info) but has no data.
    save(model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", [2, 4])],
               [vi("y", [2, 3])], value_info=[vi("w", [4, 3])]), "missing_initializer.onnx")

    # A dangling edge: 'add' reads 't', which no node, input or initializer defines.
    save(model([relu("x", "h", "act"), helper.make_node("Add", ["h", "t"], ["y"], name="add")],
               [vi("x", [2, 2])], [vi("y", [2, 2])]), "dangling_edge.onnx")

    # A graph output nobody produces.
    save(model([relu("x", "h", "act")], [vi("x", [2, 2])], [vi("y", [2, 2])]), "dangling_output.onnx")

    # Duplicate names: two nodes write 'h'; a graph input given twice; an initializer
    # with the name of a graph input.
    save(model([relu("x", "h", "act1"), relu("x", "h", "act2"), relu("h", "y", "act3")],
               [vi("x", [2, 2])], [vi("y", [2, 2])]), "duplicate_output.onnx")
    save(model([relu("x", "y", "act")], [vi("x", [2, 2]), vi("x", [2, 2])], [vi("y", [2, 2])]),
         "duplicate_input.onnx")
    w22 = numpy_helper.from_array(np.ones((2, 2), np.float32), "x")
    save(model([relu("x", "y", "act")], [], [vi("y", [2, 2])], [w22, w22]), "duplicate_initializer.onnx")

    # An initializer carrying raw_data twice (protobuf: the last one counts). Built from
    # bytes, since onnx's messages keep one value: the model without its graph, then the
    # graph (without initializers) and the initializer appended as extra fields.
    def field(number, payload):
        key, size, out = bytes([number << 3 | 2]), len(payload), bytearray()
        while True:
            out.append(size & 0x7F | (0x80 if size > 0x7F else 0))
            size >>= 7
            if not size:
                return key + bytes(out) + payload
    twice = numpy_helper.from_array(np.full((4, 3), 2.0, np.float32), "w")
    init = twice.SerializeToString() + field(9, np.ones((4, 3), np.float32).tobytes())
    top = model([helper.make_node("MatMul", ["x", "w"], ["h"], name="mm"), relu("h", "y", "act")],
                [vi("x", [2, 4])], [vi("y", [2, 3])])
    graph = top.graph.SerializeToString() + field(5, init)
    top.ClearField("graph")
    with open(path("raw_data_twice.onnx"), "wb") as f:
        f.write(top.SerializeToString() + field(7, graph))

    # A reduction over an axis of size 0 (found by fuzzing: a division by zero when
    # lowering).
    save(model([helper.make_node("ReduceMean", ["x"], ["y"], name="mean", keepdims=1)],
               [vi("x", [3, 2, 0])], [vi("y", [1, 1, 1])]), "reduce_empty_axis.onnx")

    # Dims that overflow int64 once multiplied, and a negative dim.
    big = 1 << 62
    save(model([relu("x", "y", "act")], [vi("x", [big, big, 4])], [vi("y", [big, big, 4])]),
         "dims_overflow.onnx")
    save(model([relu("x", "y", "act")], [vi("x", [2, -5])], [vi("y", [2, -5])]), "dims_negative.onnx")
    # An initializer whose dims overflow int64 (no data).
    t = onnx.TensorProto()
    t.name, t.data_type = "w", F
    t.dims.extend([big, big, 4])
    save(model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", [2, 4])],
               [vi("y", [2, 3])], [t]), "init_dims_overflow.onnx")

    # Zero-size tensors: an input with a 0 dim, and an empty initializer.
    save(model([relu("x", "y", "act")], [vi("x", [0, 4])], [vi("y", [0, 4])]), "zero_size_input.onnx")
    z = numpy_helper.from_array(np.zeros((0, 3), np.float32), "w")
    save(model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", [2, 0])],
               [vi("y", [2, 3])], [z]), "zero_size_initializer.onnx")

    # Unsupported dtypes: a complex64 input; a string initializer.
    save(model([relu("x", "y", "act")], [vi("x", [2, 2], TensorProto.COMPLEX64)],
               [vi("y", [2, 2], TensorProto.COMPLEX64)]), "dtype_complex_input.onnx")
    st = helper.make_tensor("w", TensorProto.STRING, [4, 3], [b"a"] * 12)
    save(model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", [2, 4])],
               [vi("y", [2, 3])], [st]), "dtype_string_initializer.onnx")
    # An initializer whose raw data is shorter than its dims say.
    short = numpy_helper.from_array(np.ones((4, 3), np.float32), "w")
    short.raw_data = short.raw_data[:20]
    save(model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", [2, 4])],
               [vi("y", [2, 3])], [short]), "init_short_data.onnx")

    # Larger than HBM (16 GiB): a 32 GiB weight declared through external data (the
    # file holds 16 bytes), and a 16 GiB input with its 16 GiB output.
    ext = onnx.TensorProto()
    ext.name, ext.data_type = "w", F
    ext.dims.extend([4, 1 << 31])
    ext.data_location = onnx.TensorProto.EXTERNAL
    for k, v in (("location", "huge_weight.bin"), ("offset", "0"), ("length", str(4 * 4 * (1 << 31)))):
        e = ext.external_data.add()
        e.key, e.value = k, v
    with open(path("huge_weight.bin"), "wb") as f:
        f.write(b"\0" * 16)
    save(model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", [2, 4])],
               [vi("y", [2, 1 << 31])], [ext]), "huge_external.onnx")
    save(model([relu("x", "y", "act")], [vi("x", [1 << 16, 1 << 16])], [vi("y", [1 << 16, 1 << 16])]),
         "huge_input.onnx")

    # A node of the right op with a wrong arity, and a bad shape combination.
    save(model([helper.make_node("MatMul", ["x"], ["y"], name="mm1")], [vi("x", [2, 4])], [vi("y", [2, 4])]),
         "wrong_arity.onnx")
    save(model([helper.make_node("MatMul", ["x", "w"], ["y"], name="mm")], [vi("x", [2, 5])],
               [vi("y", [2, 3])], [w]), "shape_mismatch.onnx")
    # No graph, no nodes, no opset.
    m = helper.make_model(helper.make_graph([], "empty", [], []), producer_name="trn-errors",
                          opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    save(m, "no_nodes.onnx")

    # Damaged .neff files come from a valid one compiled by the lit test itself (the
    # binary format may change); the listing with an out-of-range address is text.
    with open(path("sbuf_out_of_range.s"), "w") as f:
        f.write("# an activate whose destination runs past the 192 KiB of an SBUF partition\n"
                ".target trn1\n.input x fp32 [2, 4] @0x0\n.output y fp32 [2, 4] @0x40\n"
                ".stream act\n"
                "    activate op0=relu dst=sbuf[0:2]+0x2fff0 fp32 [8:1] src0=sbuf[0:2]+0x0 fp32 [4:1] imm0=1\n")
    with open(path("hbm_out_of_range.s"), "w") as f:
        f.write("# a descriptor that reads past the 128-byte HBM image the program declares\n"
                ".target trn1\n.hbm_size 128\n.input x fp32 [2, 4] @0x0\n.output y fp32 [2, 4] @0x40\n"
                ".stream q0\n    dma imm0=1\n"
                ".desc src=hbm+0x1000 fp32 [2:4,4:1] dst=sbuf+0x0 fp32 [2:49152,4:1]\n")
    with open(path("dma_index_out_of_range.s"), "w") as f:
        f.write("# a dma instruction naming descriptor 5 of a table of 1\n"
                ".target trn1\n.input x fp32 [2, 4] @0x0\n.output y fp32 [2, 4] @0x40\n"
                ".stream q0\n    dma aux=5 imm0=1\n"
                ".desc src=hbm+0x0 fp32 [2:4,4:1] dst=sbuf+0x0 fp32 [2:49152,4:1]\n")
    print("wrote", len(os.listdir(OUT)), "files to", OUT)


if __name__ == "__main__":
    main()
