#!/usr/bin/env bash
# Builds, here (no GPU needed), the executables benchmarks/bench.py times on
# the GPU machine, into the git-ignored .device/bench/ (carried to the device
# with `carry: [".device"]`). Times each compile; a failed compile prints its
# error and the script goes on with the next one (exit status 1 at the end).
#
#   benchmarks/build.sh            # CUDA bf16 executables (.device/bench/)
#   benchmarks/build.sh --cpu      # tiny CPU executables for a dry run of
#                                  # bench.py here (.device/bench-cpu/)
#   benchmarks/build.sh [--cpu] [--no-kernel-map] [NAME...]
#                                  # only the named executables (e.g.
#                                  # lm_rat_1p3b for the serving, peers and
#                                  # lmprefill sections); --no-kernel-map
#                                  # skips the `--emit kernel` pass
#
# Beside each executable NAME: NAME.config.json (the model config it was
# compiled from; bench.py reads the shapes there), NAME.compile.log and, for
# cuda, NAME.kernels.tsv (benchmarks/kernel_map.py over `--emit kernel`, kept
# in .device/bench-ir/: each GPU kernel's class, for the per-kernel
# breakdown bench.py makes with ncu). RAT_COMPILE overrides
# the compiler (default build/bin/rat-compile); BENCH_DIR the folder of the
# cuda executables (default .device/bench; the IR goes to BENCH_DIR-ir, and
# bench.py --exe-dir BENCH_DIR reads them).
set -uo pipefail
cd "$(dirname "$0")/.."
rc=${RAT_COMPILE:-build/bin/rat-compile}
py=${PYTHON:-/usr/bin/python3}
cfg=benchmarks/configs
mode=cuda
kernel_map=1
only=()
for arg in "$@"; do
  case $arg in
    --cpu) mode=cpu ;;
    --no-kernel-map) kernel_map=0 ;;
    -*) echo "build.sh: unknown option $arg" >&2; exit 2 ;;
    *) only+=("$arg") ;;
  esac
done
if [ ! -x "$rc" ]; then
  echo "build.sh: $rc not found (build the compiler first)" >&2
  exit 1
fi

fail=0
summary=()
# build NAME CONFIG [rat-compile options...]
build() {
  local name=$1 config=$2
  shift 2
  if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $name "* ]]; then
    return 0
  fi
  local out=$dev/$name log=$dev/$name.compile.log
  local t0 t1 secs
  t0=$(date +%s.%N)
  local input=(--model "$config")
  [[ $config == *.mlir ]] && input=("$config")
  if "$rc" "${input[@]}" "$@" -o "$out" -v > "$log" 2>&1; then
    t1=$(date +%s.%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
    local size
    size=$(du -h "$out" | cut -f1)
    printf 'compiled %-22s in %7s s  (%s)  %s\n' "$name" "$secs" "$size" "$*"
    summary+=("$(printf '%-22s %7s s  %s' "$name" "$secs" "$size")")
    [[ $config == *.mlir ]] || cp "$config" "$out.config.json"
    # Kernel IR and the kernel -> class map for the ncu breakdown (cuda only).
    if [ "$mode" = cuda ] && [ "$kernel_map" = 1 ]; then
      # The IR stays out of .device/bench (the device tool carries 64 MiB).
      local ir=$dev-ir/$name.kernel.mlir
      mkdir -p "$dev-ir"
      if "$rc" "${input[@]}" "$@" --emit kernel -o "$ir" > /dev/null 2>&1; then
        "$py" benchmarks/kernel_map.py "$ir" > "$out.kernels.tsv" 2> "$dev-ir/$name.kernels.err" ||
          echo "  (kernel_map.py failed: $(tail -1 "$dev-ir/$name.kernels.err"))"
      else
        echo "  (--emit kernel failed for $name; no kernel map)"
      fi
    fi
  else
    t1=$(date +%s.%N)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')
    echo "FAILED   $name after $secs s: $rc --model $config $* -o $out"
    tail -20 "$log" | sed 's/^/    /'
    summary+=("$(printf '%-22s FAILED after %s s' "$name" "$secs")")
    fail=1
  fi
}

if [ "$mode" = cuda ]; then
  dev=${BENCH_DIR:-.device/bench}
  mkdir -p "$dev"
  common=(--target cuda --dtype bf16)
  # Paper-scale RAT layer: D 2048, 16x128 heads, G 2, L 16.
  build rat_layer_prefill "$cfg/rat_layer_2048.json" "${common[@]}" --no-decode
  build rat_layer_decode  "$cfg/rat_layer_2048.json" "${common[@]}" --max-seq-len 16384
  # 1.3B LMs: 24 layers, vocab 32000, FFN 4D; RAT and RAT-SWA (window 1024).
  build lm_rat_1p3b    "$cfg/lm_rat_1p3b.json"    "${common[@]}" --max-seq-len 4096
  build lm_ratswa_1p3b "$cfg/lm_ratswa_1p3b.json" "${common[@]}" --max-seq-len 4096
  # The projections alone (bench.py's gemm section): y = x @ w^T as the
  # importer writes it (scripts/gpu/matmul.mlir with N and K substituted),
  # kernels chosen by rat-select-kernels for the default chip.
  mkdir -p "$dev-ir"
  for nk in 6656x2048 2048x2048 8192x2048 2048x8192 32000x2048; do
    n=${nk%x*} k=${nk#*x}
    if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" gemm_${n}_${k} "* ]]; then
      continue
    fi
    sed -e 's/2048/@K@/g; s/6656/@N@/g' -e "s/@K@/$k/g; s/@N@/$n/g" \
      scripts/gpu/matmul.mlir > "$dev-ir/gemm_${n}_${k}.mlir"
    build "gemm_${n}_${k}" "$dev-ir/gemm_${n}_${k}.mlir" --target cuda
  done
else
  # Same kinds at toy widths, on the CPU, for `bench.py --dry-run-cpu`.
  dev=.device/bench-cpu
  mkdir -p "$dev"
  common=(--target cpu --dtype bf16)
  build rat_layer_prefill "$cfg/cpu_rat_layer.json" "${common[@]}" --no-decode
  build rat_layer_decode  "$cfg/cpu_rat_layer.json" "${common[@]}" --max-seq-len 256
  build lm_rat_1p3b    "$cfg/cpu_lm_rat.json"    "${common[@]}" --max-seq-len 160
  build lm_ratswa_1p3b "$cfg/cpu_lm_ratswa.json" "${common[@]}" --max-seq-len 160
fi
"$rc" --version 2>/dev/null | head -1 > "$dev/compiler.txt" || true
git rev-parse HEAD >> "$dev/compiler.txt" 2>/dev/null || true
git status --porcelain --untracked-files=no 2>/dev/null | sed 's/^/dirty: /' >> "$dev/compiler.txt" || true

echo
echo "== compile times ($mode) =="
printf '%s\n' "${summary[@]}"
echo "total size of $dev: $(du -sh "$dev" | cut -f1) (the device tool carries at most 64 MiB)"
exit $fail
