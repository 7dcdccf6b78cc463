#!/usr/bin/python3
"""Writes tests/onnx/not-passing.txt: every ONNX backend test that does not pass on
the CPU reference path, with the reason the runner gives (one line each).

usage: /usr/bin/python3 tests/onnx/list_not_passing.py BUILD_DIR
"""
import os
import re
import subprocess
import sys


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    runner = os.path.join(build, "bin", "trn-onnx-backend-test")
    out = subprocess.run([runner, "-j", "2", "--no-isa", "--no-expectations", "-v"],
                         capture_output=True, text=True, check=False).stdout
    rows, test = [], None
    for line in out.splitlines():
        m = re.match(r"^(\S+/\S+) \(", line)
        if m:
            test = m.group(1)
            continue
        m = re.match(r"^\s+ref: (skip|fail) - (.*)$", line)
        if m and test:
            reason = re.sub(r"\s+", " ", m.group(2)).strip()
            rows.append(f"{test} ref {m.group(1)}: {reason}")
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "not-passing.txt"), "w") as f:
        f.write("# ONNX backend tests that do not pass on the CPU reference path, with the\n"
                "# runner's reason. Regenerate: /usr/bin/python3 tests/onnx/list_not_passing.py BUILD\n")
        f.write("\n".join(sorted(set(rows))) + "\n")
    print(f"{len(set(rows))} tests listed")


if __name__ == "__main__":
    main()
