#!/usr/bin/env bash
# Builds, here (no GPU needed), one executable per (kernel configuration,
# projection shape) from scripts/gpu/matmul_kernel.mlir, named
# <variant>_<N>_<K>, into DIR; scripts/gpu/gemm_check.py --prefix "" --dir DIR
# then checks and times them all beside torch.matmul on the GPU machine.
#
#   scripts/gpu/gemm_variants.sh DIR "6656x2048 2048x2048" \
#     'pers8=#rat.kernel<family = wgmma, tile = [128, 256, 64], warpgroups = 2, stages = 4, group_m = 8, blocks = 132>' ...
set -euo pipefail
cd "$(dirname "$0")/../.."
rc=${RAT_COMPILE:-build/bin/rat-compile}
dir=$1 shapes=$2
shift 2
mkdir -p "$dir"
for variant in "$@"; do
  name=${variant%%=*} kernel=${variant#*=}
  for shape in $shapes; do
    n=${shape%x*} k=${shape#*x}
    src=$dir/${name}_${n}_${k}.mlir
    sed -e "s/@N@/$n/g; s/@K@/$k/g; s|@KERNEL@|$kernel|" scripts/gpu/matmul_kernel.mlir > "$src"
    "$rc" "$src" --target cuda -o "$dir/${name}_${n}_${k}"
    rm "$src"
    echo "built $dir/${name}_${n}_${k}"
  done
done
