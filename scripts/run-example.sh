#!/usr/bin/env bash
# Sets up and builds rat-mlir, then compiles the bundled tiny RAT language
# model (examples/tiny_rat_lm) into a standalone executable and generates
# tokens with it: on the GPU where one is present, on the CPU otherwise.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${RAT_BUILD_DIR:-$root/build}
"$root/scripts/setup.sh"

target=cpu
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
  target=cuda
fi
example=$root/examples/tiny_rat_lm
out=$(mktemp -d)
echo "[example] rat-opt: the rat-to-cpu pipeline on examples/rat_layer.mlir"
"$build/bin/rat-opt" "$root/examples/rat_layer.mlir" --rat-to-cpu | grep -c "llvm.func" \
  | sed 's/^/[example] llvm.func count after rat-to-cpu: /'
echo "[example] compiling $example/model.json for --target $target"
"$build/bin/rat-compile" --model "$example/model.json" --target "$target" \
  --max-seq-len 64 -v -o "$out/tiny_rat_lm"
echo "[example] generating 16 tokens after a 16-token prompt"
"$out/tiny_rat_lm" --weights "$example/weights.safetensors" \
  --tokens "$example/prompt.npy" --prompt-len 16 --generate 16 \
  --output "$out/generated.npy" -v
/usr/bin/python3 - "$out/generated.npy" "$example/expected_greedy.npy" <<'PY'
import sys, numpy as np
got, want = np.load(sys.argv[1]), np.load(sys.argv[2])
print("[example] prompt   :", got[0, :16].tolist())
print("[example] generated:", got[0, 16:].tolist())
same = np.array_equal(got, want)
print("[example] matches the float64 reference's greedy tokens:", same)
sys.exit(0 if same else 1)
PY
