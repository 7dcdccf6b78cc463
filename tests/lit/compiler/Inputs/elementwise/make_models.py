#!/usr/bin/python3
"""Makes the small ONNX models of the elementwise family's lit tests (checked in beside
this script). Run with Debian's python3:
/usr/bin/python3 tests/lit/compiler/Inputs/elementwise/make_models.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto as T, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def save(nodes, inputs, outputs, name, inits=(), opset=17, check=True):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, producer_name="trn-lit", opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    if check:
        onnx.checker.check_model(m, full_check=True)
    onnx.save(m, os.path.join(HERE, name))


def vi(name, shape, t=T.FLOAT):
    return helper.make_tensor_value_info(name, t, shape)


def node(op, ins, outs, name, **attrs):
    return helper.make_node(op, ins, outs, name=name, **attrs)


def main():
    # Integer arithmetic: int64 Div truncates (arith.divsi, zero divisors guarded), Mod
    # takes the divisor's sign, Pow of an integer base.
    save([node("Div", ["a", "b"], ["q"], "div"),
          node("Mod", ["a", "b"], ["r"], "mod"),
          node("Pow", ["a", "e"], ["p"], "pow")],
         [vi("a", [2, 3], T.INT64), vi("b", [3], T.INT64), vi("e", [1], T.FLOAT)],
         [vi("q", [2, 3], T.INT64), vi("r", [2, 3], T.INT64), vi("p", [2, 3], T.INT64)],
         "int_arith.onnx")

    # Unsigned integers compute signless (i8) with unsigned ops where signs matter.
    save([node("Max", ["a", "b"], ["m"], "max"),
          node("Less", ["a", "b"], ["l"], "less"),
          node("Div", ["a", "b"], ["d"], "div")],
         [vi("a", [4], T.UINT8), vi("b", [4], T.UINT8)],
         [vi("m", [4], T.UINT8), vi("l", [4], T.BOOL), vi("d", [4], T.UINT8)],
         "unsigned.onnx")

    # Casts: DOUBLE at the boundary (f64 args/results, computed in f32), float -> int
    # truncation, int -> float, to bool.
    save([node("Cast", ["x"], ["i"], "to_int", to=T.INT32),
          node("Cast", ["i"], ["f"], "to_float", to=T.FLOAT),
          node("Cast", ["x"], ["b"], "to_bool", to=T.BOOL),
          node("Cast", ["f"], ["d"], "to_double", to=T.DOUBLE)],
         [vi("x", [3], T.DOUBLE)],
         [vi("i", [3], T.INT32), vi("b", [3], T.BOOL), vi("d", [3], T.DOUBLE)],
         "casts.onnx")

    # Shape arithmetic folded at import: Constant -> Sub -> ConstantOfShape -> Add.
    save([node("Constant", [], ["s"], "dims", value_ints=[3, 5]),
          node("Constant", [], ["one"], "one", value=numpy_helper.from_array(np.array([1, 1], np.int64))),
          node("Sub", ["s", "one"], ["s2"], "minus"),
          node("ConstantOfShape", ["s2"], ["z"], "fill",
               value=numpy_helper.from_array(np.array([2.5], np.float32))),
          node("Add", ["x", "z"], ["y"], "add")],
         [vi("x", [2, 4])], [vi("y", [2, 4])], "const_fold.onnx")

    # Activations decomposed at import, Clip with constant bounds, Where broadcasting.
    lo = numpy_helper.from_array(np.array(-1.0, np.float32), "lo")
    hi = numpy_helper.from_array(np.array(1.0, np.float32), "hi")
    save([node("Softplus", ["x"], ["sp"], "softplus"),
          node("Gelu", ["sp"], ["g"], "gelu", approximate="tanh"),
          node("Clip", ["g", "lo", "hi"], ["c"], "clip"),
          node("Greater", ["x", "t"], ["cond"], "gt"),
          node("Where", ["cond", "c", "t"], ["y"], "where")],
         [vi("x", [2, 3]), vi("t", [3])], [vi("y", [2, 3])], "activations.onnx",
         inits=[lo, hi], opset=20, check=False)  # this onnx predates Gelu

    # Invalid attributes and unsupported inputs (one node each).
    save([node("Mod", ["a", "b"], ["y"], "fmod_float")],
         [vi("a", [2]), vi("b", [2])], [vi("y", [2])], "bad_mod.onnx", check=False)
    save([node("Gelu", ["x"], ["y"], "gelu_bad", approximate="fast")],
         [vi("x", [2])], [vi("y", [2])], "bad_gelu.onnx", opset=20, check=False)
    save([node("Cast", ["x"], ["y"], "to_string", to=T.STRING)],
         [vi("x", [2])], [vi("y", [2], T.STRING)], "bad_cast.onnx")
    save([node("ConstantOfShape", ["s"], ["y"], "dyn_shape")],
         [vi("s", [2], T.INT64)], [vi("y", ["a", "b"])], "dynamic_shape.onnx")
    save([node("Clip", ["x", "m"], ["y"], "clip_vec")],
         [vi("x", [2]), vi("m", [2])], [vi("y", [2])], "bad_clip.onnx", check=False)
    print("wrote the elementwise lit test models to", HERE)


if __name__ == "__main__":
    main()
