#!/usr/bin/env bash
# One-off diagnosis of the D=2048 cuda layer under compute-sanitizer.
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp}
for bt in "1 40" "1 200"; do
  set -- $bt
  python3 scripts/gpu/random_layer_check.py --exe .device/rat_layer_2048 --batch $1 --tokens $2 --work /tmp 2>&1 | tail -2
done
python3 - <<'PY'
import numpy as np, torch
from safetensors.torch import save_file
import sys; sys.path.insert(0, 'scripts/gpu'); import rat_torch
w = rat_torch.random_rat_layer(2048, 16, 128, 2, 0, "cpu")
save_file({k: v.contiguous() for k, v in w.items()}, "/tmp/w.safetensors")
np.save("/tmp/x.npy", np.random.default_rng(0).standard_normal((1, 40, 2048)).astype(np.float32))
PY
compute-sanitizer --tool memcheck --print-limit 5 .device/rat_layer_2048 --weights /tmp/w.safetensors --input /tmp/x.npy --output /tmp/y.npy > $out/memcheck_2048.log 2>&1
head -60 $out/memcheck_2048.log
