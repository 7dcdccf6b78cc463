#!/usr/bin/python3
"""Structure-aware fuzzing of trnc: valid ONNX models mutated one field at a time
(a dim set to 0, -1, 1 or 2^40; an element type changed; an attribute dropped,
retyped or set to an odd value; an input renamed, dropped or duplicated; an
initializer's data cut or its dims changed; the opset moved), each compiled by trnc.
Byte-level mutation (fuzz_importer) rarely gets past the protobuf and the first
checks; these inputs reach the operator imports and the passes.

A run fails on a model that makes trnc crash (a signal), hang (timeout), exit with a
code outside 0-6, or report an internal error ("internal compiler error", "built
invalid IR", TRN_ERR_INTERNAL). Those models are copied to --out as crash-*.onnx
with a .txt holding the output; add them to the fuzz_importer corpus to replay them
under ASan.

  /usr/bin/python3 tests/fuzz/mutate_onnx.py --trnc build/bin/trnc [--count 2000]
      [--seed 1] [--out /tmp/trn-mutate] [--timeout 20] [SEED.onnx ...]

Seeds default to tests/lit/compiler/Inputs/*.onnx, tests/errors/inputs/good.onnx and
the libonnx-testdata models fuzz_importer starts from.
"""
import argparse
import glob
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NODE = "/usr/share/libonnx-testdata/data/node"
TESTDATA = ["test_add_bcast", "test_matmul_3d", "test_gemm_all_attributes", "test_softmax_axis_1",
            "test_reduce_sum_keepdims_example", "test_transpose_default", "test_reshape_reordered_all_dims",
            "test_conv_with_strides_padding", "test_maxpool_2d_default", "test_concat_2d_axis_0",
            "test_slice", "test_gather_0", "test_where_example", "test_layer_normalization_2d_axis0",
            "test_clip_example", "test_flatten_axis1", "test_unsqueeze_axis_0", "test_batchnorm_example",
            "test_averagepool_2d_pads", "test_split_equal_parts_1d", "test_expand_dim_changed",
            "test_pad", "test_tile", "test_cumsum_1d", "test_topk", "test_argmax_default_axis_example",
            "test_einsum_batch_matmul", "test_resize_upsample_scales_nearest", "test_instancenorm_example",
            "test_lrn", "test_cast_FLOAT_to_FLOAT16", "test_onehot_with_axis", "test_scatter_elements_with_axis"]
DIMS = [0, -1, 1, 2, 7, 1 << 20, 1 << 40]
DTYPES = [TensorProto.FLOAT16, TensorProto.DOUBLE, TensorProto.INT64, TensorProto.INT32,
          TensorProto.INT8, TensorProto.UINT8, TensorProto.BOOL, TensorProto.BFLOAT16,
          TensorProto.STRING, TensorProto.COMPLEX64, 0, 999]


def mutate(m, rng):
    """Applies one random mutation to ModelProto m in place; returns its description."""
    g = m.graph
    pick = lambda seq: seq[int(rng.integers(len(seq)))]  # noqa: E731
    kinds = ["dim", "dtype", "attr_drop", "attr_value", "attr_type", "input_rename", "input_drop",
             "input_dup", "init_cut", "init_dims", "opset", "output_dim", "node_dup", "node_drop"]
    for _ in range(20):
        k = pick(kinds)
        vis = list(g.input) + list(g.output) + list(g.value_info)
        if k in ("dim", "output_dim"):
            cands = [v for v in (g.output if k == "output_dim" else g.input)
                     if v.type.tensor_type.shape.dim]
            if not cands:
                continue
            v = pick(cands)
            d = pick(list(v.type.tensor_type.shape.dim))
            d.dim_value = int(pick(DIMS)) if d.dim_value >= 0 else 3
            return "%s of %s: %d" % (k, v.name, d.dim_value)
        if k == "dtype" and vis:
            v = pick(vis)
            v.type.tensor_type.elem_type = int(pick(DTYPES))
            return "dtype of %s: %d" % (v.name, v.type.tensor_type.elem_type)
        nodes = [n for n in g.node]
        if not nodes:
            return "none"
        n = pick(nodes)
        if k == "attr_drop" and n.attribute:
            a = pick(list(n.attribute))
            n.attribute.remove(a)
            return "dropped attribute %s of %s" % (a.name, n.op_type)
        if k == "attr_value" and n.attribute:
            a = pick(list(n.attribute))
            if a.type == onnx.AttributeProto.INT:
                a.i = int(pick([-1, 0, 2, 100, -100, 1 << 40]))
            elif a.type == onnx.AttributeProto.INTS:
                if a.ints and rng.random() < 0.5:
                    a.ints[int(rng.integers(len(a.ints)))] = int(pick([-1, 0, 5, 1 << 40]))
                else:
                    a.ints.append(int(pick([0, 1, -1, 9])))
            elif a.type == onnx.AttributeProto.FLOAT:
                a.f = float(pick([0.0, -1.0, float("nan"), float("inf"), 1e30]))
            else:
                continue
            return "attribute %s of %s changed" % (a.name, n.op_type)
        if k == "attr_type" and n.attribute:
            a = pick(list(n.attribute))
            name = a.name
            n.attribute.remove(a)
            n.attribute.append(onnx.helper.make_attribute(name, pick([1.5, "text", [1, 2], 3])))
            return "attribute %s of %s retyped" % (name, n.op_type)
        if k == "input_rename" and n.input:
            i = int(rng.integers(len(n.input)))
            n.input[i] = pick(["", "nowhere", n.output[0] if n.output else "x"])
            return "input %d of %s renamed to '%s'" % (i, n.op_type, n.input[i])
        if k == "input_drop" and n.input:
            del n.input[int(rng.integers(len(n.input)))]
            return "input of %s dropped" % n.op_type
        if k == "input_dup" and n.input:
            n.input.append(pick(list(n.input)))
            return "input of %s duplicated" % n.op_type
        if k in ("init_cut", "init_dims") and g.initializer:
            t = pick(list(g.initializer))
            if k == "init_cut":
                if t.raw_data:
                    t.raw_data = t.raw_data[: len(t.raw_data) // 2]
                elif t.float_data:
                    del t.float_data[len(t.float_data) // 2:]
                elif t.int64_data:
                    del t.int64_data[len(t.int64_data) // 2:]
                else:
                    continue
                return "data of initializer %s cut" % t.name
            if t.dims:
                t.dims[int(rng.integers(len(t.dims)))] = int(pick(DIMS))
            else:
                t.dims.append(int(pick(DIMS)))
            return "dims of initializer %s changed" % t.name
        if k == "opset" and m.opset_import:
            m.opset_import[0].version = int(pick([1, 6, 7, 11, 13, 18, 21, 22, 99]))
            return "opset %d" % m.opset_import[0].version
        if k == "node_dup":
            g.node.append(n)
            return "node %s duplicated" % n.op_type
        if k == "node_drop" and len(nodes) > 1:
            g.node.remove(n)
            return "node %s dropped" % n.op_type
    return "none"


def default_seeds():
    seeds = sorted(glob.glob(os.path.join(ROOT, "tests/lit/compiler/Inputs/*.onnx")))
    seeds.append(os.path.join(ROOT, "tests/errors/inputs/good.onnx"))
    seeds += [os.path.join(NODE, t, "model.onnx") for t in TESTDATA
              if os.path.exists(os.path.join(NODE, t, "model.onnx"))]
    return seeds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trnc", required=True)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="/tmp/trn-mutate")
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("--mutations", type=int, default=2, help="mutations per model (1..N)")
    ap.add_argument("seeds", nargs="*")
    args = ap.parse_args()
    seeds = []
    for path in args.seeds or default_seeds():
        try:
            seeds.append((path, onnx.load(path)))
        except Exception:
            pass
    if not seeds:
        sys.exit("mutate_onnx: no seed model could be read")
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    work = tempfile.mkdtemp(prefix="trn-mutate-")
    counts, findings = {}, 0
    for i in range(args.count):
        src, base = seeds[int(rng.integers(len(seeds)))]
        m = onnx.ModelProto()
        m.CopyFrom(base)
        what = [mutate(m, rng) for _ in range(int(rng.integers(1, args.mutations + 1)))]
        path = os.path.join(work, "m.onnx")
        with open(path, "wb") as f:
            f.write(m.SerializeToString())
        out_path = os.path.join(work, "m.neff")
        try:
            p = subprocess.run([args.trnc, path, "-o", out_path], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=args.timeout, text=True, errors="replace")
            rc, text = p.returncode, p.stdout
        except subprocess.TimeoutExpired:
            rc, text = "timeout", ""
        bad = (rc == "timeout" or rc < 0 or rc > 6 or "internal compiler error" in text or
               "built invalid IR" in text or "INTERNAL" in text)
        key = rc if not bad else "FINDING"
        counts[key] = counts.get(key, 0) + 1
        if os.path.exists(out_path):
            os.remove(out_path)
        if bad:
            findings += 1
            name = "crash-%d-%04d" % (args.seed, i)
            shutil.copy(path, os.path.join(args.out, name + ".onnx"))
            with open(os.path.join(args.out, name + ".txt"), "w") as f:
                f.write("seed model: %s\nmutations: %s\nexit: %s\n%s" % (src, "; ".join(what), rc, text))
            print("%s: exit %s after %s (from %s): %s" % (name, rc, "; ".join(what), os.path.basename(
                os.path.dirname(src)) if src.endswith("model.onnx") else os.path.basename(src),
                text.strip().splitlines()[-1][:200] if text.strip() else ""))
    shutil.rmtree(work, ignore_errors=True)
    print("mutate_onnx: %d models, exits %s, %d findings (in %s)" % (
        args.count, ", ".join("%s: %d" % kv for kv in sorted(counts.items(), key=str)), findings, args.out))
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
