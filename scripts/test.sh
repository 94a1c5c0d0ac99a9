#!/usr/bin/env bash
# Sets up, builds and runs every test (lit: dialect, passes, pipelines,
# driver, runtime unit tests, CPU integration against the goldens; GPU tests
# run only where a GPU is present). The last line is the summary CI reads:
#   N passed, N failed, N skipped
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RAT_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh" || { echo "0 passed, 1 failed"; exit 1; }

log=$(mktemp)
/usr/lib/llvm-22/bin/lit -sv --time-tests "$build/test" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
/usr/bin/python3 - "$log" "$status" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
def count(name):
    m = re.search(r"^\s*%s\s*:\s*(\d+)" % name, text, re.M)
    return int(m.group(1)) if m else 0
passed = count("Passed") + count("Expectedly Failed")
failed = count("Failed") + count("Unexpectedly Passed") + count("Timed Out")
skipped = count("Unsupported") + count("Skipped") + count("Excluded")
if int(sys.argv[2]) != 0 and failed == 0:
    failed = 1  # lit failed without a counted test failure (config error)
print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
sys.exit(1 if failed else 0)
PY
