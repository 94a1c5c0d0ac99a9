"""Compiles dynamic_ops.mlir with the given --pipeline-options, runs it on
the inputs dynamic_ops_ref.py wrote to WORK/data and compares every output
with the reference (compare.py semantics). Prints `NAME: ... OK|FAIL` per
output and `all N outputs OK`; exits 1 on any failure.

  dynamic_shapes.test.py MLIR WORK PIPELINE_OPTIONS
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(HERE, "..", "reference"))
import compare as C  # noqa: E402

mlir, work, options = sys.argv[1:4]
data = os.path.join(work, "data")
exe = os.path.join(work, "ops.exe")
cmd = ["rat-compile", mlir, "-o", exe]
if options:
    cmd += ["--pipeline-options", options]
subprocess.run(cmd, check=True)
flags = open(os.path.join(data, "args.txt")).read().split()
subprocess.run([exe] + flags, check=True)
results = [flags[i + 1] for i in range(len(flags)) if flags[i] == "--result"]
failed = 0
for path in results:
    name = os.path.basename(path)[:-4]
    ok, line = C.compare(path, os.path.join(data, "expected_" + name + ".npy"),
                         rtol=1e-5, name=name)
    failed += not ok
    print(line)
if failed:
    sys.exit(1)
print("all %d outputs OK" % len(results))
