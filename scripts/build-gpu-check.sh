#!/usr/bin/env bash
# Builds, here (no GPU needed), every cuda executable scripts/gpu-check.sh
# runs on the GPU machine, into the git-ignored .device/ folder that the
# device tool carries. GPU_CHECK_DIR: another folder;
# GPU_CHECK_ONLY=chips: only the multi-chip and device-code builds.
set -euo pipefail
cd "$(dirname "$0")/.."
rc=${RAT_COMPILE:-build/bin/rat-compile}
dev=${GPU_CHECK_DIR:-.device}
mkdir -p $dev
# One executable for sm_80 and sm_90a GPUs, and one for sm_80 alone (which a
# Hopper GPU runs through its PTX); the device code alone, with kernel tables.
G=test/golden/lm_tiny_rat
$rc --model $G/meta.json --target cuda --chip sm_80,sm_90a --max-seq-len 128 -o $dev/lm_tiny_rat.sm80_90a
$rc --model $G/meta.json --target cuda --chip sm_80 --max-seq-len 128 -o $dev/lm_tiny_rat.sm80
L=test/golden/rat_layer_small/meta.json
$rc --model $L --target cuda --chip sm_80,sm_90a --emit fatbin -o $dev/layer.fatbin
$rc --model $L --target cuda --chip sm_90a --emit cubin -o $dev/layer.sm90a.cubin
$rc --model $L --target cuda --chip sm_80 --emit cubin -o $dev/layer.sm80.cubin
if [ "${GPU_CHECK_ONLY:-}" = chips ]; then
  ls -la $dev
  exit 0
fi
for g in rat_layer_small rat_layer_ragged; do
  $rc --model test/golden/$g/meta.json --target cuda -o $dev/$g
  $rc --model test/golden/$g/meta.json --target cuda --intermediates -o $dev/$g.inter
  $rc --model test/golden/$g/meta.json --target cuda --dtype bf16 -o $dev/$g.bf16
done
for m in lm_tiny_rat lm_tiny_hybrid; do
  $rc --model test/golden/$m/meta.json --target cuda --max-seq-len 128 -o $dev/$m
  $rc --model test/golden/$m/meta.json --target cuda --max-seq-len 128 --dtype bf16 -o $dev/$m.bf16
done
$rc --model benchmarks/configs/rat_layer_2048.json --target cuda --no-decode -o $dev/rat_layer_2048
# bf16: projections and chunk attention on tensor cores.
$rc --model benchmarks/configs/rat_layer_2048.json --target cuda --dtype bf16 --no-decode -o $dev/rat_layer_2048.bf16
# Head size 64 (the wgmma chunk attention's other head size), bf16.
$rc --model scripts/gpu/rat_layer_h64.json --target cuda --dtype bf16 --no-decode -o $dev/rat_layer_h64.bf16
$rc scripts/gpu/matmul.mlir --target cuda -o $dev/matmul_6656
# The model as a library: the golden LMs as cuda shared libraries (the
# Python module loads them), and the C example host linked with the tiny LM.
mkdir -p $dev/library
for m in lm_tiny_rat lm_tiny_hybrid; do
  $rc --model test/golden/$m/meta.json --target cuda --max-seq-len 128 --emit shared -o $dev/library/lib$m.so
  $rc --model test/golden/$m/meta.json --target cuda --max-seq-len 128 --dtype bf16 --emit shared \
    -o $dev/library/lib$m.bf16.so
done
$rc --model examples/tiny_rat_lm/model.json --target cuda --max-seq-len 64 --emit shared \
  -o $dev/library/libtiny_rat_lm.so
# A 2-layer RAT + SWA LM of the 1.3B width (16 x 128 heads): its bf16 decode
# steps against the float64 reference on seeded random weights (the goldens'
# heads are 32 and 64 wide).
$rc --model scripts/gpu/rand_lm_2048.json --target cuda --max-seq-len 64 --dtype bf16 --emit shared \
  -o $dev/library/librand_lm_2048.bf16.so
${CC:-cc} -std=c99 -O2 -Iinclude examples/c/tiny_rat_lm_generate.c -L$dev/library -ltiny_rat_lm \
  -Wl,-rpath,'$ORIGIN' -o $dev/library/tiny_rat_lm_generate
# Generation checks (gpu-check.sh): random RAT, SWA and hybrid LMs with
# their checkpoints (make_model.py, as test/Integration/CPU/generation.test)
# and rat.sample on its own.
gen=$dev/serving
mkdir -p $gen
while read -r name preset opts; do
  # shellcheck disable=SC2086
  ${PYTHON:-/usr/bin/python3} scripts/testdata/make_model.py $preset --seed 3 $opts --out $gen/gen_$name.model > /dev/null
  $rc --model $gen/gen_$name.model/meta.json --target cuda --max-seq-len 64 -o $gen/gen_$name
done <<'MODELS'
rat tiny-rat-lm
swa swa-lm --window 5 --chunk 5
hyb hybrid-lm --pattern rat,swa,attention --layers 3 --chunk 4 --window 6
MODELS
$rc test/Integration/CPU/Inputs/sample.mlir --target cuda -o $gen/sample
ls -la $dev
