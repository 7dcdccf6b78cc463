#!/usr/bin/python3
"""Benchmarks example models through trnc and the reference interpreter.

usage: /usr/bin/python3 examples/bench/bench.py [--models mlp,resnet50,...|all|none] [--build build]
           [--auto-cast none|matmul|all] [--target trn1] [--gemm] [--out docs/benchmarks.md]
           [--work DIR] [--timeout S] [--torch-budget S] [--interp-repeat N]
           [--rounds N]

For each model it:
  1. compiles the ONNX file with `/usr/bin/time -v trnc` (wall time, peak RSS),
  2. reads the .neff size and instruction count (trn-run --stats, else trn-objdump),
  3. runs the .neff with `trn-run --input X.npy --output Y.npy --stats` (process wall
     time: load, one run, I/O; simulated cycles, time and PE utilization from its
     statistics),
  4. runs the same model in PyTorch on the CPU (torch.set_num_threads(2)) and compares
     the interpreter's output with PyTorch's; then, in --rounds rounds, PyTorch's
     forward several times and `trn-run --repeat N` (the median time of N runs of the
     loaded model, trn_rt_model_run) back to back: the interpreter's run over PyTorch's
     forward is the median of the rounds' ratios, each measured under the same load,
  5. computes a roofline bound from the ONNX graph: max(FLOPs / peak FLOP/s,
     HBM bytes / HBM bandwidth), with FLOPs = 2 x MACs of MatMul/Gemm/Conv, HBM bytes =
     weights + inputs + outputs, peak = PE rows x cols x 2 x PE clock (bf16/fp16; fp32 is
     a quarter of that) and the numbers read from isa/include/trn/targets.def,
and prints one markdown table per model plus a summary. Anything a tool does not
report is shown as "n/a"; a model that fails to compile or run is listed with the
first line of the error, and the benchmark goes on.

--gemm benchmarks synthetic single-MatMul models (written to examples/models/), alone or
after the models named with --models.
Models missing from examples/ are made with examples/make_models.py first.
"""
import argparse
import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.dirname(HERE)
ROOT = os.path.dirname(EXAMPLES)
TARGETS_DEF = os.path.join(ROOT, "isa", "include", "trn", "targets.def")
sys.path.insert(0, EXAMPLES)
import make_models  # noqa: E402  (examples/make_models.py)

NA = "n/a"
# Rows of the per-layer table (trn-run --layers) in each model's section.
LAYER_ROWS = 12

# The figures of DESIGN.md's machine model, used only if targets.def cannot be read.
FALLBACK_TARGETS = {
    "trn1": {"pe_rows": 128, "pe_cols": 128, "pe_ghz": 2.8, "hbm_gbps": 410.0},
    "trn2": {"pe_rows": 128, "pe_cols": 128, "pe_ghz": 2.4, "hbm_gbps": 725.0},
}
# Bytes per element of the ONNX tensor types that can appear in the models.
ONNX_DTYPE_BYTES = {
    TensorProto.FLOAT: 4, TensorProto.DOUBLE: 8, TensorProto.FLOAT16: 2,
    TensorProto.BFLOAT16: 2, TensorProto.INT8: 1, TensorProto.UINT8: 1, TensorProto.INT16: 2,
    TensorProto.UINT16: 2, TensorProto.INT32: 4, TensorProto.UINT32: 4, TensorProto.INT64: 8,
    TensorProto.UINT64: 8, TensorProto.BOOL: 1,
}
MATMUL_OPS = ("MatMul", "Gemm", "Conv")


# ----------------------------------------------------------------------- machine model

def read_targets(path=TARGETS_DEF):
    """Parses targets.def into {name: {pe_rows, pe_cols, pe_ghz, hbm_gbps}}.

    Row layout (see the file's comment): id, name, partitions, sbuf, psum, psum_banks,
    pe_rows, pe_cols, moving_free_max, pe_ghz, act_ghz, dve_ghz, pool_ghz, three
    elems/cycle, dma_queues, dma_queue_gbps, dma_fixed_ns, hbm_bytes, hbm_gbps, ...
    Falls back to DESIGN.md's figures when the file is missing or malformed.
    """
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return dict(FALLBACK_TARGETS)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    targets = {}
    for m in re.finditer(r"^\s*TRN_TARGET\(([^)]*)\)", text, flags=re.M):
        fields = [f.strip() for f in m.group(1).split(",")]
        if len(fields) < 21:
            continue
        try:
            name = fields[1].strip('"')
            targets[name] = {
                "pe_rows": int(fields[6]), "pe_cols": int(fields[7]),
                "pe_ghz": float(fields[9]), "hbm_gbps": float(fields[20]),
            }
        except ValueError:
            continue
    return targets or dict(FALLBACK_TARGETS)


def peak_flops(target, dtype):
    """Peak FLOP/s of the PE array: rows x cols MACs/cycle x 2 x clock; fp32 at 1/4 rate."""
    rate = target["pe_rows"] * target["pe_cols"] * 2 * target["pe_ghz"] * 1e9
    return rate / 4 if dtype == "fp32" else rate


# ------------------------------------------------------------------------ graph counts

def _shape_table(model):
    """{tensor name: (elem_type, [dims] or None)} from inputs, outputs, value_info, inits."""
    table = {}
    for vi in list(model.graph.input) + list(model.graph.output) + list(model.graph.value_info):
        t = vi.type.tensor_type
        dims = None
        if t.HasField("shape"):
            dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
            if any(d is None for d in dims):
                dims = None
        table[vi.name] = (t.elem_type, dims)
    for init in model.graph.initializer:
        table[init.name] = (init.data_type, list(init.dims))
    return table


def _numel(dims):
    n = 1
    for d in dims:
        n *= d
    return n


def _tensor_bytes(elem_type, dims):
    return _numel(dims) * ONNX_DTYPE_BYTES.get(elem_type, 4)


def node_macs(node, shapes):
    """Multiply-accumulates of one MatMul, Gemm or Conv node (0 for other ops); None if
    a needed shape is unknown."""
    def dims(name):
        entry = shapes.get(name)
        return entry[1] if entry else None

    if node.op_type not in MATMUL_OPS:
        return 0
    y = dims(node.output[0])
    if y is None:
        return None
    if node.op_type == "Conv":  # every output element: Cin/group x kernel MACs
        w = dims(node.input[1])
        return None if w is None else _numel(y) * _numel(w[1:])
    a = dims(node.input[0])
    if a is None:
        return None
    if node.op_type == "Gemm":
        trans_a = next((at.i for at in node.attribute if at.name == "transA"), 0)
        k = a[0] if trans_a else a[1]
    else:
        k = a[-1]
    return _numel(y) * k


def count_graph(onnx_path, auto_cast="none"):
    """FLOPs and HBM bytes of an ONNX model, for the roofline.

    Returns a dict: macs, flops (2 x macs), weight_bytes, io_bytes, hbm_bytes, nodes,
    unknown_nodes (MatMul-like nodes whose shapes shape inference could not give).
    With auto-cast, float weights read by MatMul/Gemm/Conv count 2 bytes per element
    (the compiler may keep them in 16 bits), which keeps the roofline a lower bound.
    """
    model = onnx.load(onnx_path)
    try:
        model = onnx.shape_inference.infer_shapes(model)
    except Exception:  # keep going with the shapes the file has
        pass
    shapes = _shape_table(model)
    inits = {i.name for i in model.graph.initializer}
    matmul_weights = {name for n in model.graph.node if n.op_type in MATMUL_OPS
                      for name in n.input if name in inits}
    macs, unknown = 0, 0
    for node in model.graph.node:
        m = node_macs(node, shapes)
        if m is None:
            unknown += 1
        else:
            macs += m
    weight_bytes = 0
    for init in model.graph.initializer:
        nbytes = _tensor_bytes(init.data_type, init.dims)
        if (auto_cast != "none" and init.name in matmul_weights
                and init.data_type == TensorProto.FLOAT):
            nbytes //= 2
        weight_bytes += nbytes
    for node in model.graph.node:  # Constant nodes are weights too
        if node.op_type == "Constant":
            for at in node.attribute:
                if at.name == "value":
                    weight_bytes += _tensor_bytes(at.t.data_type, at.t.dims)
    io_bytes = 0
    for vi in list(model.graph.input) + list(model.graph.output):
        if vi.name in inits:
            continue
        elem, dims = shapes.get(vi.name, (TensorProto.FLOAT, None))
        if dims is not None:
            io_bytes += _tensor_bytes(elem, dims)
    return {"macs": macs, "flops": 2 * macs, "weight_bytes": weight_bytes,
            "io_bytes": io_bytes, "hbm_bytes": weight_bytes + io_bytes,
            "nodes": len(model.graph.node), "unknown_nodes": unknown}


def roofline_seconds(counts, target, dtype):
    """max(FLOPs / peak FLOP/s, HBM bytes / HBM bandwidth) and which bound it is."""
    compute = counts["flops"] / peak_flops(target, dtype)
    memory = counts["hbm_bytes"] / (target["hbm_gbps"] * 1e9)
    return (compute, "compute") if compute >= memory else (memory, "memory")


# ---------------------------------------------------------------------- tool parsing

def parse_elapsed(text):
    """'h:mm:ss' or 'm:ss.ss' (GNU time's wall clock) -> seconds."""
    seconds = 0.0
    for part in text.strip().split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def parse_time_v(stderr):
    """(wall seconds, max RSS bytes) from `/usr/bin/time -v` output; None when absent."""
    wall = rss = None
    m = re.search(r"Elapsed \(wall clock\) time(?: \([^)]*\))?:\s*([0-9:.]+)", stderr)
    if m:
        try:
            wall = parse_elapsed(m.group(1))
        except ValueError:
            wall = None
    m = re.search(r"Maximum resident set size \(kbytes\):\s*(\d+)", stderr)
    if m:
        rss = int(m.group(1)) * 1024
    return wall, rss


def strip_time_v(stderr):
    """The stderr of the timed command without /usr/bin/time's report."""
    lines = stderr.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("\tCommand being timed:") or line.startswith("Command being timed:"):
            return "\n".join(lines[:i])
    return stderr


def first_error_line(text, fallback):
    """The first meaningful line of an error output (joined with the next one when it
    only introduces it, as in 'trnc: error: m.onnx: lowering failed:')."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    if not lines:
        return fallback
    for i, line in enumerate(lines):
        if "error" in line.lower():
            break
    else:
        i = 0
    line = lines[i]
    if line.endswith(":") and i + 1 < len(lines):
        line = f"{line} {lines[i + 1]}"
    return line[:300]


def parse_objdump_instructions(text):
    """Instruction count from `trn-objdump` output.

    Uses the listing's summary line '# inputs 2, ..., streams: act 1 q0 1 q1 2' when
    present; otherwise counts instruction lines inside `.stream` sections. None if the
    output has neither.
    """
    m = re.search(r"streams:\s*((?:[A-Za-z_][\w.]*\s+\d+\s*)+)$", text, flags=re.M)
    if m:
        counts = re.findall(r"[A-Za-z_][\w.]*\s+(\d+)", m.group(1))
        return sum(int(c) for c in counts)
    count, in_stream, seen = 0, False, False
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(".stream"):
            in_stream, seen = True, True
        elif line.startswith("."):
            in_stream = False
        elif in_stream:
            count += 1
    return count if seen else None


_UNIT_SECONDS = {"s": 1.0, "sec": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9,
                 "ps": 1e-12}


def _number(text):
    """First number in TEXT (commas and '_' as digit separators allowed), or None."""
    m = re.search(r"[-+]?\d[\d,_]*(?:\.\d*)?(?:[eE][-+]?\d+)?|[-+]?\.\d+(?:[eE][-+]?\d+)?",
                  text)
    if not m:
        return None
    try:
        return float(m.group(0).replace(",", "").replace("_", ""))
    except ValueError:
        return None


def _seconds(value_text, key):
    """A duration in seconds from 'VALUE [unit]' (unit in the value or the key)."""
    m = re.search(r"([-+]?\d[\d,]*(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*(µs|us|ns|ms|ps|sec|s)\b",
                  value_text)
    if m:
        return float(m.group(1).replace(",", "")) * _UNIT_SECONDS[m.group(2)]
    number = _number(value_text)
    if number is None:
        return None
    m = re.search(r"\((µs|us|ns|ms|ps|s)\)|_(us|ns|ms|s)$|\b(us|ns|ms|seconds|s)$", key)
    unit = next((g for g in m.groups() if g), "s") if m else "s"
    return number * _UNIT_SECONDS.get(unit, 1.0)


def _fraction(value_text):
    """'12.5%' -> 0.125; '0.125' -> 0.125."""
    number = _number(value_text)
    if number is None:
        return None
    return number / 100.0 if "%" in value_text or number > 1.0 else number


def parse_run_stats(text):
    """Statistics from `trn-run --stats` output, robust to its exact wording.

    Reads 'key: value' / 'key = value' lines (and JSON-ish '"key": value'). Recognized:
    cycles, seconds (simulated time), instructions, pe_utilization (0..1), dma_bytes,
    macs, max_abs_err, max_rel_err, engine_busy ({engine: fraction}). Missing -> absent.
    """
    stats = {"engine_busy": {}}
    for raw in text.splitlines():
        m = re.match(r'^\s*[#*-]*\s*"?([A-Za-z][\w .()/%-]*?)"?\s*[:=]\s*(.+?)\s*,?\s*$', raw)
        if not m:
            continue
        key, value = m.group(1).strip().lower(), m.group(2).strip()
        norm = re.sub(r"[^a-z0-9]+", "_", key).strip("_")
        if "busy" in norm:
            pairs = re.findall(r"([A-Za-z][\w.]*)\s*[:=]?\s*(\d+(?:\.\d*)?)\s*%", value)
            if pairs:  # 'engine busy: pe 12.0% act 3.0%'
                for engine, pct in pairs:
                    stats["engine_busy"][engine] = float(pct) / 100.0
            else:  # 'pe busy: 12%'
                engine = re.sub(r"_?(busy|engine|fraction|time)_?", "_", norm).strip("_")
                frac = _fraction(value)
                if frac is not None:
                    stats["engine_busy"][engine or norm] = frac
        elif re.search(r"(^|_)pe(_|$)", norm) and "util" in norm:
            stats.setdefault("pe_utilization", _fraction(value))
        elif "util" in norm and "pe_utilization" not in stats and "dma" not in norm:
            stats["pe_utilization"] = _fraction(value)
        elif "cycle" in norm and "per" not in norm:
            number = _number(value)
            if number is not None:
                stats.setdefault("cycles", int(number))
        elif "instr" in norm:
            number = _number(value)
            if number is not None:
                stats.setdefault("instructions", int(number))
        elif "dma" in norm and "byte" in norm:
            number = _number(value)
            if number is not None:
                stats.setdefault("dma_bytes", int(number))
        elif norm in ("macs", "mac", "total_macs", "useful_macs"):
            number = _number(value)
            if number is not None:
                stats.setdefault("macs", int(number))
        elif "abs" in norm and "err" in norm:
            stats.setdefault("max_abs_err", _number(value))
        elif "rel" in norm and "err" in norm:
            stats.setdefault("max_rel_err", _number(value))
        elif "wall" in norm:  # the interpreter's own timing of the run (no load/IO)
            seconds = _seconds(value, norm)
            if seconds is not None:
                stats.setdefault("run_wall_s", seconds)
        elif "time" in norm or "second" in norm or "latency" in norm:
            seconds = _seconds(value, norm)
            if seconds is not None:
                stats.setdefault("seconds", seconds)
    m = re.search(r"\(([\d,]+)\s*MACs?\)", text)  # 'PE utilization: 12% (123 MACs)'
    if m and "macs" not in stats:
        stats["macs"] = int(m.group(1).replace(",", ""))
    # A single "cycles ... (x us)" line also gives the time.
    if "seconds" not in stats:
        m = re.search(r"cycles?\b[^\n]*?\(([\d.eE+-]+)\s*(µs|us|ns|ms|s)\)", text)
        if m:
            stats["seconds"] = float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
    if not stats["engine_busy"]:
        del stats["engine_busy"]
    return stats


# -------------------------------------------------------------------------- the tools

class Tools:
    """Paths of the trn executables and what their --help says they accept."""

    def __init__(self, build_dir):
        bin_dir = os.path.join(build_dir, "bin")
        self.trnc = os.path.join(bin_dir, "trnc")
        self.trn_run = os.path.join(bin_dir, "trn-run")
        self.objdump = os.path.join(bin_dir, "trn-objdump")
        self.run_help = self._help(self.trn_run)

    @staticmethod
    def _help(path):
        if not os.access(path, os.X_OK):
            return None
        try:
            proc = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return proc.stdout + proc.stderr

    def run_supports(self, flag):
        """True if trn-run's --help mentions FLAG (all flags assumed if help is silent)."""
        return bool(self.run_help) and flag in self.run_help or self.run_help == ""


def compile_model(tools, onnx_path, neff_path, auto_cast, target, timeout):
    """Runs trnc under /usr/bin/time -v. Returns a dict with ok, error, compile_s, rss."""
    if not os.access(tools.trnc, os.X_OK):
        return {"ok": False, "error": f"{tools.trnc} not found (build the trnc target)"}
    rel = os.path.relpath(os.path.abspath(onnx_path), ROOT)
    if not rel.startswith(".."):  # run from the checkout so errors name 'examples/...'
        onnx_path = rel
    cmd = [tools.trnc, onnx_path, "-o", os.path.abspath(neff_path), f"--target={target}"]
    if auto_cast != "none":
        cmd.append(f"--auto-cast={auto_cast}")
    timed = os.access("/usr/bin/time", os.X_OK)
    full = (["/usr/bin/time", "-v"] if timed else []) + cmd
    start = time.perf_counter()
    try:
        proc = subprocess.run(full, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"trnc timed out after {timeout} s",
                "compile_s": time.perf_counter() - start}
    wall = time.perf_counter() - start
    rss = None
    stderr = proc.stderr
    if timed:
        wall_v, rss = parse_time_v(stderr)
        wall = wall_v if wall_v is not None else wall
        stderr = strip_time_v(stderr)
    result = {"compile_s": wall, "rss": rss, "command": " ".join(cmd)}
    if proc.returncode != 0 or not os.path.exists(neff_path):
        result.update(ok=False, error=first_error_line(
            stderr + proc.stdout, f"trnc exited with status {proc.returncode}"))
    else:
        result.update(ok=True, neff_bytes=os.path.getsize(neff_path))
    return result


def objdump_instructions(tools, neff_path, timeout):
    """Instruction count from trn-objdump, or None."""
    if not os.access(tools.objdump, os.X_OK):
        return None
    try:
        proc = subprocess.run([tools.objdump, neff_path], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return parse_objdump_instructions(proc.stdout) if proc.returncode == 0 else None


def run_interpreter(tools, neff_path, input_path, output_path, timeout):
    """Runs trn-run once. Returns a dict with ok, error, wall_s, stats."""
    if tools.run_help is None:
        return {"ok": False, "error": f"{tools.trn_run} not found (build the trn-run target)"}
    cmd = [tools.trn_run, neff_path, "--input", input_path, "--output", output_path]
    if tools.run_supports("--stats"):
        cmd.append("--stats")
    if tools.run_supports("--layers"):
        cmd.append(f"--layers={LAYER_ROWS}")
    if os.path.exists(output_path):
        os.remove(output_path)
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"trn-run timed out after {timeout} s"}
    wall = time.perf_counter() - start
    text = proc.stdout + "\n" + proc.stderr
    result = {"wall_s": wall, "stats": parse_run_stats(text), "command": " ".join(cmd),
              "layers": [line for line in proc.stdout.splitlines() if line.startswith("|")]}
    if proc.returncode != 0:
        result.update(ok=False, error=first_error_line(
            text, f"trn-run exited with status {proc.returncode}"))
    elif not os.path.exists(output_path):
        result.update(ok=False, error="trn-run wrote no output file")
    else:
        result.update(ok=True)
    return result


def run_interpreter_repeated(tools, neff_path, input_path, repeat, timeout):
    """Runs the loaded model REPEAT times in one trn-run (--repeat). Returns
    (median run seconds, runs) or (None, None) when trn-run cannot."""
    if tools.run_help is None or repeat < 1 or not tools.run_supports("--repeat"):
        return None, None
    cmd = [tools.trn_run, neff_path, "--input", input_path, "--stats", f"--repeat={repeat}"]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None
    if proc.returncode != 0:
        return None, None
    m = re.search(r"^interpreter runs:\s*(\d+)", proc.stdout, re.M)
    return parse_run_stats(proc.stdout).get("run_wall_s"), int(m.group(1)) if m else 1


# --------------------------------------------------------------------------- PyTorch

def torch_times(fn, min_runs=5, max_runs=50, budget_s=3.0):
    """FN()'s wall times: at least MIN_RUNS runs, more (up to MAX_RUNS) while the total
    stays under BUDGET_S. The caller makes the warm-up call."""
    times = []
    total = 0.0
    while len(times) < max_runs and (len(times) < min_runs or total < budget_s):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        total += times[-1]
    return times


def top1(actual, expected):
    """For classifier outputs (batch x classes, 10 classes or more): whether the
    interpreter's argmax in each row matches PyTorch's, as text; None otherwise."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape or actual.ndim != 2 or actual.shape[-1] < 10:
        return None
    a = actual.reshape(-1, actual.shape[-1]).argmax(axis=1)
    e = expected.reshape(-1, expected.shape[-1]).argmax(axis=1)
    same = int((a == e).sum())
    if same == len(a):
        return "agrees" + (f" (class {int(e[0])})" if len(a) == 1 else f" ({len(a)} rows)")
    return f"differs in {len(a) - same} of {len(a)} rows (first: {int(a[a != e][0])} vs " \
           f"{int(e[a != e][0])})"


def compare(actual, expected):
    """(max abs error, max rel error) where rel = max|a - e| / max|e| (normwise, so
    elements near zero do not dominate). None, None when shapes differ."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.size != expected.size:
        return None, None
    diff = np.abs(actual.reshape(-1) - expected.reshape(-1))
    max_abs = float(diff.max()) if diff.size else 0.0
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    return max_abs, (max_abs / scale if scale > 0 else max_abs)


# ---------------------------------------------------------------------- GEMM models

class GemmSpec:
    """A synthetic Y = A @ B model: A is the input (M x K), B an initializer (K x N)."""

    def __init__(self, name, m, k, n, auto_cast=None):
        self.name, self.m, self.k, self.n, self.auto_cast = name, m, k, n, auto_cast


GEMMS = [
    GemmSpec("gemm_4096x4096x4096", 4096, 4096, 4096, auto_cast="matmul"),
    GemmSpec("gemm_512x512x512", 512, 512, 512, auto_cast="none"),
    GemmSpec("gemm_1000x777x123", 1000, 777, 123),
    GemmSpec("gemv_1x4096x4096", 1, 4096, 4096),
]


def write_gemm_model(spec, folder):
    """Writes SPEC's .onnx, input and (float64-computed) output .npy; returns the paths."""
    os.makedirs(folder, exist_ok=True)
    paths = (os.path.join(folder, f"{spec.name}.onnx"),
             os.path.join(folder, f"{spec.name}_input.npy"),
             os.path.join(folder, f"{spec.name}_output.npy"))
    if all(os.path.exists(p) for p in paths):
        return paths
    rng = np.random.default_rng(spec.m * 1_000_003 + spec.k * 1009 + spec.n)
    a = rng.standard_normal((spec.m, spec.k), dtype=np.float32)
    b = (rng.standard_normal((spec.k, spec.n), dtype=np.float32) / np.sqrt(spec.k)).astype(
        np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["A", "B"], ["Y"], name="matmul")], spec.name,
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [spec.m, spec.k])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [spec.m, spec.n])],
        initializer=[numpy_helper.from_array(b, "B")])
    model = helper.make_model(graph, producer_name="trn-bench",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, paths[0])
    np.save(paths[1], a)
    np.save(paths[2], (a.astype(np.float64) @ b.astype(np.float64)).astype(np.float32))
    return paths


def gemm_torch_fn(paths):
    """A closure computing A @ B in PyTorch on the GEMM model's input and weight."""
    import torch
    model = onnx.load(paths[0])
    b = torch.from_numpy(numpy_helper.to_array(model.graph.initializer[0]).copy())
    a = torch.from_numpy(np.load(paths[1]))

    def fn():
        with torch.no_grad():
            return torch.matmul(a, b)
    return fn


def model_torch_fn(name):
    """A closure running example model NAME's PyTorch module on its input."""
    import torch
    built = make_models.build_model(name)
    module, x = built.reference_module, built.example_input

    def fn():
        with torch.no_grad():
            return module(x)
    return fn


# ------------------------------------------------------------------------ benchmark

def bench_one(name, paths, torch_fn, tools, args, targets, work_dir, auto_cast):
    """Benchmarks one model; returns a dict of results (values None when unknown)."""
    onnx_path, input_path, _ = paths
    res = {"name": name, "auto_cast": auto_cast}
    dtype = "bf16" if auto_cast != "none" else "fp32"
    target = targets.get(args.target) or FALLBACK_TARGETS.get(args.target) or targets["trn1"]
    counts = count_graph(onnx_path, auto_cast)
    res["counts"] = counts
    res["roofline_s"], res["bound"] = roofline_seconds(counts, target, dtype)
    res["peak_dtype"] = dtype

    neff = os.path.join(work_dir, f"{name}.neff")
    out_npy = os.path.join(work_dir, f"{name}_trn_output.npy")
    if os.path.exists(neff):
        os.remove(neff)
    res["compile"] = compile_model(tools, onnx_path, neff, auto_cast, args.target, args.timeout)

    # PyTorch runs even when trnc fails, so the table always has the CPU time.
    try:
        import torch
        torch.set_num_threads(2)
        res["torch_out"] = torch_fn().numpy()  # also the warm-up
    except Exception as exc:  # a broken reference should not stop the benchmark
        res["torch_error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]

    if res["compile"]["ok"]:
        res["run"] = run_interpreter(tools, neff, input_path, out_npy, args.timeout)
    # Rounds of PyTorch runs then interpreter runs, back to back, so that both see the
    # same load on a shared machine; the ratio is the median of the rounds' ratios.
    rounds = max(1, args.rounds)
    times, loaded, ratios, runs = [], [], [], 0
    for _ in range(rounds):
        batch = []
        if "torch_error" not in res:
            try:
                batch = torch_times(torch_fn, min_runs=3, budget_s=args.torch_budget / rounds)
            except Exception as exc:
                res["torch_error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        times += batch
        if not (res.get("run") or {}).get("ok"):
            continue
        s, n = run_interpreter_repeated(tools, neff, input_path, args.interp_repeat,
                                        args.timeout)
        if s is None:
            continue
        loaded.append(s)
        runs += n
        if batch:
            ratios.append(s / statistics.median(batch))
    if times and "torch_error" not in res:
        res["torch_s"], res["torch_runs"], res["torch_min_s"] = (
            statistics.median(times), len(times), min(times))
    if not res["compile"]["ok"]:
        return res
    if res["run"]["ok"]:
        res["run"]["loaded_run_s"] = statistics.median(loaded) if loaded else None
        res["run"]["loaded_runs"] = runs or None
        res["run"]["loaded_rounds"] = len(loaded)
        res["run"]["paired_ratio"] = statistics.median(ratios) if ratios else None
        res["run"]["paired_rounds"] = len(ratios)
    stats = res["run"].get("stats", {})
    res["instructions"] = stats.get("instructions")
    if res["instructions"] is None:
        res["instructions"] = objdump_instructions(tools, neff, args.timeout)
    if res["run"]["ok"] and "torch_out" in res:
        try:
            out = np.load(out_npy)
            res["max_abs"], res["max_rel"] = compare(out, res["torch_out"])
            res["top1"] = top1(out, res["torch_out"])
        except (OSError, ValueError) as exc:
            res["run"]["error"] = f"cannot read {out_npy}: {exc}"
    return res


def _fmt_seconds(s):
    """Three significant digits in s, ms or us."""
    if s is None:
        return NA
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s * 1e9:.3g} ns"


def _fmt_bytes(n):
    if n is None:
        return NA
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def _fmt_flops(n):
    for unit, size in (("GFLOP", 1e9), ("MFLOP", 1e6), ("KFLOP", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n} FLOP"


def _fmt_count(n):
    return NA if n is None else f"{n:,}"


def _fmt_pct(x):
    return NA if x is None else f"{100 * x:.1f}%"


def _fmt_err(x):
    return NA if x is None else f"{x:.3g}"


def derived(res):
    """Simulated time, roofline fraction and the time ratios of one result."""
    run = res.get("run") or {}
    stats = run.get("stats", {}) if run.get("ok") else {}
    sim_s = stats.get("seconds")
    cycles = stats.get("cycles")
    out = {"cycles": cycles, "sim_s": sim_s, "pe_util": stats.get("pe_utilization"),
           "interp_s": run.get("wall_s") if run.get("ok") else None,
           "dma_bytes": stats.get("dma_bytes"), "engine_busy": stats.get("engine_busy"),
           "run_wall_s": stats.get("run_wall_s"),
           "loaded_run_s": run.get("loaded_run_s") if run.get("ok") else None,
           "loaded_runs": run.get("loaded_runs")}
    out["roofline_frac"] = res["roofline_s"] / sim_s if sim_s else None
    torch_s = res.get("torch_s")
    out["interp_over_torch"] = out["interp_s"] / torch_s if out["interp_s"] and torch_s else None
    out["run_over_torch"] = run.get("paired_ratio") if run.get("ok") else None
    if out["run_over_torch"] is None and out["loaded_run_s"] and torch_s:
        out["run_over_torch"] = out["loaded_run_s"] / torch_s
    out["torch_over_sim"] = torch_s / sim_s if torch_s and sim_s else None
    return out


def status_of(res):
    """'ok', or 'compile failed: ...' / 'run failed: ...'."""
    comp = res["compile"]
    if not comp["ok"]:
        return f"compile failed: {comp['error']}"
    run = res.get("run") or {}
    if not run.get("ok"):
        return f"run failed: {run.get('error', 'not run')}"
    return "ok"


def len_rounds(res):
    """Rounds that paired an interpreter time with PyTorch's (0 when none)."""
    return (res.get("run") or {}).get("paired_rounds") or 0


def model_table(res):
    """The markdown table of one model."""
    d = derived(res)
    comp, counts = res["compile"], res["counts"]
    ratio = lambda x: NA if x is None else f"{x:.3g}x"  # noqa: E731
    rows = [
        ("status", status_of(res).replace("|", "\\|")),
        ("compile time", _fmt_seconds(comp.get("compile_s"))),
        ("peak compile memory (RSS)", _fmt_bytes(comp.get("rss"))),
        (".neff size", _fmt_bytes(comp.get("neff_bytes"))),
        ("instructions", _fmt_count(res.get("instructions"))),
        ("simulated cycles", _fmt_count(d["cycles"])),
        ("simulated time", _fmt_seconds(d["sim_s"])),
        ("PE utilization", _fmt_pct(d["pe_util"])),
        ("roofline bound", f"{_fmt_seconds(res['roofline_s'])} ({res['bound']}-bound, "
                           f"{res['peak_dtype']} peak)"),
        ("fraction of roofline", _fmt_pct(d["roofline_frac"])),
        ("FLOPs (MatMul/Gemm/Conv)", _fmt_flops(counts["flops"])
         + (f" ({counts['unknown_nodes']} nodes without shapes)" if counts["unknown_nodes"]
            else "")),
        ("HBM bytes (weights + I/O)", _fmt_bytes(counts["hbm_bytes"])),
        ("DMA bytes (simulated)", _fmt_bytes(d["dma_bytes"])),
        ("interpreter process wall time (load + 1 run + I/O)", _fmt_seconds(d["interp_s"])),
        ("interpreter first run (its own timer, fresh memory)", _fmt_seconds(d["run_wall_s"])),
        ("interpreter run, model loaded (trn-run --repeat)",
         _fmt_seconds(d["loaded_run_s"]) + (
             f" (median of {res['run'].get('loaded_rounds')} rounds' medians, "
             f"{d['loaded_runs']} runs)" if d["loaded_runs"] else "")),
        ("PyTorch CPU wall time (2 threads)",
         _fmt_seconds(res.get("torch_s")) + (
             f" (median of {res['torch_runs']}, min {_fmt_seconds(res['torch_min_s'])})"
             if res.get("torch_runs") else "")
         if "torch_error" not in res else f"failed: {res['torch_error']}"),
        ("interpreter process / PyTorch forward", ratio(d["interp_over_torch"])),
        ("interpreter run (model loaded) / PyTorch forward", ratio(d["run_over_torch"])
         + (f" (median of {len_rounds(res)} rounds)" if len_rounds(res) else "")),
        ("PyTorch CPU / simulated time", ratio(d["torch_over_sim"])),
        ("max abs error vs PyTorch", _fmt_err(res.get("max_abs"))),
        ("max rel error vs PyTorch", _fmt_err(res.get("max_rel"))),
    ]
    if res.get("top1"):
        rows.append(("top-1 vs PyTorch", res["top1"]))
    if d["engine_busy"]:
        natural = lambda kv: [int(t) if t.isdigit() else t  # noqa: E731  (q2 before q10)
                              for t in re.split(r"(\d+)", kv[0])]
        rows.append(("engine busy", ", ".join(
            f"{k} {_fmt_pct(v)}" for k, v in sorted(d["engine_busy"].items(), key=natural))))
    auto = res["auto_cast"]
    lines = [f"### {res['name']}" + (f" (--auto-cast={auto})" if auto != "none" else ""), "",
             "| metric | value |", "| --- | --- |"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    layers = res.get("run", {}).get("layers")
    if layers:
        lines += ["", f"Where the simulated time goes: the {len(layers) - 2} layers with the "
                  "longest span (`trn-run --layers`; docs/profiling.md explains the columns).",
                  ""] + layers
    return "\n".join(lines) + "\n"


def summary_table(results):
    """One row per model: the headline numbers."""
    lines = ["| model | status | compile | peak mem | .neff | instrs | sim time | PE util "
             "| roofline frac | interp process | interp run | PyTorch | max abs err |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for res in results:
        d, comp = derived(res), res["compile"]
        status = status_of(res)
        status = "ok" if status == "ok" else status.split(":", 1)[0]
        lines.append("| " + " | ".join([
            res["name"], status, _fmt_seconds(comp.get("compile_s")),
            _fmt_bytes(comp.get("rss")), _fmt_bytes(comp.get("neff_bytes")),
            _fmt_count(res.get("instructions")), _fmt_seconds(d["sim_s"]),
            _fmt_pct(d["pe_util"]), _fmt_pct(d["roofline_frac"]), _fmt_seconds(d["interp_s"]),
            _fmt_seconds(d["loaded_run_s"]), _fmt_seconds(res.get("torch_s")),
            _fmt_err(res.get("max_abs"))]) + " |")
    failures = [(r["name"], status_of(r)) for r in results if status_of(r) != "ok"]
    if failures:
        lines += ["", "Failures (first line of the error):", ""]
        lines += [f"- `{n}`: {s}" for n, s in failures]
    return "\n".join(lines) + "\n"


def _loadavg():
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return NA


def report(results, args, argv):
    """The whole markdown report."""
    try:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=30).stdout.strip()
        if commit and dirty:
            commit += " with uncommitted changes"
    except (OSError, subprocess.TimeoutExpired):
        commit = ""
    import torch
    header = [
        "# Benchmarks", "",
        "Made by `/usr/bin/python3 examples/bench/bench.py "
        + " ".join(argv) + "`" if argv else
        "Made by `/usr/bin/python3 examples/bench/bench.py`", "",
        f"- date: {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')}, tree: "
        f"{commit or 'unknown'}",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}, load average {_loadavg()}; PyTorch {torch.__version__} on "
        f"{torch.get_num_threads()} threads (wall times are noisy on a busy machine: "
        "compare the PyTorch minimum too)",
        f"- target: {args.target}; roofline peak: PE rows x cols x 2 FLOP x PE clock "
        "(bf16/fp16; fp32 at 1/4) and HBM bandwidth from isa/include/trn/targets.def",
        "- simulated figures come from `trn-run --stats`; \"n/a\" = not reported (or the "
        "model did not compile/run)",
        "- rel error = max|trn - torch| / max|torch|",
        "- interp process = wall time of `trn-run` (loading the .neff, one run on fresh "
        "memory, reading and writing .npy files); interp run = median time of "
        "trn_rt_model_run with the model loaded (`trn-run --repeat`; later runs reuse the "
        "HBM image with its constants, as a device keeps weights resident); PyTorch = "
        "median forward time of the model already in memory; both are measured in "
        f"{args.rounds} rounds, PyTorch's runs then the interpreter's, back to back, and "
        "the interp run / PyTorch ratio is the median of the rounds' ratios (each round "
        "sees the same machine load)", "",
        "## Summary", "", summary_table(results), "## Per model", ""]
    return "\n".join(header) + "\n" + "\n".join(model_table(r) for r in results)


def model_jobs(args):
    """[(name, paths, torch_fn factory, auto_cast)] for the example models asked for."""
    names = [n.strip() for n in args.models.split(",") if n.strip()]
    unknown = [n for n in names if n not in make_models.MODELS]
    if unknown:
        raise SystemExit(f"bench.py: unknown model(s) {', '.join(unknown)}; known: "
                         f"{', '.join(make_models.MODELS)}")
    jobs = []
    for name in names:
        paths = make_models.find_model_files(name)
        if paths is None:
            print(f"[bench] {name}: files missing, running make_models.py {name}",
                  file=sys.stderr)
            paths = make_models.export_model(name)
        jobs.append((name, paths, lambda n=name: model_torch_fn(n), args.auto_cast))
    return jobs


def gemm_jobs(args):
    """[(name, paths, torch_fn factory, auto_cast)] for the synthetic GEMMs."""
    jobs = []
    for spec in GEMMS:
        paths = write_gemm_model(spec, make_models.MODELS_DIR)
        jobs.append((spec.name, paths, lambda p=paths: gemm_torch_fn(p),
                     spec.auto_cast or args.auto_cast))
    return jobs


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        description="Benchmark example models: trnc, the reference interpreter and PyTorch.")
    parser.add_argument("--models",
                        help=f"comma-separated models, 'none' or 'all' (default mlp, or none with --gemm; "
                             f"known: {','.join(make_models.MODELS)}; 'all' for every one)")
    parser.add_argument("--gemm", action="store_true",
                        help="benchmark synthetic GEMMs (4096^3 auto-cast, 512^3 fp32, "
                             "1000x777x123, 1x4096x4096; written to examples/models/), "
                             "after the models given with --models if any")
    parser.add_argument("--build", default=os.path.join(ROOT, "build"),
                        help="build folder holding bin/trnc, bin/trn-run (default: build)")
    parser.add_argument("--auto-cast", default="none", choices=["none", "matmul", "all"],
                        help="trnc --auto-cast mode (default none; the GEMMs fix their own)")
    parser.add_argument("--target", default="trn1", help="trnc --target (default trn1)")
    parser.add_argument("--out", help="also write the report to this markdown file")
    parser.add_argument("--work", help="folder for .neff and output files (default: a "
                                       "temporary folder, removed afterwards)")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds allowed to each trnc / trn-run call (default 1800)")
    parser.add_argument("--interp-repeat", type=int, default=5,
                        help="runs of the loaded model whose median is the interpreter's run "
                             "time (trn-run --repeat; default 5, 0 = skip)")
    parser.add_argument("--torch-budget", type=float, default=3.0,
                        help="seconds of PyTorch runs per model, over all rounds (at least "
                             "3 runs a round; default 3)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of PyTorch runs then interpreter runs (each trn-run "
                             "--repeat N) back to back; the reported ratio is the median "
                             "of the rounds' ratios (default 3)")
    args = parser.parse_args(argv)
    if args.models is None:
        args.models = "" if args.gemm else "mlp"
    elif args.models == "all":
        args.models = ",".join(make_models.MODELS)
    elif args.models == "none":
        args.models = ""

    tools = Tools(os.path.abspath(args.build))
    targets = read_targets()
    if args.target not in targets:
        parser.error(f"unknown target '{args.target}' (targets.def has {', '.join(targets)})")
    jobs = model_jobs(args) + (gemm_jobs(args) if args.gemm else [])

    work = args.work or tempfile.mkdtemp(prefix="trn-bench-")
    os.makedirs(work, exist_ok=True)
    results = []
    try:
        for name, paths, torch_fn_factory, auto_cast in jobs:
            print(f"[bench] {name} ...", file=sys.stderr, flush=True)
            try:
                torch_fn = torch_fn_factory()
            except Exception as exc:  # report it in the table instead
                err = f"{type(exc).__name__}: {exc}".splitlines()[0]

                def torch_fn(err=err):
                    raise RuntimeError(err)
            res = bench_one(name, paths, torch_fn, tools, args, targets, work, auto_cast)
            print(f"[bench] {name}: {status_of(res)}", file=sys.stderr, flush=True)
            results.append(res)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    text = report(results, args, argv)
    print(text)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
