#!/usr/bin/python3
"""Tests of bench.py's parsers and counters (no trn build needed).

run: /usr/bin/python3 -m unittest discover -s examples/bench -p 'test_*.py'
"""
import os
import sys
import tempfile
import unittest

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

TRN_RUN_STATS = """\
target: trn1
cycles: 32286 (PE clock 2.80 GHz)
simulated time: 11.531 us
instructions: 58
engine busy: act 2.4% pe 13.3% q0 56.9% q10 36.1%
PE utilization: 0.31% (1622016 MACs)
DMA bytes: 839520
interpreter wall time: 9.123 ms
"""

TIME_V = """\
trnc: error: m.onnx: lowering failed:
m.onnx:0:0: error: trn: trn-allocate is not implemented yet
\tCommand being timed: "trnc m.onnx -o m.neff"
\tElapsed (wall clock) time (h:mm:ss or m:ss): 1:02.50
\tMaximum resident set size (kbytes): 97040
"""

OBJDUMP = """\
# trn assembly listing (.neff format 1.0)
# inputs 2, outputs 1, constants 2, descriptors 2, streams: act 1 q0 1 q1 2
.target trn1
.stream act
    activate op0=relu dst=sbuf[0:2]+0x100 fp32 [4:1]    # 0
.stream q1
    dma imm0=1 aux=1 wait=s1>=1    # 0
    halt    # 1
.desc src=hbm+0x0 fp32 [2:4,4:1] dst=sbuf+0x0 fp32 [2:49152,4:1]    # 0
"""


class TestParsers(unittest.TestCase):
    def test_run_stats_reads_trn_run_output(self):
        stats = bench.parse_run_stats(TRN_RUN_STATS)
        self.assertEqual(stats["cycles"], 32286)
        self.assertAlmostEqual(stats["seconds"], 11.531e-6)
        self.assertEqual(stats["instructions"], 58)
        self.assertAlmostEqual(stats["pe_utilization"], 0.0031)
        self.assertEqual(stats["macs"], 1622016)
        self.assertEqual(stats["dma_bytes"], 839520)
        self.assertAlmostEqual(stats["run_wall_s"], 9.123e-3)
        self.assertAlmostEqual(stats["engine_busy"]["q10"], 0.361)

    def test_run_stats_tolerates_other_wordings(self):
        stats = bench.parse_run_stats("total_cycles = 1,000\ntime (ns): 357\n"
                                      "pe_util: 0.5\n")
        self.assertEqual(stats["cycles"], 1000)
        self.assertAlmostEqual(stats["seconds"], 357e-9)
        self.assertAlmostEqual(stats["pe_utilization"], 0.5)
        self.assertEqual(bench.parse_run_stats("garbage\n\n"), {})

    def test_time_v_gives_wall_and_rss(self):
        wall, rss = bench.parse_time_v(TIME_V)
        self.assertAlmostEqual(wall, 62.5)
        self.assertEqual(rss, 97040 * 1024)
        self.assertEqual(bench.parse_time_v("nothing"), (None, None))

    def test_first_error_line_joins_its_introduction(self):
        line = bench.first_error_line(bench.strip_time_v(TIME_V), "fallback")
        self.assertEqual(line, "trnc: error: m.onnx: lowering failed: m.onnx:0:0: error: trn: "
                               "trn-allocate is not implemented yet")
        self.assertEqual(bench.first_error_line("", "fallback"), "fallback")

    def test_objdump_counts_instructions(self):
        self.assertEqual(bench.parse_objdump_instructions(OBJDUMP), 4)
        no_summary = "\n".join(l for l in OBJDUMP.splitlines() if "streams:" not in l)
        self.assertEqual(bench.parse_objdump_instructions(no_summary), 3)
        self.assertIsNone(bench.parse_objdump_instructions("# header only\n"))


class TestCounts(unittest.TestCase):
    def _save(self, nodes, inputs, outputs, inits):
        graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        fd, path = tempfile.mkstemp(suffix=".onnx")
        os.close(fd)
        self.addCleanup(os.remove, path)
        onnx.save(model, path)
        return path

    def test_count_graph_counts_matmul_conv_and_bytes(self):
        w = numpy_helper.from_array(np.zeros((8, 3, 3, 3), np.float32), "w")
        b = numpy_helper.from_array(np.zeros((8 * 4 * 4, 5), np.float32), "b")
        shape = helper.make_node("Constant", [], ["s"], value=numpy_helper.from_array(
            np.array([1, 128], np.int64)))
        path = self._save(
            [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]), shape,
             helper.make_node("Reshape", ["c", "s"], ["r"]),
             helper.make_node("MatMul", ["r", "b"], ["y"])],
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])], [w, b])
        counts = bench.count_graph(path)
        self.assertEqual(counts["macs"], 8 * 4 * 4 * 27 + 128 * 5)
        self.assertEqual(counts["flops"], 2 * counts["macs"])
        self.assertEqual(counts["weight_bytes"], (8 * 27 + 128 * 5) * 4 + 16)
        self.assertEqual(counts["io_bytes"], (48 + 5) * 4)
        half = bench.count_graph(path, auto_cast="matmul")
        self.assertEqual(half["weight_bytes"], (8 * 27 + 128 * 5) * 2 + 16)

    def test_gemm_macs_follow_trans_a(self):
        a = numpy_helper.from_array(np.zeros((6, 2), np.float32), "a")
        path = self._save(
            [helper.make_node("Gemm", ["a", "x"], ["y"], transA=1)],
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [6, 3])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], [a])
        self.assertEqual(bench.count_graph(path)["macs"], 2 * 3 * 6)

    def test_top1_only_for_classifier_outputs(self):
        logits = np.zeros((2, 10), dtype=np.float32)
        logits[0, 3] = logits[1, 7] = 1.0
        self.assertEqual(bench.top1(logits, logits), "agrees (2 rows)")
        other = logits.copy()
        other[1, 7], other[1, 2] = 0.0, 1.0
        self.assertEqual(bench.top1(other, logits), "differs in 1 of 2 rows (first: 2 vs 7)")
        self.assertEqual(bench.top1(logits[:1], logits[:1]), "agrees (class 3)")
        self.assertIsNone(bench.top1(np.zeros((1, 128, 256)), np.zeros((1, 128, 256))))
        self.assertIsNone(bench.top1(np.zeros((8, 4)), np.zeros((8, 4))))

    def test_roofline_uses_the_larger_bound(self):
        target = {"pe_rows": 128, "pe_cols": 128, "pe_ghz": 2.8, "hbm_gbps": 410.0}
        compute, kind = bench.roofline_seconds({"flops": 2 * 4096 ** 3, "hbm_bytes": 0},
                                               target, "bf16")
        self.assertEqual(kind, "compute")
        self.assertAlmostEqual(compute, 2 * 4096 ** 3 / (128 * 128 * 2 * 2.8e9))
        fp32, _ = bench.roofline_seconds({"flops": 2 * 4096 ** 3, "hbm_bytes": 0}, target,
                                         "fp32")
        self.assertAlmostEqual(fp32, 4 * compute)
        memory, kind = bench.roofline_seconds({"flops": 0, "hbm_bytes": 410e9}, target, "fp32")
        self.assertEqual((memory, kind), (1.0, "memory"))

    def test_targets_def_is_read(self):
        targets = bench.read_targets()
        self.assertEqual(targets["trn1"]["pe_rows"], 128)
        self.assertAlmostEqual(targets["trn1"]["pe_ghz"], 2.8)
        self.assertAlmostEqual(targets["trn1"]["hbm_gbps"], 410.0)

    def test_compare_is_normwise(self):
        self.assertEqual(bench.compare([1.0, 2.5], [1.0, 2.0]), (0.5, 0.25))
        self.assertEqual(bench.compare([1.0], [1.0, 2.0]), (None, None))


if __name__ == "__main__":
    unittest.main()
