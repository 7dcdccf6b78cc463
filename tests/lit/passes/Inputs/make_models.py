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


def conv2d(x, w, b, pad, stride=1):
    """NCHW x, OIHW w, float64."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    y = np.zeros((n, o, oh, ow))
    for i in range(kh):
        for j in range(kw):
            win = xp[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
            y += np.einsum("nchw,oc->nohw", win, w[:, :, i, j])
    return y + b.reshape(1, -1, 1, 1)


def pool(x, k, stride, op):
    n, c, h, w = x.shape
    oh, ow = (h - k) // stride + 1, (w - k) // stride + 1
    wins = [x[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] for i in range(k) for j in range(k)]
    return np.max(wins, axis=0) if op == "max" else np.mean(wins, axis=0)


def save(name, nodes, inputs, outputs, inits, feeds, expect, opset=13):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(a.shape)) for n, a in inputs],
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(a.shape)) for n, a in outputs],
        initializer=[numpy_helper.from_array(a, n) for n, a in inits])
    model = helper.make_model(graph, producer_name="trn-tests", opset_imports=[helper.make_opsetid("", opset)])
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


    # A small CNN: conv 3x3 pad 1 (+ bias, relu fused), max pool 2x2, a depthwise conv
    # 3x3 (group = channels), conv 3x3 with
    # 160 output channels (two partition chunks) and stride 2, average pool with
    # padding (divisors excluding the padding), flatten, a linear layer.
    x = rand(2, 3, 16, 16)
    w1 = rand(8, 3, 3, 3, scale=0.3)
    b1 = rand(8, scale=0.1)
    w2 = rand(160, 8, 3, 3, scale=0.2)
    b2 = rand(160, scale=0.1)
    wl = rand(10, 160 * 2 * 2, scale=0.05)
    bl = rand(10, scale=0.1)
    wd = rand(8, 1, 3, 3, scale=0.4)
    bd = rand(8, scale=0.1)
    h = np.maximum(conv2d(x.astype(np.float64), w1, b1, 1), 0)
    h = pool(h, 2, 2, "max")
    h = np.concatenate([conv2d(h[:, i:i + 1], wd[i:i + 1], bd[i:i + 1], 1) for i in range(8)], axis=1)
    h = conv2d(h, w2, b2, 1, stride=2)
    hp = np.pad(h, ((0, 0), (0, 0), (1, 1), (1, 1)))
    cnt = np.pad(np.ones_like(h), ((0, 0), (0, 0), (1, 1), (1, 1)))
    k = 3
    oh = (hp.shape[2] - k) // 2 + 1
    s_ = sum(hp[:, :, i:i + 2 * oh:2, j:j + 2 * oh:2] for i in range(k) for j in range(k))
    c_ = sum(cnt[:, :, i:i + 2 * oh:2, j:j + 2 * oh:2] for i in range(k) for j in range(k))
    h = s_ / c_
    y = h.reshape(2, -1) @ wl.T + bl
    save("cnn",
         [helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
          helper.make_node("Relu", ["c1"], ["r1"]),
          helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
          helper.make_node("Conv", ["p1", "wd", "bd"], ["d1"], pads=[1, 1, 1, 1], group=8),
          helper.make_node("Conv", ["d1", "w2", "b2"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2]),
          helper.make_node("AveragePool", ["c2"], ["p2"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
          helper.make_node("Flatten", ["p2"], ["f"]),
          helper.make_node("Gemm", ["f", "wl", "bl"], ["y"], transB=1)],
         [("x", x)], [("y", y)],
         [("w1", w1), ("b1", b1), ("wd", wd), ("bd", bd), ("w2", w2), ("b2", b2), ("wl", wl), ("bl", bl)],
         [("x", x)], y)

    # Row banding: images whose padded rows do not fit half of SBUF (fp32, 192 KiB per
    # partition) are convolved / pooled in bands of output rows, each loading only its
    # input rows and the padding inside them. From HBM: a 7x7 stride-2 conv with pad 3
    # and 3 input channels (166 padded rows of 166, like ResNet's conv1; its taps packed
    # on partitions), a depthwise 3x3 conv (its 160x160 result is streamed to HBM) and a
    # 3x3 stride-2 max pool over that. From on-chip tiles: convs with dilation 19 and
    # pad 19 (158 padded rows) over a conv result of 72 channels (one tap per matmul)
    # and of 8 channels (taps packed). Separate models: together their live tiles would
    # fragment SBUF beyond what trn-allocate can place.
    x = rand(1, 3, 160, 160)
    w7 = rand(8, 3, 7, 7, scale=0.1)
    b7 = rand(8, scale=0.1)
    wdw = rand(3, 1, 3, 3, scale=0.4)
    bdw = rand(3, scale=0.1)

    def conv_general(x, w, b, pad, stride=1, dil=1, group=1):
        n, c, h, wd = x.shape
        o, cg, kh, kw = w.shape
        xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=0.0)
        oh = (h + 2 * pad - dil * (kh - 1) - 1) // stride + 1
        ow = (wd + 2 * pad - dil * (kw - 1) - 1) // stride + 1
        y = np.zeros((n, o, oh, ow))
        og = o // group
        for g in range(group):
            xs = xp[:, g * cg:(g + 1) * cg]
            for i in range(kh):
                for j in range(kw):
                    win = xs[:, :, i * dil:i * dil + stride * oh:stride, j * dil:j * dil + stride * ow:stride]
                    y[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", win, w[g * og:(g + 1) * og, :, i, j])
        return y + b.reshape(1, -1, 1, 1)

    a = np.maximum(conv_general(x.astype(np.float64), w7, b7, 3, stride=2), 0)
    d = conv_general(x.astype(np.float64), wdw, bdw, 1, group=3)
    dp = np.pad(d, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    m = np.max([dp[:, :, i:i + 160:2, j:j + 160:2] for i in range(3) for j in range(3)], axis=0)
    y = np.concatenate([a, m], axis=1)
    save("banded",
         [helper.make_node("Conv", ["x", "w7", "b7"], ["c7"], pads=[3, 3, 3, 3], strides=[2, 2]),
          helper.make_node("Relu", ["c7"], ["a"]),
          helper.make_node("Conv", ["x", "wdw", "bdw"], ["d"], pads=[1, 1, 1, 1], group=3),
          helper.make_node("MaxPool", ["d"], ["m"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]),
          helper.make_node("Concat", ["a", "m"], ["y"], axis=1)],
         [("x", x)], [("y", y)], [("w7", w7), ("b7", b7), ("wdw", wdw), ("bdw", bdw)], [("x", x)], y)
    for name, mid in (("banded_dilated", 72), ("banded_dilated_packed", 8)):
        z = rand(1, 4, 120, 120)
        wz1 = rand(mid, 4, 3, 3, scale=0.2)
        bz1 = rand(mid, scale=0.1)
        wz2 = rand(8, mid, 3, 3, scale=0.6 / np.sqrt(mid))
        bz2 = rand(8, scale=0.1)
        y = conv_general(conv_general(z.astype(np.float64), wz1, bz1, 1), wz2, bz2, 19, dil=19)
        save(name,
             [helper.make_node("Conv", ["z", "wz1", "bz1"], ["c1"], pads=[1, 1, 1, 1]),
              helper.make_node("Conv", ["c1", "wz2", "bz2"], ["y"], pads=[19, 19, 19, 19], dilations=[19, 19])],
             [("z", z)], [("y", y)], [("wz1", wz1), ("bz1", bz1), ("wz2", wz2), ("bz2", bz2)], [("z", z)], y)

    # An attention block: softmax(q k^T / sqrt(d)) v with a layer norm after it (the
    # reductions along the free axis, broadcasts of per-row statistics, a transpose on
    # the tensor engine).
    q = rand(1, 40, 16)
    kk = rand(1, 40, 16)
    v = rand(1, 40, 16)
    g = rand(16, scale=0.5) + 1
    bt = rand(16, scale=0.1)
    sc = (q.astype(np.float64) @ kk.transpose(0, 2, 1)) / 4.0
    e = np.exp(sc - sc.max(-1, keepdims=True))
    o = (e / e.sum(-1, keepdims=True)) @ v
    mu = o.mean(-1, keepdims=True)
    var = ((o - mu) ** 2).mean(-1, keepdims=True)
    y = (o - mu) / np.sqrt(var + 1e-5) * g + bt
    save("attention",
         [helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
          helper.make_node("MatMul", ["q", "kt"], ["s"]),
          helper.make_node("Div", ["s", "scale"], ["ss"]),
          helper.make_node("Softmax", ["ss"], ["p"], axis=-1),
          helper.make_node("MatMul", ["p", "v"], ["o"]),
          helper.make_node("LayerNormalization", ["o", "g", "bt"], ["y"], axis=-1, epsilon=1e-5)],
         [("q", q), ("k", kk), ("v", v)], [("y", y)],
         [("scale", np.array(4.0, dtype=np.float32)), ("g", g), ("bt", bt)],
         [("q", q), ("k", kk), ("v", v)], y, opset=17)


if __name__ == "__main__":
    main()
