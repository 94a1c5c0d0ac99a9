#!/usr/bin/python3
"""Run op_case.py on every case folder of a make_case.py suite.

  run_op_suite.py SUITE_DIR --work DIR [--rat-compile PATH] [--target cpu|cuda]
                  [--build-only | --run-only] [--jobs N] [--filter SUBSTR]

SUITE_DIR holds one sub-folder per case (`make_case.py suite --out
SUITE_DIR`). Each case is compiled and run by op_case.py in WORK/<case>;
prints `CASE: OK` or `CASE: FAIL` (followed by op_case.py's output) per case
in name order, then `N passed, M failed`, and exits 1 on any failure.
--jobs runs that many cases at once (default: the number of CPUs, at most 4).
--xfail CASE,... names cases that fail because of a known bug: they print
`CASE: XFAIL` when they fail and `CASE: XPASS` (counted as a failure, so
the list is kept up to date) when they pass.
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OP_CASE = os.path.join(HERE, "op_case.py")


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("suite", help="folder of case folders (make_case.py suite)")
    ap.add_argument("--work", required=True)
    ap.add_argument("--rat-compile", default=None)
    ap.add_argument("--target", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--pipeline-options", default="",
                    help="passed through to rat-compile")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--build-only", action="store_true")
    mode.add_argument("--run-only", action="store_true")
    ap.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 4))
    ap.add_argument("--filter", default="", help="only cases whose name "
                    "contains this")
    ap.add_argument("--xfail", default="", help="comma-separated cases "
                    "expected to fail (known bugs)")
    a = ap.parse_args(argv)

    cases = sorted(d for d in os.listdir(a.suite)
                   if os.path.isfile(os.path.join(a.suite, d, "case.json"))
                   and a.filter in d)
    if not cases:
        print(f"error: no case folders under {a.suite}", file=sys.stderr)
        return 2

    def one(case):
        cmd = [sys.executable, OP_CASE, os.path.join(a.suite, case),
               "--work", os.path.join(a.work, case), "--target", a.target]
        if a.rat_compile:
            cmd += ["--rat-compile", a.rat_compile]
        if a.pipeline_options:
            cmd += ["--pipeline-options", a.pipeline_options]
        if a.build_only:
            cmd.append("--build-only")
        if a.run_only:
            cmd.append("--run-only")
        p = subprocess.run(cmd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        return case, p.returncode, p.stdout

    xfail = {c.strip() for c in a.xfail.split(",") if c.strip()}
    unknown = xfail - set(cases)
    if unknown:
        print(f"error: --xfail names unknown cases: {', '.join(sorted(unknown))}",
              file=sys.stderr)
        return 2
    failed = xfailed = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, a.jobs)) as pool:
        for case, rc, out in pool.map(one, cases):
            if case in xfail:
                if rc == 0:
                    failed += 1
                    print(f"{case}: XPASS (listed in --xfail but passes)",
                          flush=True)
                else:
                    xfailed += 1
                    print(f"{case}: XFAIL", flush=True)
            elif rc == 0:
                print(f"{case}: OK", flush=True)
            else:
                failed += 1
                print(f"{case}: FAIL", flush=True)
                for line in out.splitlines():
                    print("    " + line)
    print(f"{len(cases) - failed - xfailed} passed, {failed} failed"
          + (f", {xfailed} expected failures" if xfailed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
