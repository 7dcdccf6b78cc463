#!/usr/bin/python3
"""Exports the example models (PyTorch -> ONNX) with their inputs and reference outputs.

usage: /usr/bin/python3 examples/make_models.py [--all | NAME...] [--out DIR] [--opset N]
                                               [--doc docs/models.md]

For every model NAME this writes NAME.onnx, NAME_input.npy and NAME_output.npy (the
output of the PyTorch module on that input, float32) and prints the ONNX op-type
histogram. Weights are random with fixed seeds (torchvision models are built with
weights=None: nothing is downloaded), shapes are static, constants are folded.

Models (see docs/models.md):
  mlp          784->256->10 MLP, batch 8 (made by make_mlp.py; reused, not re-exported)
  bert         2 x nn.TransformerEncoderLayer(256, 4 heads, ffn 1024), seq 128, batch 1
  bert_base_layer  1 x nn.TransformerEncoderLayer(768, 12 heads, ffn 3072): one BERT-base
               encoder layer, seq 128, batch 1
  gpt2_block   hand-written GPT-2 decoder block (causal mask, GELU, LayerNorm), seq 128
  resnet18     torchvision ResNet-18, 1x3x224x224
  resnet50     torchvision ResNet-50, 1x3x224x224
  mobilenetv2  torchvision MobileNetV2, 1x3x224x224

Small models (under ~5 MB for the three files) live in examples/ and are committed;
the larger ones go to examples/models/ (git-ignored), made on demand by this script.
Other scripts (examples/bench/bench.py) import build_model() to get the same PyTorch
module and input.
"""
import argparse
import collections
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS_DIR = os.path.join(HERE, "models")
DEFAULT_OPSET = 17  # torch 1.13's newest: exports LayerNorm as one LayerNormalization op


class ModelSpec:
    """One example model: how to build it and where its files live by default."""

    def __init__(self, name, summary, builder, committed, input_name="input",
                 output_name="output"):
        self.name = name
        self.summary = summary
        self.builder = builder
        self.committed = committed
        self.input_name = input_name
        self.output_name = output_name

    @property
    def default_dir(self):
        """examples/ for the committed (small) models, examples/models/ for the rest."""
        return HERE if self.committed else MODELS_DIR


class BuiltModel:
    """A model ready to run: the module to export, the module PyTorch users would run
    (the same unless the exported one is a plain-math rewrite) and the input tensor."""

    def __init__(self, export_module, reference_module, example_input):
        self.export_module = export_module
        self.reference_module = reference_module
        self.example_input = example_input


def _torch():
    import torch  # imported lazily: `--help` and the histogram code do not need it
    return torch


# ----------------------------------------------------------------------------- mlp

def _build_mlp():
    """The MLP of make_mlp.py as a torch module, weights read from examples/mlp.onnx."""
    torch = _torch()
    from onnx import numpy_helper

    path = os.path.join(HERE, "mlp.onnx")
    if not os.path.exists(path):
        _run_make_mlp()
    model = onnx.load(path)
    weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy())
               for t in model.graph.initializer}

    class Mlp(torch.nn.Module):
        """h = relu(x @ W1 + b1); y = h @ W2^T + b2 (the ONNX graph's MatMul/Add/Relu/Gemm)."""

        def __init__(self):
            super().__init__()
            self.w1 = torch.nn.Parameter(weights["fc1.weight"], requires_grad=False)
            self.b1 = torch.nn.Parameter(weights["fc1.bias"], requires_grad=False)
            self.w2 = torch.nn.Parameter(weights["fc2.weight"], requires_grad=False)
            self.b2 = torch.nn.Parameter(weights["fc2.bias"], requires_grad=False)

        def forward(self, x):
            h = torch.relu(x @ self.w1 + self.b1)
            return torch.nn.functional.linear(h, self.w2, self.b2)

    x = torch.from_numpy(np.load(os.path.join(HERE, "mlp_input.npy")))
    module = Mlp().eval()
    return BuiltModel(module, module, x)


def _run_make_mlp():
    """Runs make_mlp.py (which writes examples/mlp*.{onnx,npy})."""
    subprocess.run([sys.executable, os.path.join(HERE, "make_mlp.py")], check=True)


# ------------------------------------------------------------------- torchvision CNNs

def _calibrate_batchnorm(module, shape, seed):
    """Gives BatchNorm layers non-trivial statistics and affine parameters.

    Freshly initialized BN layers are identities (mean 0, var 1, weight 1, bias 0),
    which would let a compiler get BN folding wrong unnoticed and lets activations
    drift in deep nets. Running stats are set from two random batches in train mode
    (cumulative average), then weight/bias are perturbed; the module returns in eval.
    """
    torch = _torch()
    bns = [m for m in module.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    gen = torch.Generator().manual_seed(seed)
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None
    module.train()
    with torch.no_grad():
        for _ in range(2):
            module(torch.randn((4,) + tuple(shape[1:]), generator=gen))
        for bn in bns:
            bn.weight.copy_(1.0 + 0.2 * (torch.rand(bn.weight.shape, generator=gen) - 0.5))
            bn.bias.copy_(0.1 * torch.randn(bn.bias.shape, generator=gen))
            bn.momentum = 0.1
    module.eval()


def _build_torchvision(factory_name, seed):
    torch = _torch()
    import torchvision

    torch.manual_seed(seed)
    factory = getattr(torchvision.models, factory_name)
    module = factory(weights=None)
    shape = (1, 3, 224, 224)
    _calibrate_batchnorm(module, shape, seed + 1)
    x = torch.randn(shape, generator=torch.Generator().manual_seed(seed + 2))
    return BuiltModel(module, module, x)


def _build_resnet18():
    return _build_torchvision("resnet18", 1018)


def _build_resnet50():
    return _build_torchvision("resnet50", 1050)


def _build_mobilenetv2():
    return _build_torchvision("mobilenet_v2", 1002)


# ---------------------------------------------------------------------- transformers

def _make_plain_encoder(encoder):
    """A module computing nn.TransformerEncoder(post-norm) with plain tensor math.

    In eval mode torch 1.13 runs TransformerEncoderLayer and MultiheadAttention on a
    fused fast path (aten::_transformer_encoder_layer_fwd, _native_multi_head_attention)
    that the ONNX exporter cannot express. This rewrite uses the layers' own parameters
    and only MatMul/Softmax/LayerNorm/Relu-level ops, so the export is the math path.
    """
    torch = _torch()
    functional = torch.nn.functional

    class PlainEncoder(torch.nn.Module):
        """x -> for each layer: x = LN1(x + MHA(x)); x = LN2(x + FFN(x))."""

        def __init__(self, layers):
            super().__init__()
            self.layers = layers

        @staticmethod
        def _attention(mha, x):
            batch, seq, _ = x.shape
            heads, d_model, d_head = mha.num_heads, mha.embed_dim, mha.head_dim
            qkv = functional.linear(x, mha.in_proj_weight, mha.in_proj_bias)
            q, k, v = qkv.split(d_model, dim=-1)

            def split_heads(t):
                return t.reshape(batch, seq, heads, d_head).transpose(1, 2)

            q, k, v = split_heads(q), split_heads(k), split_heads(v)
            scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(d_head))
            probs = torch.softmax(scores, dim=-1)
            ctx = torch.matmul(probs, v).transpose(1, 2).reshape(batch, seq, d_model)
            return mha.out_proj(ctx)

        def forward(self, x):
            for layer in self.layers:
                x = layer.norm1(x + self._attention(layer.self_attn, x))
                x = layer.norm2(x + layer.linear2(layer.activation(layer.linear1(x))))
            return x

    return PlainEncoder(encoder.layers).eval()


def _build_encoder(d_model, heads, d_ff, layers, seed):
    torch = _torch()
    torch.manual_seed(seed)
    layer = torch.nn.TransformerEncoderLayer(d_model=d_model, nhead=heads, dim_feedforward=d_ff,
                                             dropout=0.0, batch_first=True)
    encoder = torch.nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False)
    # Each layer gets its own random weights (TransformerEncoder deep-copies one layer).
    for i, lay in enumerate(encoder.layers):
        gen = torch.Generator().manual_seed(2100 + i)
        with torch.no_grad():
            for p in lay.parameters():
                if p.dim() > 1:
                    p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(p.shape[1]))
                else:
                    p.copy_(0.05 * torch.randn(p.shape, generator=gen))
            lay.norm1.weight.add_(1.0)
            lay.norm2.weight.add_(1.0)
    encoder.eval()
    x = torch.randn((1, 128, d_model), generator=torch.Generator().manual_seed(2200))
    return BuiltModel(_make_plain_encoder(encoder), encoder, x)


def _build_bert():
    return _build_encoder(256, 4, 1024, 2, 2024)


def _build_bert_base_layer():
    return _build_encoder(768, 12, 3072, 1, 2025)


def _make_gpt2_block_class():
    torch = _torch()
    nn = torch.nn

    class Gpt2Block(nn.Module):
        """One GPT-2 decoder block (pre-norm), written out op by op.

        x = x + proj(attn(LN1(x)))   causal self-attention, mask applied with Where
        x = x + fc2(GELU(fc1(LN2(x))))   exact (erf) GELU
        """

        def __init__(self, d_model=256, heads=4, seq=128, d_ff=1024):
            super().__init__()
            self.heads = heads
            self.d_model = d_model
            self.d_head = d_model // heads
            self.ln_1 = nn.LayerNorm(d_model, eps=1e-5)
            self.c_attn = nn.Linear(d_model, 3 * d_model)
            self.c_proj = nn.Linear(d_model, d_model)
            self.ln_2 = nn.LayerNorm(d_model, eps=1e-5)
            self.c_fc = nn.Linear(d_model, d_ff)
            self.gelu = nn.GELU()
            self.c_fc_proj = nn.Linear(d_ff, d_model)
            self.register_buffer("causal", torch.tril(torch.ones(seq, seq, dtype=torch.bool))
                                 .view(1, 1, seq, seq), persistent=False)

        def attention(self, x):
            batch, seq, _ = x.shape
            d_model, d_head = self.d_model, self.d_head
            q, k, v = self.c_attn(x).split(d_model, dim=-1)
            q = q.view(batch, seq, self.heads, d_head).transpose(1, 2)
            k = k.view(batch, seq, self.heads, d_head).transpose(1, 2)
            v = v.view(batch, seq, self.heads, d_head).transpose(1, 2)
            scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(d_head)
            mask = self.causal[:, :, :seq, :seq]
            scores = torch.where(mask, scores, torch.full_like(scores, -1e9))
            probs = torch.softmax(scores, dim=-1)
            ctx = torch.matmul(probs, v).transpose(1, 2).reshape(batch, seq, d_model)
            return self.c_proj(ctx)

        def forward(self, x):
            x = x + self.attention(self.ln_1(x))
            return x + self.c_fc_proj(self.gelu(self.c_fc(self.ln_2(x))))

    return Gpt2Block


def _build_gpt2_block():
    torch = _torch()
    torch.manual_seed(2002)
    module = _make_gpt2_block_class()()
    gen = torch.Generator().manual_seed(2003)
    with torch.no_grad():  # GPT-2's init: N(0, 0.02) weights; perturbed LayerNorms
        for name, p in module.named_parameters():
            if name.startswith("ln_"):
                p.copy_((1.0 if name.endswith("weight") else 0.0)
                        + 0.1 * torch.randn(p.shape, generator=gen))
            elif p.dim() > 1:
                p.copy_(0.02 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.02 * torch.randn(p.shape, generator=gen))
    module.eval()
    x = torch.randn((1, 128, 256), generator=torch.Generator().manual_seed(2004))
    return BuiltModel(module, module, x)


# --------------------------------------------------------------------------- registry

MODELS = collections.OrderedDict((spec.name, spec) for spec in [
    ModelSpec("mlp", "784->256->10 MLP, batch 8 (make_mlp.py)", _build_mlp, True,
              output_name="logits"),
    ModelSpec("bert", "2 x TransformerEncoderLayer(d 256, 4 heads, ffn 1024), 1x128x256",
              _build_bert, False),
    ModelSpec("bert_base_layer", "1 x TransformerEncoderLayer(d 768, 12 heads, ffn 3072) "
              "(a BERT-base layer), 1x128x768", _build_bert_base_layer, False),
    ModelSpec("gpt2_block", "GPT-2 decoder block (causal, GELU, LayerNorm), 1x128x256",
              _build_gpt2_block, True),
    ModelSpec("resnet18", "torchvision ResNet-18, 1x3x224x224", _build_resnet18, False),
    ModelSpec("resnet50", "torchvision ResNet-50, 1x3x224x224", _build_resnet50, False),
    ModelSpec("mobilenetv2", "torchvision MobileNetV2, 1x3x224x224", _build_mobilenetv2,
              False),
])


def build_model(name):
    """Returns the BuiltModel for NAME (deterministic: same weights and input each call)."""
    if name not in MODELS:
        raise KeyError(f"unknown model '{name}' (known: {', '.join(MODELS)})")
    return MODELS[name].builder()


def model_paths(name, out_dir=None):
    """(onnx, input .npy, output .npy) paths of NAME in OUT_DIR or its default folder."""
    folder = out_dir or MODELS[name].default_dir
    return (os.path.join(folder, f"{name}.onnx"), os.path.join(folder, f"{name}_input.npy"),
            os.path.join(folder, f"{name}_output.npy"))


def find_model_files(name):
    """The paths of NAME's files if they exist in examples/ or examples/models/, else None."""
    for folder in (HERE, MODELS_DIR):
        paths = model_paths(name, folder)
        if all(os.path.exists(p) for p in paths):
            return paths
    return None


def op_histogram(onnx_path):
    """Counter of op types ("domain.Op" outside the default domain) in the main graph."""
    model = onnx.load(onnx_path, load_external_data=False)
    return collections.Counter(
        (f"{n.domain}.{n.op_type}" if n.domain not in ("", "ai.onnx") else n.op_type)
        for n in model.graph.node)


def format_histogram(hist):
    """One line: 'Conv 53, Relu 49, ...', most frequent first, ties by name."""
    return ", ".join(f"{op} {n}" for op, n in sorted(hist.items(), key=lambda kv: (-kv[1], kv[0])))


# --------------------------------------------------------------------------- export

def export_model(name, out_dir=None, opset=DEFAULT_OPSET):
    """Writes NAME.onnx, NAME_input.npy and NAME_output.npy; returns the three paths."""
    onnx_path, in_path, out_path = model_paths(name, out_dir)
    os.makedirs(os.path.dirname(onnx_path), exist_ok=True)
    if name == "mlp":  # made by make_mlp.py in examples/; only copied elsewhere
        src = model_paths("mlp", HERE)
        if not all(os.path.exists(p) for p in src):
            _run_make_mlp()
        for s, d in zip(src, (onnx_path, in_path, out_path)):
            if os.path.abspath(s) != os.path.abspath(d):
                shutil.copyfile(s, d)
        return onnx_path, in_path, out_path

    torch = _torch()
    spec = MODELS[name]
    built = build_model(name)
    with torch.no_grad():
        expected = built.reference_module(built.example_input)
        exported = built.export_module(built.example_input)
    drift = float((expected - exported).abs().max())
    if drift > 1e-3:
        raise RuntimeError(f"{name}: exported module differs from the reference by {drift}")
    torch.onnx.export(built.export_module, (built.example_input,), onnx_path,
                      input_names=[spec.input_name], output_names=[spec.output_name],
                      opset_version=opset, do_constant_folding=True,
                      training=torch.onnx.TrainingMode.EVAL)
    onnx.checker.check_model(onnx.load(onnx_path))
    np.save(in_path, built.example_input.numpy().astype(np.float32))
    np.save(out_path, expected.numpy().astype(np.float32))
    return onnx_path, in_path, out_path


DOC_NOTES = """\
## How they are made

- Weights are random with fixed seeds; the same command gives byte-identical files.
  torchvision models are built with `weights=None` (nothing is downloaded); their
  BatchNorm layers get statistics from two random batches and perturbed affine
  parameters, so that BN is not an identity. In eval mode with constant folding the
  exporter folds every BatchNorm into the preceding Conv: the CNN graphs hold no
  BatchNormalization node.
- Export: `torch.onnx.export(..., opset_version=17, do_constant_folding=True,
  training=EVAL)`, static shapes (no dynamic axes). Opset 17 is the newest torch 1.13
  knows; it exports `nn.LayerNorm` as one `LayerNormalization` node (opset 13 would
  decompose it into ReduceMean/Sub/Pow/Sqrt/Div). `--opset 13` gives the decomposed form.
- `<name>_output.npy` is PyTorch's float32 output on `<name>_input.npy` (`mlp`: numpy's,
  from make_mlp.py).
- `bert`: in eval mode torch 1.13 runs `nn.TransformerEncoderLayer` on a fused fast path
  (`aten::_transformer_encoder_layer_fwd`, `_native_multi_head_attention`) that the
  exporter cannot express. The script exports a plain-math rewrite of the same layers
  (same parameters: in-projection MatMul, Split, head Reshape/Transpose, scaled
  MatMul, Softmax, MatMul, out-projection, Add + LayerNormalization, ReLU FFN) and
  checks it against the original module before writing; the reference output is the
  original module's. Its files (6.6 MB) are over the ~5 MB limit for committed files.
- `gpt2_block`: a hand-written pre-norm GPT-2 block: LayerNorm, fused QKV projection,
  causal mask applied with `torch.where` (ONNX `Where`, -1e9 on masked scores),
  Softmax, exact GELU (exported as Div/Erf/Add/Mul/Mul), residual Adds; N(0, 0.02)
  weights as in GPT-2. Input is an embedded sequence (1 x 128 x 256 float), no token
  embedding.
- `Constant` nodes are shape operands of Reshape (transformers) and the min/max of
  Clip (ReLU6 in MobileNetV2).
"""


def write_doc(path, names, out_dir=None):
    """Writes docs/models.md: a table of the models and their ONNX op histograms."""
    sys.path.insert(0, os.path.join(HERE, "bench"))
    import bench  # FLOP counter (examples/bench/bench.py)

    rows, hists = [], collections.OrderedDict()
    for name in names:
        paths = model_paths(name, out_dir)
        if not all(os.path.exists(p) for p in paths):
            continue
        model = onnx.load(paths[0])
        hists[name] = op_histogram(paths[0])
        inits = {i.name for i in model.graph.initializer}
        params = sum(int(np.prod(i.dims)) for i in model.graph.initializer)

        def shapes(values):
            return ", ".join(
                f"{v.name} {'x'.join(str(d.dim_value) for d in v.type.tensor_type.shape.dim)}"
                for v in values if v.name not in inits)

        counts = bench.count_graph(paths[0])
        opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
        where = "examples/" if MODELS[name].committed else "examples/models/ (generated)"
        rows.append(f"| `{name}` | {MODELS[name].summary} | {where} | {shapes(model.graph.input)}"
                    f" | {shapes(model.graph.output)} | {params / 1e6:.2f} M | "
                    f"{os.path.getsize(paths[0]) / 1e6:.1f} MB | {opset} | "
                    f"{sum(hists[name].values())} | {counts['flops'] / 1e9:.3f} |")
    ops = sorted({op for h in hists.values() for op in h})
    lines = [
        "# Example models", "",
        "Made by `/usr/bin/python3 examples/make_models.py --all --doc docs/models.md` "
        "(examples/make_models.py; the MLP by examples/make_mlp.py). Small models are "
        "committed under `examples/`; the large ones are written to `examples/models/` "
        "(git-ignored) by the same command. Each model comes with `<name>_input.npy` and "
        "`<name>_output.npy`.", "",
        "| model | what | where | input | output | params | .onnx | opset | nodes "
        "| GFLOPs (2 x MACs of MatMul/Gemm/Conv) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ] + rows + [
        "", "## ONNX op-type histogram", "",
        "Nodes of each op type in each graph (after the exporter's constant folding).", "",
        "| op | " + " | ".join(hists) + " |",
        "| --- | " + " | ".join("---:" for _ in hists) + " |",
    ] + [f"| {op} | " + " | ".join(str(h.get(op, "")) for h in hists.values()) + " |"
         for op in ops] + [
        "| **total** | " + " | ".join(str(sum(h.values())) for h in hists.values()) + " |",
        "", DOC_NOTES]
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def _size_mb(paths):
    return sum(os.path.getsize(p) for p in paths) / 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Export the example models to ONNX with inputs and PyTorch outputs.",
        epilog="models: " + "; ".join(f"{s.name}: {s.summary}" for s in MODELS.values()))
    parser.add_argument("names", nargs="*", metavar="NAME", help="models to make")
    parser.add_argument("--all", action="store_true", help="make every model")
    parser.add_argument("--out", metavar="DIR",
                        help="output folder (default: examples/ for the small, committed "
                             "models, examples/models/ for the large ones)")
    parser.add_argument("--opset", type=int, default=DEFAULT_OPSET,
                        help=f"ONNX opset (default {DEFAULT_OPSET})")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (default 2)")
    parser.add_argument("--doc", metavar="FILE",
                        help="also write the models table and op histograms (markdown), "
                             "e.g. docs/models.md")
    args = parser.parse_args(argv)

    names = list(MODELS) if args.all else args.names
    if not names:
        parser.error("name at least one model or pass --all")
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(MODELS)}")
    _torch().set_num_threads(args.threads)

    failed = 0
    for name in names:
        try:
            paths = export_model(name, args.out, args.opset)
        except Exception as exc:  # report and go on with the other models
            print(f"{name}: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
            failed += 1
            continue
        hist = op_histogram(paths[0])
        shown = os.path.relpath(paths[0]) if not os.path.relpath(paths[0]).startswith("..") \
            else paths[0]
        print(f"{name}: wrote {shown} (+ _input/_output .npy), "
              f"{_size_mb(paths):.1f} MB, {sum(hist.values())} nodes")
        print(f"  ops: {format_histogram(hist)}")
    if args.doc:
        write_doc(args.doc, names, args.out)
        print(f"wrote {args.doc}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
