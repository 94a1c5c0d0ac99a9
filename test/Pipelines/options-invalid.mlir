// Pipeline options the pipelines cannot use are refused when the pipeline is
// built, naming the option and the value (docs/Limits.md).
// RUN: not rat-opt %s --rat-to-cpu='block-size=0' 2>&1 | FileCheck %s --check-prefix=BLOCK
// RUN: not rat-opt %s --rat-to-nvvm='block-size=4096' 2>&1 | FileCheck %s --check-prefix=BLOCK-BIG
// RUN: not rat-opt %s --rat-graph-to-tiled='attention-tile-sizes=1,-1,64' 2>&1 | FileCheck %s --check-prefix=TILE
// RUN: not rat-opt %s --rat-to-nvvm='opt-level=7' 2>&1 | FileCheck %s --check-prefix=OPT
// RUN: not rat-opt %s --rat-kernels-to-nvvm='format=elf' 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not rat-opt %s --rat-tiled-to-loops='mma-stages=1' 2>&1 | FileCheck %s --check-prefix=STAGES
// RUN: not rat-opt %s --rat-loops-to-kernels='mma-warps=2,0' 2>&1 | FileCheck %s --check-prefix=WARPS
// RUN: rat-opt %s --rat-to-cpu='block-size=1024 attention-tile-sizes=0,0,0' | FileCheck %s --check-prefix=OK

// BLOCK: error: 'rat-to-cpu' options: block-size must be between 1 and 1024 (threads per block), got 0
// BLOCK-BIG: error: 'rat-to-nvvm' options: block-size must be between 1 and 1024 (threads per block), got 4096
// TILE: error: 'rat-graph-to-tiled' options: attention-tile-sizes must be >= 0 (0 leaves a loop untiled), got -1
// OPT: error: 'rat-to-nvvm' options: opt-level must be 0, 1, 2 or 3, got 7
// FORMAT: error: 'rat-kernels-to-nvvm' options: format must be isa, bin or fatbin, got 'elf'
// STAGES: error: 'rat-tiled-to-loops' options: mma-stages must be >= 2, got 1
// WARPS: error: 'rat-loops-to-kernels' options: mma-warps must be >= 1, got 0
// OK: llvm.func @f()
func.func @f() {
  return
}
