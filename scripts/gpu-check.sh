#!/usr/bin/env bash
# Runs on the GPU machine (through the device tool) over executables built
# beforehand by scripts/build-gpu-check.sh into .device/: checks every golden
# through the cuda target (executables, and in-process model libraries from
# .device/library/ where built), random paper-width layers against a float64
# torch reference, and runs compute-sanitizer (memcheck, racecheck) on a golden.
# Builds nothing. Prints a table; exits 1 on any failure.
# GPU_CHECK_DIR: where the executables are (default .device);
# GPU_CHECK_ONLY=chips: the multi-chip and device-code checks alone.
set -uo pipefail
cd "$(dirname "$0")/.."
dev=${GPU_CHECK_DIR:-.device}
out=${OUT:-/tmp/gpu-check}
mkdir -p "$out"
fail=0
nvidia-smi -L || true
py=python3
ref=test/Integration/reference/compare.py
row() { printf '%-34s %s\n' "$1" "$2"; }

check() {  # name actual expected rtol [--exact]
  if r=$($py $ref "$2" "$3" --rtol "$4" ${5:-} --name "$1" 2>&1); then row "$1" "$r"; else row "$1" "FAIL $r"; fail=1; fi
}

# GPU_CHECK_ONLY=generation: only the generation rows (the executables
# build-gpu-check.sh puts into .device/serving), nothing else needed.
only=${GPU_CHECK_ONLY:-}
# GPU_CHECK_QUICK=1: goldens only (no random layers, no sanitizers);
# GPU_CHECK_SANITIZE=0: everything but the sanitizers.
quick=${GPU_CHECK_QUICK:-0}
# GPU_CHECK_RANDOM=0: no random layers (goldens, matmuls, sanitizers).
random=${GPU_CHECK_RANDOM:-1}

if [ "$only" != generation ]; then
# Several chips in one executable (--chip sm_80,sm_90a): the driver picks the
# sm_90a cubin here and the numbers are the golden's; an executable for
# sm_80 alone runs on a Hopper GPU through its compute_80 PTX (JIT-compiled
# by the driver). The runtime's -v line names the code it runs.
G=test/golden/lm_tiny_rat
for v in sm80_90a sm80; do
  [ -x "$dev/lm_tiny_rat.$v" ] || continue
  "$dev/lm_tiny_rat.$v" --weights $G/weights.safetensors --tokens $G/tokens.npy --logits $out/chips_$v.npy -v \
    > $out/chips_$v.log 2>&1 && check "lm_tiny_rat --chip $v logits" $out/chips_$v.npy $G/logits.npy 1e-4 \
    || { row "lm_tiny_rat --chip $v" "FAIL $(tail -2 $out/chips_$v.log)"; fail=1; }
  row "lm_tiny_rat --chip $v code" "$(grep -m1 -o 'kernels: .*' $out/chips_$v.log || echo 'FAIL no kernels line')"
  grep -q 'kernels: ' $out/chips_$v.log || fail=1
done
# The device code alone (--emit cubin/fatbin), loaded by the driver API with
# no rat runtime and checked against its kernel table; an sm_80 cubin does
# not load on a Hopper GPU (CUDA_ERROR_NO_BINARY_FOR_GPU).
for f in layer.fatbin layer.sm90a.cubin "layer.sm80.cubin --expect-no-binary"; do
  set -- $f
  [ -f "$dev/$1" ] || continue
  r=$($py scripts/gpu/device_code_check.py $dev/$1 ${2:-} 2>&1) && row "driver API load $1" "$r" \
    || { row "driver API load $1" "FAIL $r"; fail=1; }
done
if [ "$only" = chips ]; then
  echo "gpu-check: $([ $fail = 0 ] && echo PASS || echo FAIL)"
  exit $fail
fi

fi

if [ "$only" != generation ]; then
for g in rat_layer_small rat_layer_ragged; do
  G=test/golden/$g
  "$dev/$g" --weights $G/weights.safetensors --input $G/x.npy --output $out/$g.y.npy -v > $out/$g.log 2>&1 \
    && check "$g y (prefill)" $out/$g.y.npy $G/y.npy 1e-5 || { row "$g prefill" "FAIL $(tail -2 $out/$g.log)"; fail=1; }
  "$dev/$g" --weights $G/weights.safetensors --input $G/x.npy --output $out/$g.yd.npy --decode -v > $out/$g.d.log 2>&1 \
    && check "$g y_decode" $out/$g.yd.npy $G/y_decode.npy 1e-5 || { row "$g decode" "FAIL $(tail -2 $out/$g.d.log)"; fail=1; }
  "$dev/$g.inter" --weights $G/weights.safetensors --arg $G/x.npy --result $out/y.npy --result $out/gate.npy \
     --result $out/z.npy --result $out/q.npy --result $out/k.npy --result $out/v.npy --result $out/v_scan.npy \
     --result $out/k_scan.npy > $out/$g.i.log 2>&1 || { row "$g intermediates" "FAIL $(tail -2 $out/$g.i.log)"; fail=1; }
  for t in gate q k v v_scan k_scan; do check "$g $t" $out/$t.npy $G/$t.npy 1e-5; done
  # bf16: the decode steps' projections are gemv kernels (B rows), the
  # input norm folded into the first; prefill (B x T rows) tensor cores.
  if [ -x "$dev/$g.bf16" ]; then
    "$dev/$g.bf16" --weights $G/weights.safetensors --input $G/x.npy --output $out/$g.yb.npy -v > $out/$g.b.log 2>&1 \
      && check "$g y bf16 (prefill)" $out/$g.yb.npy $G/y.npy 2e-2 || { row "$g bf16 prefill" "FAIL $(tail -2 $out/$g.b.log)"; fail=1; }
    "$dev/$g.bf16" --weights $G/weights.safetensors --input $G/x.npy --output $out/$g.ydb.npy --decode -v > $out/$g.db.log 2>&1 \
      && check "$g y_decode bf16" $out/$g.ydb.npy $G/y_decode.npy 2e-2 || { row "$g bf16 decode" "FAIL $(tail -2 $out/$g.db.log)"; fail=1; }
  fi
done

for m in lm_tiny_rat lm_tiny_hybrid; do
  G=test/golden/$m
  P=$($py -c "import json;print(json.load(open('$G/meta.json'))['greedy_prompt_len'])")
  N=$($py -c "import json;print(json.load(open('$G/meta.json'))['greedy_new_tokens'])")
  "$dev/$m" --weights $G/weights.safetensors --tokens $G/tokens.npy --logits $out/$m.l.npy > $out/$m.log 2>&1 \
    && check "$m logits" $out/$m.l.npy $G/logits.npy 1e-4 || { row "$m logits" "FAIL $(tail -2 $out/$m.log)"; fail=1; }
  "$dev/$m" --weights $G/weights.safetensors --tokens $G/tokens.npy --prompt-len $P --generate $N \
     --output $out/$m.g.npy -v > $out/$m.g.log 2>&1 \
    && check "$m greedy" $out/$m.g.npy $G/greedy.npy 0 --exact || { row "$m greedy" "FAIL $(tail -2 $out/$m.g.log)"; fail=1; }
  if [ -x "$dev/$m.bf16" ]; then
    "$dev/$m.bf16" --weights $G/weights.safetensors --tokens $G/tokens.npy --logits $out/$m.lb.npy > $out/$m.b.log 2>&1 \
      && check "$m logits bf16" $out/$m.lb.npy $G/logits.npy 2e-2 || { row "$m bf16" "FAIL $(tail -2 $out/$m.b.log)"; fail=1; }
    # bf16 logits differ from the f32 reference by ~1e-2 relative; greedy
    # tokens can flip where the reference's top-2 logit margin is smaller:
    # report how many differ and the golden's smallest margin, not a failure.
    "$dev/$m.bf16" --weights $G/weights.safetensors --tokens $G/tokens.npy --prompt-len $P --generate $N \
       --output $out/$m.gb.npy -v > $out/$m.gb.log 2>&1 \
      && row "$m greedy bf16" "$($py - $out/$m.gb.npy $G/greedy.npy $G/logits.npy $P <<'PY'
import sys, numpy as np
got, want, logits, p = np.load(sys.argv[1]), np.load(sys.argv[2]), np.load(sys.argv[3]), int(sys.argv[4])
top2 = np.sort(logits, -1)[..., -2:]
margin = (top2[..., 1] - top2[..., 0])[:, p - 1:].min()
diff = int((got != want).sum())
print("%d of %d generated tokens differ from the f32 golden (its smallest top-2 logit margin in the prompt+golden rows: %.4f)" % (diff, want[:, p:].size, margin))
PY
)" || { row "$m greedy bf16" "FAIL $(tail -2 $out/$m.gb.log)"; fail=1; }
  fi
done

# Out of memory (docs/Limits.md): one `error: out of device memory ...` line,
# exit status 1, no output file. 2,400,000 sequences: the [B, 64, 300] f32
# logits the prefill slices are gathered into (172 GiB) cannot be allocated
# (a real cuMemAlloc failure, after one slice ran); RAT_TEST_ALLOC_LIMIT (the
# runtime's test hook, above every weight) refuses a buffer of compiled code
# of a 16-sequence prefill.
if [ -x "$dev/lm_tiny_rat" ]; then
  G=test/golden/lm_tiny_rat
  $py -c "import numpy as np; np.save('$out/oom_tokens.npy', np.zeros((2400000, 64), np.int32)); np.save('$out/oom_batch.npy', np.tile(np.load('$G/tokens.npy'), (16, 1)))"
  oom() {  # name expected-regex command...
    local name=$1 want=$2; shift 2
    rm -f $out/oom.npy
    "$@" > $out/oom.log 2>&1; local rc=$?
    if [ $rc = 1 ] && grep -qE "$want" $out/oom.log && [ ! -e $out/oom.npy ]; then
      row "$name" "$(grep -m1 '^error' $out/oom.log | cut -c1-160)"
    else row "$name" "FAIL rc=$rc $(tail -2 $out/oom.log)"; fail=1; fi
  }
  oom "out of memory: logits tensor" \
    "^error: out of device memory allocating 184320000000 bytes \(171\.7 GiB\) for a f32 tensor \[2400000, 64, 300\] \(cuMemAlloc failed: out of memory" \
    "$dev/lm_tiny_rat" --weights $G/weights.safetensors --tokens $out/oom_tokens.npy --logits $out/oom.npy
  oom "out of memory: compiled code" \
    "^error: out of device memory allocating [0-9]+ bytes .* for a buffer of compiled code in entry 'prefill' \(refused by RAT_TEST_ALLOC_LIMIT" \
    env RAT_TEST_ALLOC_LIMIT=1000000 "$dev/lm_tiny_rat" --weights $G/weights.safetensors --tokens $out/oom_batch.npy --logits $out/oom.npy
  rm -f $out/oom_tokens.npy $out/oom_batch.npy
fi

# The model as a library (rat-compile --emit shared, C API of rat_model.h):
# the golden LM in-process through the Python module (rat.load), and the C
# example host on the bundled tiny LM.
if [ -d "$dev/library" ]; then
  for m in lm_tiny_rat lm_tiny_hybrid; do
    [ -f "$dev/library/lib$m.so" ] || continue
    $py scripts/gpu/library_check.py --library "$dev/library/lib$m.so" --golden test/golden/$m \
      > $out/lib_$m.log 2>&1 && sed "s/^library/$m library/" $out/lib_$m.log \
      || { sed "s/^library/$m library/" $out/lib_$m.log | tail -6; row "$m library" "FAIL"; fail=1; }
    # bf16 decode steps (gemv kernels, the norms folded into them), teacher
    # forced over the golden's tokens: logits within 2e-2 of the f32
    # reference (greedy tokens of these tiny random LMs flip where the
    # reference's top-2 margin is below the bf16 error; not checked).
    [ -f "$dev/library/lib$m.bf16.so" ] || continue
    if r=$($py scripts/gpu/decode_logits_check.py --golden test/golden/$m --library bf16="$dev/library/lib$m.bf16.so" \
         --rtol 2e-2 --work $out/dlc 2>&1); then
      row "$m decode logits bf16" "$(echo "$r" | tail -1 | sed 's/^bf16 *//')"
    else
      row "$m decode logits bf16" "FAIL $(echo "$r" | tail -2)"; fail=1
    fi
  done
  # The same at the 1.3B width (Dh 128: the ropes the decode attention steps
  # apply, 4 dims per lane), a RAT and an SWA layer, against float64 on
  # seeded random weights (scripts/gpu/rand_lm_2048.json).
  if [ -f "$dev/library/librand_lm_2048.bf16.so" ]; then
    if r=$($py scripts/gpu/decode_logits_check.py --random scripts/gpu/rand_lm_2048.json --tokens 64 --prompt 24 \
         --library bf16="$dev/library/librand_lm_2048.bf16.so" --rtol 2e-2 --work $out/dlc 2>&1); then
      row "rand_lm_2048 decode logits bf16" "$(echo "$r" | tail -1 | sed 's/^bf16 *//')"
    else
      row "rand_lm_2048 decode logits bf16" "FAIL $(echo "$r" | tail -2)"; fail=1
    fi
  fi
  if [ -x "$dev/library/tiny_rat_lm_generate" ]; then
    r=$("$dev/library/tiny_rat_lm_generate" examples/tiny_rat_lm/weights.safetensors 2>&1) \
      && row "C example (tiny_rat_lm, cuda)" "$(echo "$r" | grep -E '^(match|MISMATCH)')" \
      || { row "C example (tiny_rat_lm, cuda)" "FAIL $(echo "$r" | tail -2)"; fail=1; }
    want=$($py -c "import numpy as np; print(' '.join(map(str, np.load('examples/tiny_rat_lm/expected_greedy.npy')[0, 16:])))")
    echo "$r" | grep -q "^generate:  $want\$" && row "C example greedy" "= expected_greedy.npy" \
      || { row "C example greedy" "FAIL: $(echo "$r" | grep '^generate:') vs $want"; fail=1; }
  fi
fi

# Random paper-width layers (D 2048, 16x128 heads, G 2, L 16) vs float64 torch.
if [ "$quick" = 0 ] && [ "$random" != 0 ] && [ -x "$dev/rat_layer_2048" ]; then
  for bt in "1 16" "2 1000" "8 512" "1 4096"; do
    set -- $bt
    $py scripts/gpu/random_layer_check.py --exe $dev/rat_layer_2048 --batch $1 --tokens $2 --work $out \
      > $out/rand_$1_$2.log 2>&1 && row "random B=$1 T=$2" "$(tail -1 $out/rand_$1_$2.log)" \
      || { row "random B=$1 T=$2" "FAIL $(tail -3 $out/rand_$1_$2.log)"; fail=1; }
  done
fi

# bf16 (tensor-core projections and chunk attention): relative error of a
# bf16 computation, <= 2e-2 against float64. On sm_90a the chunk attention
# is the wgmma kernel (128 queries x 128 states per step, 2 stages): 12000
# tokens take 6 steps, so its buffer ring wraps.
if [ "$quick" = 0 ] && [ "$random" != 0 ] && [ -x "$dev/rat_layer_2048.bf16" ]; then
  for bt in "1 16" "1 77" "2 1000" "3 200" "1 4096" "1 12000"; do
    set -- $bt
    $py scripts/gpu/random_layer_check.py --exe $dev/rat_layer_2048.bf16 --batch $1 --tokens $2 --work $out \
      --rtol 2e-2 > $out/randb_$1_$2.log 2>&1 && row "random bf16 B=$1 T=$2" "$(tail -1 $out/randb_$1_$2.log)" \
      || { row "random bf16 B=$1 T=$2" "FAIL $(tail -3 $out/randb_$1_$2.log)"; fail=1; }
  done
fi
# Head size 64 (D 1024, 16 x 64 heads): the wgmma chunk attention with its
# fused output gate at its other head size; 5000 tokens wrap its ring.
if [ "$quick" = 0 ] && [ "$random" != 0 ] && [ -x "$dev/rat_layer_h64.bf16" ]; then
  for bt in "2 1000" "1 5000"; do
    set -- $bt
    $py scripts/gpu/random_layer_check.py --exe $dev/rat_layer_h64.bf16 --config scripts/gpu/rat_layer_h64.json \
      --batch $1 --tokens $2 --work $out --rtol 2e-2 > $out/randh_$1_$2.log 2>&1 \
      && row "random bf16 Dh 64 B=$1 T=$2" "$(tail -1 $out/randh_$1_$2.log)" \
      || { row "random bf16 Dh 64 B=$1 T=$2" "FAIL $(tail -3 $out/randh_$1_$2.log)"; fail=1; }
  done
fi
# M = B x T rows: 1 (the gemv kernel), 3 and more (tensor-core kernels).
if [ "$quick" = 0 ] && [ -x "$dev/matmul_6656" ]; then
  for bt in "1 1" "1 3" "2 4" "3 3" "2 1000" "1 127" "1 600"; do
    set -- $bt
    r=$($py scripts/gpu/matmul_check.py --exe $dev/matmul_6656 --n 6656 --batch $1 --tokens $2 --work $out 2>&1) \
      && row "matmul B=$1 T=$2" "$r" || { row "matmul B=$1 T=$2" "FAIL $r"; fail=1; }
  done
fi
fi

# Generation (docs/Runtime.md#generation): on three random LMs (RAT, SWA,
# hybrid; built by build-gpu-check.sh into .device/serving) every sequence
# of a ragged batch generates the greedy tokens of its prompt run alone,
# eos ids stop sequences, sampling is reproducible per seed and sequence,
# --stream; rat.sample against numpy (softmax frequencies within 5 sigma,
# top-k/top-p sets, T = 0 bit for bit the argmax).
gen=$dev/serving
if [ "$only" = generation ] && [ ! -x "$gen/gen_rat" ]; then
  row "generation" "FAIL: no executables in $gen (scripts/build-gpu-check.sh)"; fail=1
fi
for name in rat swa hyb; do
  [ -x "$gen/gen_$name" ] || continue
  $py test/Integration/generation_check.py --exe $gen/gen_$name --model $gen/gen_$name.model \
    --work $out/gen_$name > $out/gen_$name.log 2>&1 && row "generation $name" "$(tail -1 $out/gen_$name.log)" \
    || { row "generation $name" "FAIL $(grep -m3 FAIL $out/gen_$name.log; tail -1 $out/gen_$name.log)"; fail=1; }
done
if [ -x "$gen/sample" ]; then
  $py test/Integration/sample_check.py --exe $gen/sample --work $out/sample > $out/sample.log 2>&1 \
    && row "rat.sample" "$(tail -1 $out/sample.log)" \
    || { row "rat.sample" "FAIL $(grep -m3 FAIL $out/sample.log; tail -1 $out/sample.log)"; fail=1; }
fi
# With ragged prompts, sampling and eos ids the decode step is still one
# graph replay per token, with nothing rewritten.
if [ -x "$gen/gen_hyb" ]; then
  $py -c "import numpy as np; np.save('$out/gen_lens.npy', np.array([3, 17], dtype=np.int32))"
  "$gen/gen_hyb" -v --weights $gen/gen_hyb.model/weights.safetensors --tokens $gen/gen_hyb.model/tokens.npy \
    --prompt-lens $out/gen_lens.npy --generate 16 --temperature 0.8 --top-p 0.9 --seed 1 --eos 7 \
    --output $out/gen_graph.npy > $out/gen_graph.g.log 2>&1 \
    && grep -q "no position parameter: every replay is the same" $out/gen_graph.g.log \
    && row "generation graph replays" "one replay per token" \
    || { row "generation graph replays" "FAIL $(grep -m1 -E 'decode graphs|error' $out/gen_graph.g.log)"; fail=1; }
fi

# Whether the decode steps above ran as CUDA graph replays (runtime -v).
for f in $out/*.d.log $out/*.g.log $out/*.gb.log; do
  [ -f "$f" ] && row "graphs $(basename $f .log)" "$(grep -m1 'decode graphs' $f | cut -c1-110)"
done

if [ "$only" = generation ]; then
  row "all but generation" "skipped (GPU_CHECK_ONLY=generation)"
elif [ "$quick" != 0 ]; then
  row "random layers, sanitizers" "skipped (GPU_CHECK_QUICK=1)"
elif [ "${GPU_CHECK_SANITIZE:-1}" = 0 ]; then
  row "sanitizers" "skipped (GPU_CHECK_SANITIZE=0)"
elif command -v compute-sanitizer >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/compute-sanitizer ]; then
  cs=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  G=test/golden/rat_layer_ragged
  for tool in memcheck racecheck; do
    $cs --tool $tool --error-exitcode 3 "$dev/rat_layer_ragged" --weights $G/weights.safetensors \
      --input $G/x.npy --output $out/cs.npy > $out/cs_$tool.log 2>&1 \
      && row "sanitizer $tool prefill" "$(grep -m1 'ERROR SUMMARY' $out/cs_$tool.log || echo clean)" \
      || { row "sanitizer $tool prefill" "FAIL $(grep -m3 -E 'ERROR|Invalid|race' $out/cs_$tool.log)"; fail=1; }
    $cs --tool $tool --error-exitcode 3 "$dev/rat_layer_ragged" --weights $G/weights.safetensors \
      --input $G/x.npy --output $out/cs.npy --decode > $out/csd_$tool.log 2>&1 \
      && row "sanitizer $tool decode" "$(grep -m1 'ERROR SUMMARY' $out/csd_$tool.log || echo clean)" \
      || { row "sanitizer $tool decode" "FAIL $(grep -m3 -E 'ERROR|Invalid|race' $out/csd_$tool.log)"; fail=1; }
  done
  G=test/golden/lm_tiny_hybrid
  $cs --tool memcheck --error-exitcode 3 "$dev/lm_tiny_hybrid" --weights $G/weights.safetensors \
    --tokens $G/tokens.npy --prompt-len 40 --generate 4 --output $out/csg.npy > $out/cs_lm.log 2>&1 \
    && row "sanitizer memcheck lm generate" "$(grep -m1 'ERROR SUMMARY' $out/cs_lm.log || echo clean)" \
    || { row "sanitizer memcheck lm generate" "FAIL $(grep -m3 -E 'ERROR|Invalid' $out/cs_lm.log)"; fail=1; }
  # Tensor-core kernels (bf16): shared-memory hazards and bounds.
  G=test/golden/lm_tiny_rat
  for tool in memcheck racecheck; do
    $cs --tool $tool --error-exitcode 3 "$dev/lm_tiny_rat.bf16" --weights $G/weights.safetensors \
      --tokens $G/tokens.npy --logits $out/csb.npy > $out/csb_$tool.log 2>&1 \
      && row "sanitizer $tool bf16 lm logits" "$(grep -m1 'ERROR SUMMARY' $out/csb_$tool.log || echo clean)" \
      || { row "sanitizer $tool bf16 lm logits" "FAIL $(grep -m3 -E 'ERROR|Invalid|race|hazard' $out/csb_$tool.log)"; fail=1; }
  done
  if [ -x "$dev/matmul_6656" ]; then
    $py - <<'PY'
import numpy as np
r = np.random.default_rng(0)
np.save('/tmp/csx.npy', r.standard_normal((1, 40, 2048)).astype(np.float32))
np.save('/tmp/csw.npy', r.standard_normal((6656, 2048)).astype(np.float32))
PY
    # 40 and 5 rows: mma kernels; 1 row: the gemv kernel.
    $py -c "import numpy as np; x = np.load('/tmp/csx.npy'); np.save('/tmp/csx1.npy', x[:, :1]); np.save('/tmp/csx5.npy', x[:, :5])"
    for tool in memcheck racecheck; do
      for xs in "mma:csx" "gemv M=1:csx1" "mma M=5:csx5"; do
        label=${xs%%:*} xf=${xs#*:}
        $cs --tool $tool --error-exitcode 3 "$dev/matmul_6656" --arg /tmp/$xf.npy --arg /tmp/csw.npy \
          --result $out/csm.npy > $out/csm_${tool}_$xf.log 2>&1 \
          && row "sanitizer $tool $label matmul" "$(grep -m1 'ERROR SUMMARY' $out/csm_${tool}_$xf.log || echo clean)" \
          || { row "sanitizer $tool $label matmul" "FAIL $(grep -m3 -E 'ERROR|Invalid|race|hazard' $out/csm_${tool}_$xf.log)"; fail=1; }
      done
    done
  fi
else
  row "compute-sanitizer" "not found"
fi
echo "gpu-check: $([ $fail = 0 ] && echo PASS || echo FAIL)"
exit $fail
