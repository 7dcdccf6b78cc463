#!/usr/bin/python3
"""Makes the tiny ONNX models of the nn-family lit tests (ops-nn*.test), checked in
beside this script. Run with Debian's python3:
/usr/bin/python3 tests/lit/compiler/Inputs/nn/make_models.py
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


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, producer_name="trn-lit", opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, shape, t=F):
    return helper.make_tensor_value_info(name, t, shape)


def const(rng, name, shape):
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


def main():
    rng = np.random.default_rng(11)

    # Conv 2-D with bias, strides and asymmetric pads; a grouped conv (2 groups) and a
    # depthwise conv (4 groups of 1 channel, multiplier 2) without bias.
    save(model([helper.make_node("Conv", ["x", "w", "b"], ["h"], name="conv", strides=[2, 2],
                                 pads=[1, 0, 1, 0]),
                helper.make_node("Conv", ["h", "wg"], ["g"], name="grouped", group=2),
                helper.make_node("Conv", ["g", "wd"], ["y"], name="depthwise", group=4,
                                 auto_pad="SAME_UPPER")],
               [vi("x", [1, 3, 7, 5])], [vi("y", [1, 8, 3, 1])],
               [const(rng, "w", [4, 3, 3, 3]), const(rng, "b", [4]),
                const(rng, "wg", [4, 2, 2, 2]), const(rng, "wd", [8, 1, 3, 3])]),
         "conv.onnx")

    # Conv 1-D with dilation (reshaped to 2-D).
    save(model([helper.make_node("Conv", ["x", "w"], ["y"], name="conv1d", dilations=[2])],
               [vi("x", [2, 4, 10])], [vi("y", [2, 5, 6])], [const(rng, "w", [5, 4, 3])]),
         "conv1d.onnx")

    # ConvTranspose with strides, pads and output_padding.
    save(model([helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], name="deconv",
                                 strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])],
               [vi("x", [1, 3, 4, 4])], [vi("y", [1, 2, 8, 8])],
               [const(rng, "w", [3, 2, 3, 3]), const(rng, "b", [2])]),
         "convtranspose.onnx")

    # MaxPool with ceil_mode, AveragePool with count_include_pad, GlobalAveragePool.
    save(model([helper.make_node("MaxPool", ["x"], ["m"], name="maxpool", kernel_shape=[3, 3],
                                 strides=[2, 2], ceil_mode=1),
                helper.make_node("AveragePool", ["m"], ["a"], name="avgpool", kernel_shape=[3, 3],
                                 pads=[1, 1, 1, 1], count_include_pad=1),
                helper.make_node("GlobalAveragePool", ["a"], ["y"], name="gap")],
               [vi("x", [1, 2, 6, 6])], [vi("y", [1, 2, 1, 1])]),
         "pool.onnx")

    # MaxPool with its Indices output (column-major), strided and padded.
    save(model([helper.make_node("MaxPool", ["x"], ["y", "i"], name="argmax", kernel_shape=[2, 2],
                                 strides=[2, 2], pads=[1, 0, 1, 0], storage_order=1)],
               [vi("x", [1, 2, 4, 4])], [vi("y", [1, 2, 3, 2]), vi("i", [1, 2, 3, 2], TensorProto.INT64)]),
         "maxpool_indices.onnx")

    # BatchNormalization (inference) and LayerNormalization with its Mean output.
    save(model([helper.make_node("BatchNormalization", ["x", "s", "b", "mean", "var"], ["h"],
                                 name="bn", epsilon=1e-3),
                helper.make_node("LayerNormalization", ["h", "ls", "lb"], ["y", "mu"],
                                 name="ln", axis=-2)],
               [vi("x", [2, 3, 4, 5])], [vi("y", [2, 3, 4, 5]), vi("mu", [2, 3, 1, 1])],
               [const(rng, "s", [3]), const(rng, "b", [3]), const(rng, "mean", [3]),
                numpy_helper.from_array(rng.uniform(0.5, 2, [3]).astype(np.float32), "var"),
                const(rng, "ls", [4, 5]), const(rng, "lb", [5])], opset=17),
         "norm.onnx")

    # Invalid or unsupported uses, one model each.
    save(model([helper.make_node("Conv", ["x", "w"], ["y"], name="bad_pad", auto_pad="SAME")],
               [vi("x", [1, 3, 5, 5])], [vi("y", [1, 4, 5, 5])], [const(rng, "w", [4, 3, 3, 3])]),
         "conv_bad_auto_pad.onnx", check=False)
    save(model([helper.make_node("Conv", ["x", "w"], ["y"], name="bad_group", group=2)],
               [vi("x", [1, 3, 5, 5])], [vi("y", [1, 4, 3, 3])], [const(rng, "w", [4, 3, 3, 3])]),
         "conv_bad_group.onnx", check=False)
    save(model([helper.make_node("AveragePool", ["x"], ["y"], name="dilated_avg", kernel_shape=[2, 2],
                                 dilations=[2, 2])],
               [vi("x", [1, 1, 5, 5])], [vi("y", [1, 1, 3, 3])], opset=19),
         "averagepool_dilations.onnx", check=False)
    save(model([helper.make_node("BatchNormalization", ["x", "s", "b", "mean", "var"], ["y", "rm", "rv"],
                                 name="bn_train", training_mode=1)],
               [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4]), vi("rm", [3]), vi("rv", [3])],
               [const(rng, "s", [3]), const(rng, "b", [3]), const(rng, "mean", [3]),
                const(rng, "var", [3])], opset=15),
         "batchnorm_training.onnx")


if __name__ == "__main__":
    main()
