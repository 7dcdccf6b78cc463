#!/usr/bin/python3
"""Differential test: random ONNX graphs through the trn ISA path and the CPU
reference backend, both against numpy.

1. gen_graphs.py writes N graphs of seed S as ONNX backend-test folders (model.onnx,
   test_data_set_0/input_K.pb and output_K.pb with numpy's outputs).
2. trn-onnx-backend-test runs each through both paths: `ref` (import, CPU reference
   backend by MLIR JIT) and `isa` (import, lower to ISA, .neff, interpreter in strict
   mode), each compared with numpy's outputs (rtol 1e-3, atol 1e-4).
3. Every graph is one of: pass; unsupported (an op the importer or the ISA lowering
   does not handle yet: counted and printed, not a failure); mismatch (wrong values or
   shape); error (crash, timeout, trap, race, any other failure). Both paths are
   checked: a `ref` failure is also a bug (of the reference backend or of an op's
   import).
4. Each failure (up to --minimize of them) is shrunk: drop outputs, replace a node by
   a graph input of its shape, shrink a dim variable, while the failure keeps its
   kind; the smallest reproducer is written to --repro-dir as a backend-test folder
   plus .npy inputs/outputs, spec.json and README.txt with the commands to replay it.

Exit status: 0 when nothing failed, 1 on a failure, 2 on a usage or runner error.
Usage: tests/diff/run.sh [--count N] [--seed S] [options] (see --help).
"""
import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_graphs  # noqa: E402

RTOL, ATOL = 1e-3, 1e-4


def run_suite(args, data_dir, suite, jobs):
    """Runs trn-onnx-backend-test on data_dir/suite; {test: {path: (result, reason)}}."""
    cmd = [os.path.join(args.bin, "trn-onnx-backend-test"), "--data", data_dir, "--suite", suite,
           "-j", str(jobs), "--timeout", str(args.timeout), "--rtol", str(RTOL), "--atol", str(ATOL),
           "--no-expectations", "-v"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                       errors="replace")
    if p.returncode not in (0, 1):
        sys.stderr.write(p.stdout[-2000:])
        sys.stderr.write("diff: %s exited with %d\n" % (" ".join(cmd), p.returncode))
        sys.exit(2)
    results, cur = {}, None
    head = re.compile(r"^%s/(\S+) \([0-9.]+s\)$" % re.escape(suite))
    line_re = re.compile(r"^    (ref|isa): (pass|skip|FAIL)(?: - (.*))?$")
    for line in p.stdout.splitlines():
        m = head.match(line)
        if m:
            cur = m.group(1)
            results[cur] = {}
            continue
        m = line_re.match(line)
        if m and cur:
            results[cur][m.group(1)] = (m.group(2), m.group(3) or "")
    return results


def failure_kind(result, reason):
    """Kind of one path's result: pass, unsupported, or a failure kind."""
    if result == "pass":
        return "pass"
    if result == "skip":
        return "unsupported"
    if re.search(r"output \d+ '[^']*': shape ", reason):
        return "mismatch-shape"
    if re.search(r"elements differ|outputs, expected", reason):
        return "mismatch-values"
    m = re.match(r"(crashed|timeout|run|lower|emit|load|write|import|data|compiler)\b", reason)
    return "error-" + (m.group(1) if m else "other")


def classify(res):
    """(isa kind, ref kind) of one test's results."""
    isa = failure_kind(*res.get("isa", ("FAIL", "no result")))
    ref = failure_kind(*res.get("ref", ("FAIL", "no result")))
    # The runner reports the ref path before the ISA path starts: a process that died
    # with neither reported died in the importer or the reference backend.
    if isa == ref and isa in ("error-crashed", "error-timeout") and res.get("isa") == res.get("ref"):
        isa = "not-run"
    return isa, ref


def signature(res):
    """What a reduced graph must still show to count as the same failure."""
    isa, ref = classify(res)
    return tuple(sorted(("isa:" + isa if isa.startswith(("mismatch", "error")) else "",
                         "ref:" + ref if ref.startswith(("mismatch", "error")) else "")))


def same_failure(sig, res):
    got = signature(res)
    want = [s for s in sig if s]
    return all(s in got for s in want)


# ---- reduction -----------------------------------------------------------------------

def prune(spec):
    """Drops nodes nothing uses and inputs no node uses."""
    spec = copy.deepcopy(spec)
    live = set(spec["outputs"])
    keep = []
    for n in reversed(spec["nodes"]):
        if n["output"] in live:
            keep.append(n)
            live.update(n["inputs"])
    spec["nodes"] = list(reversed(keep))
    spec["inputs"] = [i for i in spec["inputs"] if i["name"] in live]
    return spec


def candidates(spec):
    """Smaller variants of spec, most promising first."""
    out = []
    if len(spec["outputs"]) > 1:
        for o in spec["outputs"]:
            c = copy.deepcopy(spec)
            c["outputs"] = [x for x in spec["outputs"] if x != o]
            out.append(prune(c))
    for n in spec["nodes"]:  # an output node dropped: its first operand is the output
        src = n["inputs"][0]
        if n["output"] in spec["outputs"] and any(m["output"] == src for m in spec["nodes"]):
            c = copy.deepcopy(spec)
            c["outputs"] = [src if o == n["output"] else o for o in spec["outputs"]]
            c["outputs"] = list(dict.fromkeys(c["outputs"]))
            out.append(prune(c))
    for k, n in enumerate(spec["nodes"]):
        if n["output"] in spec["outputs"] and len(spec["nodes"]) == 1:
            continue
        c = copy.deepcopy(spec)
        node = c["nodes"].pop(k)
        # Its output becomes a graph input of the same shape (positive if a consumer
        # needs positive values).
        positive = any(m["op"] in ("Sqrt", "Log", "Reciprocal", "Pow") or
                       (m["op"] == "Div" and m["inputs"][1:2] == [node["output"]])
                       for m in c["nodes"] if node["output"] in m["inputs"])
        c["inputs"].append({"name": node["output"], "shape": node["shape"], "init": False,
                            "kind": "positive" if positive else "signed"})
        c = prune(c)
        if c["nodes"]:
            out.append(c)
    for v, size in enumerate(spec["dims"]):
        for new in sorted({1, size // 2, size - 1}):
            if 1 <= new < size:
                c = copy.deepcopy(spec)
                c["dims"][v] = new
                out.append(c)
    return out


def size_of(spec):
    dims = spec["dims"]
    total = 0
    for i in spec["inputs"]:
        try:
            total += gen_graphs.prod(gen_graphs.ev_shape(i["shape"], dims))
        except Exception:
            pass
    return (len(spec["nodes"]), total)


def minimize(args, spec, sig, scratch):
    """Greedy reduction of spec while its failure keeps `sig`."""
    best = spec
    for rnd in range(args.max_rounds):
        folder = os.path.join(scratch, "r%d" % rnd)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        written = []
        for j, c in enumerate(candidates(best)):
            if size_of(c) >= size_of(best):
                continue
            c["name"] = "c%03d" % j
            try:
                gen_graphs.write_case(c, os.path.join(folder, c["name"]))
            except (ValueError, AssertionError):
                continue
            written.append(c)
        if not written:
            break
        results = run_suite(args, scratch, "r%d" % rnd, args.jobs)
        nxt = next((c for c in written if c["name"] in results and
                    same_failure(sig, results[c["name"]])), None)
        if nxt is None:
            break
        best = nxt
    return best


def used_dims(spec):
    """{variable: size} of the dim variables the spec's shapes still use."""
    used = set()

    def walk(e):
        if isinstance(e, list):
            if e[0] == "v":
                used.add(e[1])
            else:
                for x in e[1:]:
                    walk(x)
    for i in spec["inputs"]:
        for e in i["shape"]:
            walk(e)
    return {"d%d" % v: spec["dims"][v] for v in sorted(used)}


def write_repro(args, spec, name, reason):
    folder = os.path.join(args.repro_dir, name)
    shutil.rmtree(folder, ignore_errors=True)
    spec = copy.deepcopy(spec)
    spec["name"] = name
    feeds, expected = gen_graphs.write_case(spec, folder)
    cmd_in, cmd_exp = [], []
    for k, (n, data) in enumerate(feeds):
        np.save(os.path.join(folder, "input_%d.npy" % k), data)
        cmd_in.append("--input %s=input_%d.npy" % (n, k))
    for k, (n, data) in enumerate(expected):
        np.save(os.path.join(folder, "output_%d.npy" % k), data)
        cmd_exp.append("--expect %s=output_%d.npy" % (n, k))
    ops = ", ".join("%s(%s) -> %s" % (n["op"], ", ".join(n["inputs"]), n["output"])
                    for n in spec["nodes"])
    with open(os.path.join(folder, "README.txt"), "w") as f:
        f.write("trn differential test reproducer %s\n\n" % name)
        f.write("failure: %s\n" % reason)
        f.write("graph: %s\n" % ops)
        f.write("dims: %s\n\n" % used_dims(spec))
        f.write("replay, from this folder:\n")
        f.write("  trnc model.onnx -o model.neff\n")
        f.write("  trn-run model.neff --strict %s %s --rtol %g --atol %g\n" %
                (" ".join(cmd_in), " ".join(cmd_exp), RTOL, ATOL))
        f.write("  trn-onnx-backend-test --data %s --suite %s --filter '%s$' -v --no-expectations\n" %
                (os.path.dirname(os.path.abspath(args.repro_dir)),
                 os.path.basename(os.path.abspath(args.repro_dir)), name))
    return folder


# ---- main ----------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True, help="folder with trn-onnx-backend-test")
    ap.add_argument("--work", required=True, help="scratch folder (emptied)")
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ops", help="op mix, e.g. Add,MatMul:3 (default: --ops-file)")
    ap.add_argument("--ops-file", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "ops.txt"))
    ap.add_argument("--max-nodes", type=int, default=4)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--minimize", type=int, default=3, help="failures to minimize (0 = none)")
    ap.add_argument("--max-rounds", type=int, default=25)
    ap.add_argument("--repro-dir", help="where reproducers go (default WORK/repro)")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    args.repro_dir = args.repro_dir or os.path.join(args.work, "repro")
    ops = gen_graphs.parse_ops(args.ops) if args.ops else gen_graphs.read_ops_file(args.ops_file)

    t0 = time.time()
    suite = "random"
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(os.path.join(args.work, suite))
    specs = {}
    for i in range(args.count):
        spec = gen_graphs.generate(args.seed, i, ops, args.max_nodes)
        if spec is None:
            continue
        gen_graphs.write_case(spec, os.path.join(args.work, suite, spec["name"]))
        specs[spec["name"]] = spec
    t_gen = time.time() - t0
    results = run_suite(args, args.work, suite, args.jobs)
    t_run = time.time() - t0 - t_gen

    counts = {"pass": 0, "unsupported": 0, "mismatch": 0, "error": 0, "ref-only": 0}
    unsupported_ops, unsupported_why, failures = {}, {}, []
    for name in sorted(specs):
        res = results.get(name, {"isa": ("FAIL", "no result from the runner"), "ref": ("FAIL", "no result")})
        isa, ref = classify(res)
        if args.verbose:
            print("%s: isa %s, ref %s" % (name, isa, ref))
        if isa == "unsupported" and not ref.startswith(("mismatch", "error")):
            counts["unsupported"] += 1
            for op in sorted({n["op"] for n in specs[name]["nodes"]}):
                unsupported_ops[op] = unsupported_ops.get(op, 0) + 1
            why = re.sub(r"\d+", "N", res["isa"][1])[:100]
            unsupported_why[why] = unsupported_why.get(why, 0) + 1
            continue
        if isa == "pass" and ref == "pass":
            counts["pass"] += 1
            continue
        if isa == "not-run":
            counts["ref-only"] += 1
        elif isa.startswith("mismatch"):
            counts["mismatch"] += 1
        elif isa.startswith("error"):
            counts["error"] += 1
        else:
            counts["ref-only"] += 1
        failures.append(name)

    print("diff: %d graphs (seed %d, ops %s): %d pass, %d unsupported, %d mismatch, %d error, "
          "%d failures before the ISA path (import or reference backend)" % (len(specs), args.seed, ",".join(ops), counts["pass"],
                                             counts["unsupported"], counts["mismatch"], counts["error"],
                                             counts["ref-only"]))
    if unsupported_why:
        print("unsupported (graphs by op kind: %s):" %
              ", ".join("%s %d" % kv for kv in sorted(unsupported_ops.items())))
        for why, n in sorted(unsupported_why.items(), key=lambda kv: -kv[1])[:8]:
            print("  %4d  %s" % (n, why))
    for name in failures:
        res = results.get(name, {})
        print("FAIL %s: isa: %s | ref: %s" % (name, " - ".join(res.get("isa", ("FAIL", "?"))),
                                             " - ".join(res.get("ref", ("FAIL", "?")))))
    # One reproducer per kind of failure first, then more of the same kinds.
    seen, firsts, rest = set(), [], []
    for name in failures:
        sig = signature(results.get(name, {}))
        (rest if sig in seen else firsts).append(name)
        seen.add(sig)
    repros = []
    for name in (firsts + rest)[:args.minimize]:
        res = results.get(name, {})
        sig = signature(res)
        t1 = time.time()
        small = minimize(args, specs[name], sig, os.path.join(args.work, "min", name))
        reason = "; ".join("%s: %s" % (p, " - ".join(res.get(p, ("?", "?")))) for p in ("isa", "ref"))
        folder = write_repro(args, small, name, "%s (%s)" % (", ".join(s for s in sig if s), reason))
        nodes = ", ".join(n["op"] for n in small["nodes"])
        print("reproducer %s: %d -> %d nodes (%s), dims %s, %.1f s: %s" %
              (name, len(specs[name]["nodes"]), len(small["nodes"]), nodes, used_dims(small),
               time.time() - t1, folder))
        repros.append(folder)
    print("diff: wall %.1f s (generate %.1f s, run %.1f s)" % (time.time() - t0, t_gen, t_run))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
