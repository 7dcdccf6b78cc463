"""Writes softmax_1m.onnx: a Softmax over a 1,000,000-long axis, whose row does not
fit in one SBUF partition (trn-allocate reports the memory it needed)."""
import sys

import onnx
from onnx import TensorProto, helper

out = sys.argv[1]
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1000000])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1000000])
node = helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=1)
graph = helper.make_graph([node], "softmax_1m", [x], [y])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.save(model, f"{out}/softmax_1m.onnx")
