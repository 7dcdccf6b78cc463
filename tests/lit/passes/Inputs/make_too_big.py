"""Writes models with a tile that cannot be placed on chip:
- softmax_1m.onnx: a Softmax over a 1,000,000-long axis, whose row does not fit in
  one SBUF partition (trn-allocate reports the memory it needed);
- pool_wide.onnx: a 3x3 MaxPool on 20000-wide rows, whose 3 input rows for one
  output row do not fit a quarter of SBUF (trn-lower-to-tile's banding names the sizes).
"""
import sys

import onnx
from onnx import TensorProto, helper


def save(nodes, inputs, outputs, name):
    graph = helper.make_graph(nodes, name, inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    onnx.save(model, f"{sys.argv[1]}/{name}.onnx")


def vi(name, dims):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, dims)


save([helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=1)], [vi("x", [1, 1000000])],
     [vi("y", [1, 1000000])], "softmax_1m")
save([helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[3, 3])], [vi("x", [1, 4, 8, 20000])],
     [vi("y", [1, 4, 6, 19998])], "pool_wide")
