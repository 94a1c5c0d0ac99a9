#!/usr/bin/env bash
# Runs on the GPU machine: checks the runtime's process stream, caching
# allocator and decode CUDA graphs on a real GPU. Builds nothing; expects
#   - $BUILD (default build/): unittests/Runtime/RatRuntimeTests and the
#     test/Runtime fake models (ninja RatRuntimeTests rat-fake-... here);
#   - $DEV (default .device/): the golden executables of
#     scripts/build-gpu-check.sh (rat_layer_small, rat_layer_ragged,
#     lm_tiny_rat, lm_tiny_hybrid).
# Checks: the GPU gtests (CudaExecution among them), the fake models on the
# GPU (graph replays of PTX decode steps), every golden's decode/generation
# with graphs (the -v line says they were captured) and with --no-graphs,
# both against the golden tensors, bench lines with and without graphs, and
# compute-sanitizer memcheck over a generation with graph replays.
# Prints a table; exits 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD:-build}
dev=${DEV:-.device}
out=${OUT:-/tmp/gpu-graphs-check}
py=${PYTHON:-python3}
ref=test/Integration/reference/compare.py
mkdir -p "$out"
fail=0
row() { printf '%-40s %s\n' "$1" "$2"; }
failed() { row "$1" "FAIL $2"; fail=1; }
check() { # name actual expected rtol [--exact]
  if r=$($py $ref "$2" "$3" --rtol "$4" ${5:-} --name "$1" 2>&1); then row "$1" "$r"; else failed "$1" "$r"; fi
}
nvidia-smi -L || true

# 1. gtests that need a GPU.
if "$build/unittests/Runtime/RatRuntimeTests" --gtest_filter='Cuda*' > "$out/gtest.log" 2>&1; then
  row "gtest Cuda*" "$(grep -E '^\[  PASSED  \]' "$out/gtest.log") $(grep -cE '^\[  SKIPPED \] Cuda' "$out/gtest.log") skipped"
else
  failed "gtest Cuda*" "$(grep -E 'FAILED|Failure' "$out/gtest.log" | head -5)"
fi

# 2. The fake models, on the simulated driver and on the GPU.
if PYTHON=$py sh test/Runtime/run_fake_model.sh "$build/test/Runtime" > "$out/fakes.log" 2>&1; then
  row "fake models" "$(tail -1 "$out/fakes.log")"
else
  failed "fake models" "$(grep FAIL "$out/fakes.log" | head -5)"
fi

# 3. Goldens, with graphs and without.
for g in rat_layer_small rat_layer_ragged; do
  G=test/golden/$g
  [ -x "$dev/$g" ] || { failed "$g" "no $dev/$g"; continue; }
  for mode in graphs eager; do
    flag=""; [ $mode = eager ] && flag=--no-graphs
    if "$dev/$g" $flag -v --weights $G/weights.safetensors --input $G/x.npy \
        --output "$out/$g.$mode.npy" --decode > "$out/$g.$mode.log" 2>&1; then
      check "$g y_decode ($mode)" "$out/$g.$mode.npy" $G/y_decode.npy 1e-5
      row "  $g $mode" "$(grep -o 'decode graphs: [^(]*' "$out/$g.$mode.log" | head -1)"
    else
      failed "$g decode ($mode)" "$(tail -2 "$out/$g.$mode.log")"
    fi
  done
  grep -q "decode graphs: captured" "$out/$g.graphs.log" || failed "$g graphs used" "$(grep 'decode graphs' "$out/$g.graphs.log")"
  for mode in graphs eager; do
    flag=""; [ $mode = eager ] && flag=--no-graphs
    "$dev/$g" $flag --weights $G/weights.safetensors --input $G/x.npy --output "$out/$g.b.npy" \
      --decode --bench 20 --warmup 2 > "$out/$g.bench.$mode.log" 2>&1 &&
      row "  $g bench ($mode)" "$(grep '^bench: decode' "$out/$g.bench.$mode.log")" ||
      failed "$g bench ($mode)" "$(tail -2 "$out/$g.bench.$mode.log")"
  done
done

for m in lm_tiny_rat lm_tiny_hybrid; do
  G=test/golden/$m
  [ -x "$dev/$m" ] || { failed "$m" "no $dev/$m"; continue; }
  P=$($py -c "import json;print(json.load(open('$G/meta.json'))['greedy_prompt_len'])")
  N=$($py -c "import json;print(json.load(open('$G/meta.json'))['greedy_new_tokens'])")
  for mode in graphs eager; do
    flag=""; [ $mode = eager ] && flag=--no-graphs
    if "$dev/$m" $flag -v --weights $G/weights.safetensors --tokens $G/tokens.npy --prompt-len $P \
        --generate $N --output "$out/$m.$mode.npy" > "$out/$m.$mode.log" 2>&1; then
      check "$m greedy ($mode)" "$out/$m.$mode.npy" $G/greedy.npy 0 --exact
      row "  $m $mode" "$(grep -o 'decode graphs: [^(]*' "$out/$m.$mode.log" | head -1)"
      row "  $m memory" "$(grep -o 'device memory: .*' "$out/$m.$mode.log")"
    else
      failed "$m generate ($mode)" "$(tail -2 "$out/$m.$mode.log")"
    fi
  done
  grep -q "decode graphs: captured" "$out/$m.graphs.log" || failed "$m graphs used" "$(grep 'decode graphs' "$out/$m.graphs.log")"
  # Longer generation for timing (max-seq-len 128 in build-gpu-check.sh).
  for mode in graphs eager; do
    flag=""; [ $mode = eager ] && flag=--no-graphs
    "$dev/$m" $flag --weights $G/weights.safetensors --tokens $G/tokens.npy --prompt-len $P \
      --generate 64 --output "$out/$m.b.npy" --bench 10 --warmup 2 > "$out/$m.bench.$mode.log" 2>&1 &&
      row "  $m bench ($mode)" "$(grep '^bench: decode' "$out/$m.bench.$mode.log")" ||
      failed "$m bench ($mode)" "$(tail -2 "$out/$m.bench.$mode.log")"
  done
done

# 4. compute-sanitizer over graph replays.
cs=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
if [ -x "$cs" ] && [ -x "$dev/lm_tiny_rat" ]; then
  G=test/golden/lm_tiny_rat
  "$cs" --tool memcheck --error-exitcode 3 "$dev/lm_tiny_rat" -v --weights $G/weights.safetensors \
    --tokens $G/tokens.npy --prompt-len 4 --generate 16 --output "$out/cs.npy" > "$out/cs.log" 2>&1 &&
    row "sanitizer memcheck (graphs)" "$(grep -m1 'ERROR SUMMARY' "$out/cs.log" || echo clean) $(grep -o 'decode graphs: [^(]*' "$out/cs.log" | head -1)" ||
    failed "sanitizer memcheck (graphs)" "$(grep -m3 -E 'ERROR|Invalid|error' "$out/cs.log")"
fi

[ $fail -eq 0 ] && echo "all passed" || echo "FAILURES (logs in $out)"
exit $fail
