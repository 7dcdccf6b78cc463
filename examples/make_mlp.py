#!/usr/bin/python3
"""Makes examples/mlp.onnx, its input and its reference output (fixed seed).

A 784 -> 256 -> 10 MLP at batch 8, the shape of an MNIST classifier:
  h = Relu(MatMul(x, W1) + b1)        (MatMul, Add, Relu)
  y = Gemm(h, W2, b2, transB=1)       (Gemm, the form torch.nn.Linear exports)
The reference output is computed in float64 by numpy and stored as float32.
Run with Debian's python3: /usr/bin/python3 examples/make_mlp.py
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    rng = np.random.default_rng(20261126)
    batch, d_in, d_hidden, d_out = 8, 784, 256, 10
    w1 = (rng.standard_normal((d_in, d_hidden)) / np.sqrt(d_in)).astype(np.float32)
    b1 = (rng.standard_normal(d_hidden) * 0.1).astype(np.float32)
    w2 = (rng.standard_normal((d_out, d_hidden)) / np.sqrt(d_hidden)).astype(np.float32)
    b2 = (rng.standard_normal(d_out) * 0.1).astype(np.float32)
    x = rng.standard_normal((batch, d_in)).astype(np.float32)

    nodes = [
        helper.make_node("MatMul", ["input", "fc1.weight"], ["fc1.mm"], name="fc1/MatMul"),
        helper.make_node("Add", ["fc1.mm", "fc1.bias"], ["fc1.out"], name="fc1/Add"),
        helper.make_node("Relu", ["fc1.out"], ["relu1"], name="relu1"),
        helper.make_node("Gemm", ["relu1", "fc2.weight", "fc2.bias"], ["logits"], name="fc2/Gemm",
                         alpha=1.0, beta=1.0, transB=1),
    ]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [batch, d_in])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [batch, d_out])],
        initializer=[numpy_helper.from_array(w1, "fc1.weight"), numpy_helper.from_array(b1, "fc1.bias"),
                     numpy_helper.from_array(w2, "fc2.weight"), numpy_helper.from_array(b2, "fc2.bias")])
    model = helper.make_model(graph, producer_name="trn-examples",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, "mlp.onnx"))

    h = np.maximum(x.astype(np.float64) @ w1 + b1, 0.0)
    y = (h @ w2.T.astype(np.float64) + b2).astype(np.float32)
    np.save(os.path.join(HERE, "mlp_input.npy"), x)
    np.save(os.path.join(HERE, "mlp_output.npy"), y)
    print("wrote mlp.onnx, mlp_input.npy, mlp_output.npy; logits[0,:3] =", y[0, :3])


if __name__ == "__main__":
    main()
