#!/usr/bin/python3
"""Random valid ONNX graphs for differential testing (tests/diff/).

Each graph is first a *spec* (plain JSON): dim variables, graph inputs and
initializers whose shapes are expressions over those variables, nodes, outputs.
`build(spec)` turns a spec into an ONNX model, input tensors and the expected outputs
computed with numpy, so that the minimizer (diff_test.py) can drop nodes or shrink a
dim variable and rebuild a consistent graph.

Graph `i` of seed `S` depends on (S, i) only: `--count 10` and `--count 300` share
their first ten graphs.

Usage (writes ONNX backend-test folders: <out>/<name>/model.onnx and
test_data_set_0/input_K.pb, output_K.pb):
  /usr/bin/python3 tests/diff/gen_graphs.py --out DIR [--count N] [--seed S]
      [--ops Add,MatMul,...] [--ops-file tests/diff/ops.txt] [--max-nodes 4]
  /usr/bin/python3 tests/diff/gen_graphs.py --list-ops
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
MAX_ELEMS = 1 << 16  # per tensor: keeps the interpreter quick
MAX_RANK = 4
# Sizes a new dim variable takes: small ones, and ones around the machine's 32, 128
# and 512 boundaries (partitions, PSUM bank, moving free size), most not multiples.
DIM_SIZES = [1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 32, 33, 47, 64, 100, 127, 128, 129, 200,
             255, 256, 257, 300, 511, 512, 513, 600, 1000]
SMALL_DIMS = [1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 33]

# Every op kind the generator knows, with its default weight.
ALL_OPS = {
    # element-wise
    "Add": 3, "Sub": 2, "Mul": 2, "Div": 1, "Max": 1, "Min": 1,
    "Relu": 2, "Sigmoid": 1, "Tanh": 1, "Exp": 1, "Neg": 1, "Abs": 1, "Sqrt": 1,
    "Log": 1, "Reciprocal": 1, "LeakyRelu": 1, "Clip": 1, "Softmax": 1, "Identity": 1,
    # linear algebra
    "MatMul": 3, "Gemm": 3, "Conv": 1,
    # reductions
    "ReduceSum": 1, "ReduceMean": 1, "ReduceMax": 1, "ReduceMin": 1,
    # shapes
    "Reshape": 1, "Transpose": 1, "Flatten": 1,
    # more: data movement, pooling, normalization, more element-wise
    "Concat": 1, "Slice": 1, "Unsqueeze": 1, "Squeeze": 1,
    "MaxPool": 1, "AveragePool": 1, "GlobalAveragePool": 1,
    "BatchNormalization": 1, "LayerNormalization": 1,
    "Softplus": 1, "Erf": 1, "HardSigmoid": 1, "Pow": 1,
}
UNARY = {"Relu", "Sigmoid", "Tanh", "Exp", "Neg", "Abs", "Sqrt", "Log", "Reciprocal",
         "LeakyRelu", "Clip", "Softmax", "Identity", "Softplus", "Erf", "HardSigmoid", "Pow"}
POOL = {"MaxPool", "AveragePool", "GlobalAveragePool"}
BINARY = {"Add", "Sub", "Mul", "Div", "Max", "Min"}
REDUCE = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin"}


# ---- dim expressions --------------------------------------------------------------
# An expression is an int, ["v", id] (dim variable), ["mul", a, b], ["add", a, b],
# ["conv", a, k, stride, pad, dilation] (output size of a convolution or pooling) or
# ["slice", a, start, end, step] (length of a Python/ONNX slice of a).

def ev(e, dims):
    if isinstance(e, int):
        return e
    if e[0] == "v":
        return dims[e[1]]
    if e[0] == "mul":
        return ev(e[1], dims) * ev(e[2], dims)
    if e[0] == "add":
        return ev(e[1], dims) + ev(e[2], dims)
    if e[0] == "conv":
        n = ev(e[1], dims)
        _, _, k, s, p, d = e
        return (n + 2 * p - d * (k - 1) - 1) // s + 1
    if e[0] == "slice":
        n = ev(e[1], dims)
        return len(range(*slice(e[2], e[3], e[4]).indices(n)))
    raise ValueError("bad dim expression %r" % (e,))


def ev_shape(shape, dims):
    return [ev(e, dims) for e in shape]


def prod(xs):
    p = 1
    for x in xs:
        p *= x
    return p


def prod_expr(es):
    out = 1
    for e in es:
        out = e if out == 1 else (out if e == 1 else ["mul", out, e])
    return out


# ---- generation -------------------------------------------------------------------

class Value:
    """A value while generating: name, symbolic shape, a magnitude bound and a
    positive lower bound (0 = may be <= 0)."""

    def __init__(self, name, shape, bound, pos):
        self.name, self.shape, self.bound, self.pos = name, shape, bound, pos


class Gen:
    def __init__(self, seed, index, ops, max_nodes):
        self.rng = np.random.default_rng([seed, index])
        self.spec = {"name": "g%d_%04d" % (seed, index), "seed": [seed, index], "opset": OPSET,
                     "dims": [], "inputs": [], "nodes": [], "outputs": []}
        self.values = []
        self.ops = ops
        self.max_nodes = max_nodes
        self.counter = 0

    def pick(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def chance(self, p):
        return bool(self.rng.random() < p)

    def new_dim(self, small=False, cap=MAX_ELEMS):
        choices = [d for d in (SMALL_DIMS if small else DIM_SIZES) if d <= max(1, cap)]
        size = self.pick(choices)
        if size == 1:
            return 1
        self.spec["dims"].append(size)
        return ["v", len(self.spec["dims"]) - 1]

    def size(self, shape):
        return prod(ev_shape(shape, self.spec["dims"]))

    def fresh(self, prefix):
        self.counter += 1
        return "%s%d" % (prefix, self.counter)

    def new_tensor(self, shape, positive=False, init=False, prefix="x", fan_in=None):
        """A graph input or initializer. A weight of a contraction over `fan_in` (a dim
        expression) is scaled by 1/sqrt(fan_in), so that values stay near 1 however
        many products a graph chains (rounding then stays far below the tolerance)."""
        name = self.fresh("w" if init else prefix)
        inp = {"name": name, "shape": shape, "init": init,
               "kind": "positive" if positive else "signed"}
        if fan_in is not None:
            inp["fan_in"] = fan_in
        self.spec["inputs"].append(inp)
        bound = 2.0 if positive else 3.0
        if fan_in is not None:
            bound /= math.sqrt(max(1, ev(fan_in, self.spec["dims"])))
        v = Value(name, shape, bound, 0.5 if positive else 0.0)
        if not init:
            self.values.append(v)
        return v

    def random_shape(self, rank=None):
        rank = rank if rank is not None else int(self.rng.integers(1, MAX_RANK + 1))
        shape = []
        for i in range(rank):
            cap = MAX_ELEMS // max(1, self.size(shape))
            shape.append(self.new_dim(small=i < rank - 2, cap=cap))
        return shape

    def node(self, op, inputs, out_shape, bound, pos, attrs=None, extra=None):
        name = self.fresh("v")
        n = {"op": op, "inputs": inputs, "output": name, "attrs": attrs or {}, "shape": out_shape}
        if extra:
            n.update(extra)
        self.spec["nodes"].append(n)
        v = Value(name, out_shape, min(bound, 1e30), pos)
        self.values.append(v)
        return v

    # Each returns the new value, or None when the op does not apply to `x`.
    def gen_unary(self, op, x):
        b, p = x.bound, x.pos
        attrs = {}
        if op in ("Sqrt", "Log", "Reciprocal") and p <= 0:
            x = self.new_tensor(x.shape, positive=True)
            b, p = x.bound, x.pos
        if op == "Exp" and b > 8:
            return None
        if op == "Relu":
            nb, np_ = b, 0.0
        elif op == "Sigmoid":
            nb, np_ = 1.0, 1.0 / (1.0 + math.exp(min(b, 50)))
        elif op == "Tanh":
            nb, np_ = 1.0, 0.0
        elif op == "Exp":
            nb, np_ = math.exp(b), math.exp(-b)
        elif op in ("Neg",):
            nb, np_ = b, 0.0
        elif op == "Abs":
            nb, np_ = b, 0.0
        elif op == "Sqrt":
            nb, np_ = math.sqrt(b), math.sqrt(p)
        elif op == "Log":
            nb, np_ = max(abs(math.log(b)), abs(math.log(p))), 0.0
        elif op == "Reciprocal":
            nb, np_ = 1.0 / p, 1.0 / b
        elif op == "LeakyRelu":
            attrs = {"alpha": float(self.pick([0.01, 0.1, 0.2]))}
            nb, np_ = b, 0.0
        elif op == "Clip":
            lo, hi = sorted(float(v) for v in self.rng.uniform(-2, 2, size=2))
            if hi - lo < 0.1:
                hi = lo + 0.5
            return self.node(op, [x.name, "#%r" % lo, "#%r" % hi], x.shape, max(abs(lo), abs(hi)),
                             lo if lo > 0 else 0.0)
        elif op == "Softmax":
            if not x.shape:
                return None
            attrs = {"axis": int(self.rng.integers(-len(x.shape), len(x.shape)))}
            nb, np_ = 1.0, 0.0
        elif op == "Softplus":
            if b > 30:
                return None
            nb, np_ = b + 1.0, math.log1p(math.exp(-b))
        elif op == "Erf":
            nb, np_ = 1.0, 0.0
        elif op == "HardSigmoid":
            attrs = {"alpha": float(self.pick([0.2, 0.5])), "beta": float(self.pick([0.5, 0.3]))}
            nb, np_ = 1.0, 0.0
        elif op == "Pow":
            if p <= 0:
                x = self.new_tensor(x.shape, positive=True)
                b, p = x.bound, x.pos
            e = float(self.pick([2.0, 3.0, 0.5]))
            if b ** e > 1e6:
                return None
            return self.node(op, [x.name, "#%r" % e], x.shape, b ** e, p ** e)
        else:  # Identity
            nb, np_ = b, p
        return self.node(op, [x.name], x.shape, nb, np_, attrs)

    def broadcast_partner(self, x, positive):
        """A new tensor whose shape broadcasts against x's (or x's own shape)."""
        shape = list(x.shape)
        if shape and self.chance(0.3):
            shape = shape[int(self.rng.integers(0, len(shape) + 1)):]  # drop leading dims
        shape = [1 if self.chance(0.25) else e for e in shape]
        return self.new_tensor(shape, positive=positive, init=self.chance(0.3))

    def gen_binary(self, op, x):
        positive = op == "Div"
        # Another existing value of the same shape, else a new broadcasting tensor.
        same = [v for v in self.values if v is not x and v.shape == x.shape and
                (not positive or v.pos > 0)]
        y = self.pick(same) if same and self.chance(0.4) else self.broadcast_partner(x, positive)
        if self.chance(0.5) and op != "Div":
            x, y = y, x
        out_shape = broadcast_shapes(x.shape, y.shape)
        if self.size(out_shape) > MAX_ELEMS:
            return None
        b = {"Add": x.bound + y.bound, "Sub": x.bound + y.bound, "Mul": x.bound * y.bound,
             "Div": x.bound / max(y.pos, 1e-3), "Max": max(x.bound, y.bound),
             "Min": max(x.bound, y.bound)}[op]
        p = 0.0
        if x.pos > 0 and y.pos > 0:
            p = {"Add": x.pos + y.pos, "Sub": 0.0, "Mul": x.pos * y.pos, "Div": x.pos / y.bound,
                 "Max": max(x.pos, y.pos), "Min": min(x.pos, y.pos)}[op]
        return self.node(op, [x.name, y.name], out_shape, b, p)

    def gen_matmul(self, x):
        if not x.shape:
            return None
        k = x.shape[-1]
        kv = ev(k, self.spec["dims"])
        rows = self.size(x.shape) // max(1, kv)
        n = self.new_dim(cap=max(1, MAX_ELEMS // max(1, rows)))
        if self.chance(0.15):
            bshape = [k]  # matrix-vector
        else:
            bshape = [k, n]
            batch = x.shape[:-2]
            if batch and self.chance(0.5):  # batched weights (broadcast or full)
                keep = batch[int(self.rng.integers(0, len(batch))):]
                bshape = [1 if self.chance(0.3) else e for e in keep] + bshape
        y = self.new_tensor(bshape, init=self.chance(0.6), fan_in=k)
        if len(x.shape) == 1 and len(bshape) == 1:
            out = []
        elif len(x.shape) == 1:
            out = bshape[:-2] + [bshape[-1]]
        elif len(bshape) == 1:
            out = x.shape[:-1]
        else:
            out = broadcast_shapes(x.shape[:-2], bshape[:-2]) + [x.shape[-2], bshape[-1]]
        if self.size(out) > MAX_ELEMS or self.size(x.shape) * self.size(bshape) == 0:
            return None
        return self.node("MatMul", [x.name, y.name], out, x.bound * y.bound * math.sqrt(kv), 0.0)

    def gen_gemm(self, x):
        if len(x.shape) != 2:
            return None
        trans_a = self.chance(0.3)  # then x is read as A^T: [K, M]
        a = x
        m, k = (a.shape[1], a.shape[0]) if trans_a else (a.shape[0], a.shape[1])
        n = self.new_dim(cap=max(1, MAX_ELEMS // max(1, ev(m, self.spec["dims"]))))
        trans_b = self.chance(0.4)
        b = self.new_tensor([n, k] if trans_b else [k, n], init=self.chance(0.7), fan_in=k)
        attrs = {}
        if trans_a:
            attrs["transA"] = 1
        if trans_b:
            attrs["transB"] = 1
        alpha = 1.0 if self.chance(0.6) else float(self.pick([0.5, 2.0, -1.0]))
        beta = 1.0 if self.chance(0.6) else float(self.pick([0.5, 2.0, 0.0]))
        if alpha != 1.0:
            attrs["alpha"] = alpha
        if beta != 1.0:
            attrs["beta"] = beta
        inputs = [a.name, b.name]
        cb = 0.0
        if self.chance(0.75):
            cshape = self.pick([[n], [1, n], [m, n], [m, 1], []])
            c = self.new_tensor(cshape, init=self.chance(0.7))
            inputs.append(c.name)
            cb = c.bound
        kv = ev(k, self.spec["dims"])
        return self.node("Gemm", inputs, [m, n], abs(alpha) * a.bound * b.bound * math.sqrt(kv) + abs(beta) * cb,
                         0.0, attrs)

    def gen_conv(self, x):
        if len(x.shape) != 4:
            c = self.new_dim(small=True)
            hw = [self.new_dim(small=True) for _ in range(2)]
            x = self.new_tensor([self.pick([1, 2]), c] + hw)
        dims = self.spec["dims"]
        c = x.shape[1]
        f = self.new_dim(small=True)
        kh, kw = (int(self.pick([1, 2, 3])) for _ in range(2))
        s = int(self.pick([1, 1, 2]))
        p = int(self.pick([0, 0, 1]))
        out_hw = [["conv", x.shape[2], kh, s, p, 1], ["conv", x.shape[3], kw, s, p, 1]]
        if min(ev(e, dims) for e in out_hw) < 1:
            return None
        w = self.new_tensor([f, c, kh, kw], init=self.chance(0.8), fan_in=prod_expr([c, kh * kw]))
        inputs = [x.name, w.name]
        if self.chance(0.5):
            inputs.append(self.new_tensor([f], init=True).name)
        out = [x.shape[0], f] + out_hw
        if self.size(out) > MAX_ELEMS:
            return None
        kv = ev(c, dims) * kh * kw
        attrs = {"kernel_shape": [kh, kw], "strides": [s, s], "pads": [p, p, p, p]}
        return self.node("Conv", inputs, out, x.bound * 3.0 * math.sqrt(kv) + 3.0, 0.0, attrs)

    def gen_reduce(self, op, x):
        r = len(x.shape)
        if r == 0:
            return None
        naxes = int(self.rng.integers(1, r + 1))
        axes = sorted(int(a) for a in self.rng.choice(r, size=naxes, replace=False))
        keep = self.chance(0.5)
        out = [(1 if i in axes else e) for i, e in enumerate(x.shape)] if keep else \
            [e for i, e in enumerate(x.shape) if i not in axes]
        neg_axes = [a - r if self.chance(0.3) else a for a in axes]
        red = prod(ev(x.shape[a], self.spec["dims"]) for a in axes)
        b = x.bound * red if op == "ReduceSum" else x.bound
        p = x.pos * (red if op == "ReduceSum" else 1) if x.pos > 0 else 0.0
        return self.node(op, [x.name], out, b, p, {"keepdims": int(keep)}, {"axes": neg_axes})

    def gen_shape(self, op, x):
        r = len(x.shape)
        if op == "Transpose":
            if r < 2:
                return None
            perm = [int(i) for i in self.rng.permutation(r)]
            return self.node(op, [x.name], [x.shape[i] for i in perm], x.bound, x.pos, {"perm": perm})
        if op == "Flatten":
            axis = int(self.rng.integers(0, r + 1))
            out = [prod_expr(x.shape[:axis]), prod_expr(x.shape[axis:])]
            return self.node(op, [x.name], out, x.bound, x.pos, {"axis": axis})
        # Reshape: merge two adjacent dims, insert a 1, or flatten entirely.
        choice = int(self.rng.integers(3))
        if choice == 0 and r >= 2:
            i = int(self.rng.integers(r - 1))
            out = x.shape[:i] + [prod_expr(x.shape[i:i + 2])] + x.shape[i + 2:]
        elif choice == 1 and r < MAX_RANK:
            i = int(self.rng.integers(r + 1))
            out = x.shape[:i] + [1] + x.shape[i:]
        else:
            out = [prod_expr(x.shape)]
        minus = int(self.rng.integers(len(out))) if self.chance(0.3) else -1
        return self.node(op, [x.name], out, x.bound, x.pos, extra={"minus_one": minus})

    def need4(self, x):
        """x if it is rank 4 (NCHW), else a new rank-4 graph input."""
        if len(x.shape) == 4:
            return x
        c = self.new_dim(small=True)
        hw = [self.new_dim(small=True) for _ in range(2)]
        return self.new_tensor([self.pick([1, 2]), c] + hw)

    def gen_pool(self, op, x):
        x = self.need4(x)
        dims = self.spec["dims"]
        if op == "GlobalAveragePool":
            return self.node(op, [x.name], x.shape[:2] + [1, 1], x.bound, x.pos)
        k = [int(self.pick([1, 2, 3])) for _ in range(2)]
        st = int(self.pick([1, 2]))
        pad = [int(self.pick([0, 0, 1])) if k[i] > 1 else 0 for i in range(2)]
        out_hw = [["conv", x.shape[2 + i], k[i], st, pad[i], 1] for i in range(2)]
        if min(ev(e, dims) for e in out_hw) < 1:
            return None
        attrs = {"kernel_shape": k, "strides": [st, st], "pads": [pad[0], pad[1], pad[0], pad[1]]}
        return self.node(op, [x.name], x.shape[:2] + out_hw, x.bound, x.pos if op == "AveragePool" else 0.0,
                         attrs)

    def gen_norm(self, op, x):
        dims = self.spec["dims"]
        if op == "BatchNormalization":
            if len(x.shape) < 2:
                return None
            c = x.shape[1]
            ins = [x.name] + [self.new_tensor([c], init=True).name for _ in range(3)]
            ins.append(self.new_tensor([c], positive=True, init=True).name)  # variance
            return self.node(op, ins, x.shape, 3.0 * x.bound / math.sqrt(0.5) + 3.0, 0.0,
                             {"epsilon": 1e-5})
        if not x.shape or ev(x.shape[-1], dims) < 2:
            return None
        r = len(x.shape)
        axis = int(self.rng.integers(max(0, r - 2), r))
        norm = x.shape[axis:]
        ins = [x.name, self.new_tensor(norm, init=True).name]
        if self.chance(0.7):
            ins.append(self.new_tensor(norm, init=True).name)
        attrs = {"axis": axis - r if self.chance(0.5) else axis, "epsilon": 1e-5}
        return self.node(op, ins, x.shape, 3.0 * math.sqrt(max(1, self.size(norm))) * 3.0 + 3.0, 0.0, attrs)

    def gen_move(self, op, x):
        r = len(x.shape)
        dims = self.spec["dims"]
        if op == "Concat":
            if r == 0:
                return None
            axis = int(self.rng.integers(r))
            d = self.new_dim(cap=max(1, MAX_ELEMS // max(1, self.size(x.shape))))
            yshape = list(x.shape)
            yshape[axis] = d
            y = self.new_tensor(yshape, init=self.chance(0.4))
            ins = [y.name, x.name] if self.chance(0.5) else [x.name, y.name]
            out = list(x.shape)
            out[axis] = ["add", x.shape[axis], d]
            if self.size(out) > MAX_ELEMS:
                return None
            return self.node(op, ins, out, max(x.bound, y.bound), min(x.pos, y.pos),
                             {"axis": axis - r if self.chance(0.3) else axis})
        if op == "Slice":
            if r == 0:
                return None
            axis = int(self.rng.integers(r))
            n = ev(x.shape[axis], dims)
            start = int(self.pick([0, 1, 2, -3]))
            end = int(self.pick([-1, n, 1 << 40, max(1, n // 2)]))
            step = int(self.pick([1, 1, 2]))
            out = list(x.shape)
            out[axis] = ["slice", x.shape[axis], start, end, step]
            if ev(out[axis], dims) < 1:
                return None
            return self.node(op, [x.name], out, x.bound, x.pos, extra={
                "slice": [start, end, axis - r if self.chance(0.3) else axis, step]})
        if op == "Unsqueeze":
            if r >= MAX_RANK:
                return None
            axis = int(self.rng.integers(r + 1))
            out = x.shape[:axis] + [1] + x.shape[axis:]
            return self.node(op, [x.name], out, x.bound, x.pos, extra={"axes": [axis]})
        # Squeeze: drop the dims that are the constant 1
        ones = [i for i, e in enumerate(x.shape) if e == 1]
        if not ones:
            return None
        axes = sorted({int(self.pick(ones)) for _ in range(2)})
        out = [e for i, e in enumerate(x.shape) if i not in axes]
        return self.node(op, [x.name], out, x.bound, x.pos, extra={"axes": axes})

    def gen_node(self):
        names = list(self.ops)
        weights = np.array([self.ops[n] for n in names], dtype=float)
        for _ in range(20):
            op = names[int(self.rng.choice(len(names), p=weights / weights.sum()))]
            # Mostly chain on the newest value; sometimes reuse an older one.
            x = self.values[-1] if self.chance(0.7) else self.pick(self.values)
            if op in UNARY:
                v = self.gen_unary(op, x)
            elif op in BINARY:
                v = self.gen_binary(op, x)
            elif op == "MatMul":
                v = self.gen_matmul(x)
            elif op == "Gemm":
                v = self.gen_gemm(x)
            elif op == "Conv":
                v = self.gen_conv(x)
            elif op in REDUCE:
                v = self.gen_reduce(op, x)
            elif op in POOL:
                v = self.gen_pool(op, x)
            elif op in ("BatchNormalization", "LayerNormalization"):
                v = self.gen_norm(op, x)
            elif op in ("Concat", "Slice", "Unsqueeze", "Squeeze"):
                v = self.gen_move(op, x)
            else:
                v = self.gen_shape(op, x)
            if v is not None:
                return v
        return None

    def generate(self):
        rank = int(self.rng.integers(1, MAX_RANK + 1))
        if "Gemm" in self.ops and self.chance(0.3):
            rank = 2
        self.new_tensor(self.random_shape(rank))
        n_nodes = int(self.rng.integers(1, self.max_nodes + 1))
        for _ in range(n_nodes):
            self.gen_node()
        if not self.spec["nodes"]:
            return None
        consumed = {i for n in self.spec["nodes"] for i in n["inputs"]}
        outs = [n["output"] for n in self.spec["nodes"] if n["output"] not in consumed]
        self.spec["outputs"] = outs
        return self.spec


def broadcast_shapes(a, b):
    """numpy/ONNX multidirectional broadcasting of two symbolic shapes."""
    r = max(len(a), len(b))
    a = [1] * (r - len(a)) + list(a)
    b = [1] * (r - len(b)) + list(b)
    return [y if x == 1 else x for x, y in zip(a, b)]


def generate(seed, index, ops, max_nodes=4):
    """The spec of graph `index` of `seed` (None if nothing could be generated)."""
    for attempt in range(8):
        spec = Gen(seed, index * 8 + attempt, ops, max_nodes).generate()
        if spec is None:
            continue
        spec["name"] = "g%d_%04d" % (seed, index)
        try:
            spec["_built"] = build(spec)  # non-finite expected values: try another
        except ValueError:
            continue
        return spec
    return None


# ---- building: spec -> ONNX model, inputs, expected outputs -------------------------

def tensor_data(spec, inp, shape):
    rng = np.random.default_rng(list(spec["seed"]) + [sum(map(ord, inp["name"]))])
    if inp["kind"] == "positive":
        data = rng.uniform(0.5, 2.0, size=shape)
    else:
        data = np.clip(rng.standard_normal(size=shape), -3, 3)
    if "fan_in" in inp:
        data = data / math.sqrt(max(1, ev(inp["fan_in"], spec["dims"])))
    return data.astype(np.float32)


def erf_np(x):
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def run_node(n, args, opset):
    op, a = n["op"], n["attrs"]
    x = args[0]
    f64 = [np.asarray(v, dtype=np.float64) for v in args]
    if op in BINARY:
        r = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide,
             "Max": np.maximum, "Min": np.minimum}[op](f64[0], f64[1])
    elif op == "Relu":
        r = np.maximum(f64[0], 0)
    elif op == "Sigmoid":
        r = 1 / (1 + np.exp(-f64[0]))
    elif op == "Tanh":
        r = np.tanh(f64[0])
    elif op == "Exp":
        r = np.exp(f64[0])
    elif op == "Neg":
        r = -f64[0]
    elif op == "Abs":
        r = np.abs(f64[0])
    elif op == "Sqrt":
        r = np.sqrt(f64[0])
    elif op == "Log":
        r = np.log(f64[0])
    elif op == "Reciprocal":
        r = 1 / f64[0]
    elif op == "LeakyRelu":
        r = np.where(f64[0] >= 0, f64[0], a["alpha"] * f64[0])
    elif op == "Clip":
        r = np.clip(f64[0], f64[1], f64[2])
    elif op == "Softmax":
        e = np.exp(f64[0] - f64[0].max(axis=a["axis"], keepdims=True))
        r = e / e.sum(axis=a["axis"], keepdims=True)
    elif op == "Identity":
        r = f64[0]
    elif op == "Softplus":
        r = np.log1p(np.exp(f64[0]))
    elif op == "Erf":
        r = erf_np(f64[0])
    elif op == "HardSigmoid":
        r = np.clip(a["alpha"] * f64[0] + a["beta"], 0, 1)
    elif op == "Pow":
        r = np.power(f64[0], f64[1])
    elif op in ("MaxPool", "AveragePool"):
        r = pool2d(op, f64[0], a["kernel_shape"], a["strides"][0], a["pads"][:2])
    elif op == "GlobalAveragePool":
        r = f64[0].mean(axis=(2, 3), keepdims=True)
    elif op == "BatchNormalization":
        sh = [1, -1] + [1] * (f64[0].ndim - 2)
        scale, bias, mean, var = (v.reshape(sh) for v in f64[1:5])
        r = (f64[0] - mean) / np.sqrt(var + a["epsilon"]) * scale + bias
    elif op == "LayerNormalization":
        ax = a["axis"] % f64[0].ndim
        axes = tuple(range(ax, f64[0].ndim))
        mu = f64[0].mean(axis=axes, keepdims=True)
        var = ((f64[0] - mu) ** 2).mean(axis=axes, keepdims=True)
        r = (f64[0] - mu) / np.sqrt(var + a["epsilon"]) * f64[1]
        if len(f64) > 2:
            r = r + f64[2]
    elif op == "Concat":
        r = np.concatenate(f64, axis=a["axis"])
    elif op == "Slice":
        start, end, axis, step = n["slice"]
        idx = [slice(None)] * f64[0].ndim
        idx[axis] = slice(start, end, step)
        r = f64[0][tuple(idx)]
    elif op == "Unsqueeze":
        r = np.expand_dims(f64[0], tuple(n["axes"]))
    elif op == "Squeeze":
        r = np.squeeze(f64[0], axis=tuple(n["axes"]))
    elif op == "MatMul":
        r = np.matmul(f64[0], f64[1])
    elif op == "Gemm":
        A = f64[0].T if a.get("transA") else f64[0]
        B = f64[1].T if a.get("transB") else f64[1]
        r = a.get("alpha", 1.0) * (A @ B)
        if len(f64) > 2:
            r = r + a.get("beta", 1.0) * f64[2]
    elif op == "Conv":
        r = conv2d(f64[0], f64[1], f64[2] if len(f64) > 2 else None, a["strides"][0], a["pads"][0])
    elif op in REDUCE:
        axes = tuple(n["axes"])
        fn = {"ReduceSum": np.sum, "ReduceMean": np.mean, "ReduceMax": np.max,
              "ReduceMin": np.min}[op]
        r = fn(f64[0], axis=axes, keepdims=bool(a["keepdims"]))
    elif op == "Transpose":
        r = np.transpose(f64[0], a["perm"])
    elif op == "Flatten":
        ax = a["axis"]
        r = f64[0].reshape(prod(x.shape[:ax]), prod(x.shape[ax:]))
    elif op == "Reshape":
        r = f64[0].reshape(n["_target"])
    else:
        raise ValueError("no numpy semantics for " + op)
    return np.asarray(r, dtype=np.float32)


def pool2d(op, x, k, s, p):
    """MaxPool / AveragePool (count_include_pad=0) over NCHW with symmetric pads."""
    n, c, h, w = x.shape
    oh, ow = (h + 2 * p[0] - k[0]) // s + 1, (w + 2 * p[1] - k[1]) // s + 1
    fill = -np.inf if op == "MaxPool" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])), constant_values=fill)
    ones = np.pad(np.ones((h, w)), ((p[0], p[0]), (p[1], p[1])))
    acc = np.full((n, c, oh, ow), -np.inf) if op == "MaxPool" else np.zeros((n, c, oh, ow))
    cnt = np.zeros((oh, ow))
    for i in range(k[0]):
        for j in range(k[1]):
            patch = xp[:, :, i:i + s * oh:s, j:j + s * ow:s]
            if op == "MaxPool":
                acc = np.maximum(acc, patch)
            else:
                acc = acc + patch
                cnt = cnt + ones[i:i + s * oh:s, j:j + s * ow:s]
    return acc if op == "MaxPool" else acc / cnt


def conv2d(x, w, b, s, p):
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    oh, ow = (h + 2 * p - kh) // s + 1, (wd + 2 * p - kw) // s + 1
    out = np.zeros((n, f, oh, ow))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + s * oh:s, j:j + s * ow:s]  # n c oh ow
            out += np.einsum("nchw,fc->nfhw", patch, w[:, :, i, j])
    if b is not None:
        out += b.reshape(1, f, 1, 1)
    return out


def build(spec):
    """(ModelProto, [(name, input array)], [(name, expected output array)]); raises
    ValueError when the spec's dims are invalid (a shrunk dim made a size < 1)."""
    dims = spec["dims"]
    opset = spec.get("opset", OPSET)
    env, graph_inputs, inits, feeds = {}, [], [], []
    for inp in spec["inputs"]:
        shape = ev_shape(inp["shape"], dims)
        if any(d < 1 for d in shape):
            raise ValueError("dim < 1")
        data = tensor_data(spec, inp, shape)
        env[inp["name"]] = data
        if inp["init"]:
            inits.append(numpy_helper.from_array(data, inp["name"]))
        else:
            graph_inputs.append(helper.make_tensor_value_info(inp["name"], TensorProto.FLOAT, shape))
            feeds.append((inp["name"], data))
    nodes = []
    for n in spec["nodes"]:
        ins = []
        for name in n["inputs"]:
            if name.startswith("#"):  # a scalar constant (Clip bounds)
                cname = "%s_c%d" % (n["output"], len(ins))
                val = np.array(float(name[1:]), dtype=np.float32)
                inits.append(numpy_helper.from_array(val, cname))
                env[cname] = val
                ins.append(cname)
            else:
                ins.append(name)
        attrs = dict(n["attrs"])
        x = env[ins[0]]
        if n["op"] in REDUCE:
            if n["op"] == "ReduceSum" or opset >= 18:
                aname = n["output"] + "_axes"
                inits.append(numpy_helper.from_array(np.array(n["axes"], dtype=np.int64), aname))
                ins.append(aname)
            else:
                attrs["axes"] = list(n["axes"])
        if n["op"] == "Slice":
            start, end, axis, step = n["slice"]
            for k, v in (("starts", start), ("ends", end), ("axes", axis), ("steps", step)):
                cname = "%s_%s" % (n["output"], k)
                inits.append(numpy_helper.from_array(np.array([v], dtype=np.int64), cname))
                ins.append(cname)
        if n["op"] in ("Unsqueeze", "Squeeze"):
            cname = n["output"] + "_axes"
            inits.append(numpy_helper.from_array(np.array(n["axes"], dtype=np.int64), cname))
            ins.append(cname)
        if n["op"] == "Reshape":
            # Recompute the target from the input's dims: merged dims are products.
            shape = reshape_target(n, spec, x.shape)
            n = dict(n, _target=shape)
            target = list(shape)
            if n.get("minus_one", -1) >= 0:
                target[n["minus_one"]] = -1
            sname = n["output"] + "_shape"
            inits.append(numpy_helper.from_array(np.array(target, dtype=np.int64), sname))
            ins.append(sname)
        args = [env[i] for i in ins if i in env]
        if n["op"] in REDUCE or n["op"] in ("Reshape", "Slice", "Unsqueeze", "Squeeze"):
            args = args[:1]
        if any(v.size == 0 for v in args):
            raise ValueError("empty tensor")
        env[n["output"]] = run_node(n, args, opset)
        if list(env[n["output"]].shape) != ev_shape(n["shape"], dims):
            raise AssertionError("gen_graphs bug: %s gives %s, the spec says %s" % (
                n["output"], list(env[n["output"]].shape), ev_shape(n["shape"], dims)))
        nodes.append(helper.make_node(n["op"], ins, [n["output"]], name=n["output"] + "_" + n["op"],
                                      **attrs))
    outputs, expected = [], []
    for o in spec["outputs"]:
        v = env[o]
        if not np.all(np.isfinite(v)):
            raise ValueError("non-finite expected output")
        outputs.append(helper.make_tensor_value_info(o, TensorProto.FLOAT, list(v.shape)))
        expected.append((o, v))
    graph = helper.make_graph(nodes, spec["name"], graph_inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="trn-gen-graphs")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, feeds, expected


def reshape_target(n, spec, in_shape):
    """The Reshape node's target: its symbolic output shape evaluated."""
    shape = ev_shape(n["shape"], spec["dims"])
    if prod(shape) != prod(in_shape):
        raise ValueError("reshape of %s to %s" % (list(in_shape), shape))
    return shape


def write_case(spec, folder):
    """Writes the backend-test folder of `spec`; returns (inputs, expected)."""
    built = spec.pop("_built", None)
    model, feeds, expected = built if built else build(spec)
    os.makedirs(os.path.join(folder, "test_data_set_0"), exist_ok=True)
    onnx.save(model, os.path.join(folder, "model.onnx"))
    for k, (name, data) in enumerate(feeds):
        t = numpy_helper.from_array(data, name)
        with open(os.path.join(folder, "test_data_set_0", "input_%d.pb" % k), "wb") as f:
            f.write(t.SerializeToString())
    for k, (name, data) in enumerate(expected):
        t = numpy_helper.from_array(data, name)
        with open(os.path.join(folder, "test_data_set_0", "output_%d.pb" % k), "wb") as f:
            f.write(t.SerializeToString())
    with open(os.path.join(folder, "spec.json"), "w") as f:
        json.dump(spec, f, indent=1)
    return feeds, expected


def parse_ops(text):
    """'Add,MatMul:3' -> {'Add': default weight, 'MatMul': 3}."""
    ops = {}
    for item in text.replace("\n", ",").split(","):
        item = item.split("#")[0].strip()
        if not item:
            continue
        name, _, w = item.partition(":")
        name = name.strip()
        if name not in ALL_OPS:
            raise SystemExit("gen_graphs: unknown op kind '%s' (known: %s)" % (name, ", ".join(ALL_OPS)))
        ops[name] = float(w) if w else float(ALL_OPS[name])
    if not ops:
        raise SystemExit("gen_graphs: empty op mix")
    return ops


def read_ops_file(path):
    with open(path) as f:
        return parse_ops(",".join(line.split("#")[0] for line in f))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ops", help="comma-separated op kinds, optionally KIND:WEIGHT")
    ap.add_argument("--ops-file", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops.txt"))
    ap.add_argument("--max-nodes", type=int, default=4)
    ap.add_argument("--list-ops", action="store_true")
    args = ap.parse_args()
    if args.list_ops:
        for k, w in ALL_OPS.items():
            print("%s:%d" % (k, w))
        return 0
    if not args.out:
        ap.error("--out is required")
    ops = parse_ops(args.ops) if args.ops else read_ops_file(args.ops_file)
    made = 0
    for i in range(args.count):
        spec = generate(args.seed, i, ops, args.max_nodes)
        if spec is None:
            continue
        write_case(spec, os.path.join(args.out, spec["name"]))
        made += 1
    print("gen_graphs: wrote %d graphs to %s" % (made, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
