// RUN: not rat-opt %s --rat-matmul-to-mma="tile-sizes=128,128,24" 2>&1 | FileCheck %s --check-prefix=TILEK
// RUN: not rat-opt %s --rat-matmul-to-mma="tile-sizes=128,128" 2>&1 | FileCheck %s --check-prefix=ARITY
// RUN: not rat-opt %s --rat-matmul-to-mma="stages=1" 2>&1 | FileCheck %s --check-prefix=STAGES
// RUN: not rat-opt %s --rat-matmul-to-mma="tile-sizes=256,256,128 stages=4" 2>&1 | FileCheck %s --check-prefix=SMEM

// TILEK: rat-matmul-to-mma: bad configuration: tile K must be a multiple of 16
// ARITY: rat-matmul-to-mma: tile-sizes takes 3 values (M, N, K)
// STAGES: rat-matmul-to-mma: bad configuration: at least 2 stages
// SMEM: rat-matmul-to-mma: bad configuration: shared memory exceeds 227 KiB
func.func @proj(%x: memref<?x64xbf16>, %w: memref<96x64xbf16>, %y: memref<?x96xbf16>) {
  rat.matmul ins(%x, %w : memref<?x64xbf16>, memref<96x64xbf16>) outs(%y : memref<?x96xbf16>)
  return
}
