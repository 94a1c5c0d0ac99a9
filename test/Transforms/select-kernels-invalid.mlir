// RUN: rat-opt %s --rat-select-kernels=chip=sm_90 -split-input-file -verify-diagnostics
// RUN: not rat-opt %s --rat-select-kernels=chip=sm_99 -split-input-file 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not rat-opt %s --rat-select-kernels=mma-tile-sizes=128,128 -split-input-file 2>&1 | FileCheck %s --check-prefix=ARITY
// RUN: not rat-opt %s --rat-select-kernels=chip=sm_80,sm_90a -split-input-file 2>&1 | FileCheck %s --check-prefix=LIST
// RUN: not rat-opt %s --rat-select-kernels=chip=sm_80,sm_80 -split-input-file 2>&1 | FileCheck %s --check-prefix=TWICE
// RUN: not rat-opt %s --rat-select-kernels=chip=sm_80, -split-input-file 2>&1 | FileCheck %s --check-prefix=EMPTY

// CHIP: rat-select-kernels: chip 'sm_99' is not a chip this compiler knows (supported: sm_80, sm_86, sm_89, sm_90, sm_90a)
// ARITY: rat-select-kernels: mma-tile-sizes takes 3 values (M, N, K)
// A wgmma decision cannot be honoured for a list with a chip without wgmma.
// LIST: cannot honour rat.kernel: wgmma kernels need sm_90a, and every chip of sm_80,sm_90a runs the same kernels (compile with --chip sm_90a alone, or choose mma_sync)
// TWICE: rat-select-kernels: chip 'sm_80' is listed twice
// EMPTY: rat-select-kernels: chip 'sm_80,' has an empty chip name

// A rat.kernel in the input that the chip or the op cannot honour is an
// error at the op, naming the reason.
func.func @wgmma_on_sm90(%x: tensor<?x2048xbf16>, %w: tensor<6656x2048xbf16>, %e: tensor<?x6656xbf16>) -> tensor<?x6656xbf16> {
  // expected-error @+1 {{cannot honour rat.kernel: wgmma kernels need sm_90a; this is sm_90 (compile with --chip sm_90a, or choose mma_sync)}}
  %0 = rat.matmul ins(%x, %w : tensor<?x2048xbf16>, tensor<6656x2048xbf16>) outs(%e : tensor<?x6656xbf16>)
         {rat.kernel = #rat.kernel<family = wgmma, tile = [128, 256, 64], warpgroups = 2, stages = 4>} -> tensor<?x6656xbf16>
  return %0 : tensor<?x6656xbf16>
}

// -----

func.func @tile_k(%x: tensor<?x2048xbf16>, %w: tensor<6656x2048xbf16>, %e: tensor<?x6656xbf16>) -> tensor<?x6656xbf16> {
  // expected-error @+1 {{cannot honour rat.kernel: mma_sync: K (2048) is not a multiple of the K tile (24)}}
  %0 = rat.matmul ins(%x, %w : tensor<?x2048xbf16>, tensor<6656x2048xbf16>) outs(%e : tensor<?x6656xbf16>)
         {rat.kernel = #rat.kernel<family = mma_sync, tile = [128, 128, 24], warps = [2, 4], stages = 3>} -> tensor<?x6656xbf16>
  return %0 : tensor<?x6656xbf16>
}

// -----

func.func @shared_memory(%x: tensor<?x2048xbf16>, %w: tensor<6656x2048xbf16>, %e: tensor<?x6656xbf16>) -> tensor<?x6656xbf16> {
  // expected-error @+1 {{cannot honour rat.kernel: mma_sync: shared memory (557056 bytes) exceeds the chip's 232448 bytes per block}}
  %0 = rat.matmul ins(%x, %w : tensor<?x2048xbf16>, tensor<6656x2048xbf16>) outs(%e : tensor<?x6656xbf16>)
         {rat.kernel = #rat.kernel<family = mma_sync, tile = [256, 256, 128], warps = [2, 4], stages = 4>} -> tensor<?x6656xbf16>
  return %0 : tensor<?x6656xbf16>
}

// -----

func.func @f32_operands(%x: tensor<?x64xf32>, %w: tensor<96x64xf32>, %e: tensor<?x96xf32>) -> tensor<?x96xf32> {
  // expected-error @+1 {{cannot honour rat.kernel: mma_sync: operands are not bf16/f16}}
  %0 = rat.matmul ins(%x, %w : tensor<?x64xf32>, tensor<96x64xf32>) outs(%e : tensor<?x96xf32>)
         {rat.kernel = #rat.kernel<family = mma_sync, tile = [64, 64, 64], warps = [2, 2], stages = 3>} -> tensor<?x96xf32>
  return %0 : tensor<?x96xf32>
}

// -----

func.func @row_on_attention(%q: tensor<1x2x8x64xbf16>, %o: tensor<1x2x8x64xbf16>) -> tensor<1x2x8x64xbf16> {
  // expected-error @+1 {{cannot honour rat.kernel: no row kernel for 'rat.chunk_attention' with these operand types and shapes}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %q, %q : tensor<1x2x8x64xbf16>, tensor<1x2x8x64xbf16>, tensor<1x2x8x64xbf16>) outs(%o : tensor<1x2x8x64xbf16>)
         {rat.kernel = #rat.kernel<family = row>} -> tensor<1x2x8x64xbf16>
  return %0 : tensor<1x2x8x64xbf16>
}

// -----

func.func @variants_on_norm(%x: tensor<4x64xbf16>, %w: tensor<64xbf16>, %y: tensor<4x64xbf16>) -> tensor<4x64xbf16> {
  // expected-error @+1 {{cannot honour rat.kernel: only rat.matmul takes several variants}}
  %0 = rat.rms_norm epsilon = 1.0e-06 ins(%x, %w : tensor<4x64xbf16>, tensor<64xbf16>) outs(%y : tensor<4x64xbf16>)
         {rat.kernel = [#rat.kernel<family = row>, #rat.kernel<family = row>]} -> tensor<4x64xbf16>
  return %0 : tensor<4x64xbf16>
}

// -----

func.func @bad_attr(%x: tensor<?x2048xbf16>, %w: tensor<6656x2048xbf16>, %e: tensor<?x6656xbf16>) -> tensor<?x6656xbf16> {
  // expected-error @+2 {{a mma_sync kernel needs tile = [M, N, K]}}
  %0 = rat.matmul ins(%x, %w : tensor<?x2048xbf16>, tensor<6656x2048xbf16>) outs(%e : tensor<?x6656xbf16>)
         {rat.kernel = #rat.kernel<family = mma_sync, tile = [128, 128], warps = [2, 4], stages = 3>} -> tensor<?x6656xbf16>
  return %0 : tensor<?x6656xbf16>
}

// -----

func.func @gemv_attr(%x: tensor<?x2048xbf16>, %w: tensor<6656x2048xbf16>, %e: tensor<?x6656xbf16>) -> tensor<?x6656xbf16> {
  // expected-error @+2 {{a gemv kernel needs tile = [rows, rows per block] and warps = [warps]}}
  %0 = rat.matmul ins(%x, %w : tensor<?x2048xbf16>, tensor<6656x2048xbf16>) outs(%e : tensor<?x6656xbf16>)
         {rat.kernel = [#rat.kernel<family = gemv, tile = [1, 4, 8], warps = [8]>, #rat.kernel<family = mma_sync, tile = [64, 64, 64], warps = [2, 2], stages = 3>]} -> tensor<?x6656xbf16>
  return %0 : tensor<?x6656xbf16>
}

// -----

// A gemv kernel takes few rows only: a list cannot end with one.
func.func @gemv_last(%x: tensor<?x2048xbf16>, %w: tensor<6656x2048xbf16>, %e: tensor<?x6656xbf16>) -> tensor<?x6656xbf16> {
  // expected-error @+1 {{cannot honour rat.kernel: a gemv kernel takes only M <= 8 rows: the last variant must take any row count}}
  %0 = rat.matmul ins(%x, %w : tensor<?x2048xbf16>, tensor<6656x2048xbf16>) outs(%e : tensor<?x6656xbf16>)
         {rat.kernel = #rat.kernel<family = gemv, tile = [8, 2], warps = [8]>} -> tensor<?x6656xbf16>
  return %0 : tensor<?x6656xbf16>
}

// -----

func.func @gemv_rows_per_block(%x: tensor<?x2048xbf16>, %w: tensor<6656x2048xbf16>, %e: tensor<?x6656xbf16>) -> tensor<?x6656xbf16> {
  // expected-error @+1 {{cannot honour rat.kernel: gemv: N (6656) is not a multiple of the rows per block (3)}}
  %0 = rat.matmul ins(%x, %w : tensor<?x2048xbf16>, tensor<6656x2048xbf16>) outs(%e : tensor<?x6656xbf16>)
         {rat.kernel = [#rat.kernel<family = gemv, tile = [1, 3], warps = [8]>, #rat.kernel<family = mma_sync, tile = [64, 64, 64], warps = [2, 2], stages = 3>]} -> tensor<?x6656xbf16>
  return %0 : tensor<?x6656xbf16>
}

// -----

func.func @wgmma_attention_on_sm90(%q: tensor<1x2x8x64xbf16>, %o: tensor<1x2x8x64xbf16>) -> tensor<1x2x8x64xbf16> {
  // expected-error @+1 {{cannot honour rat.kernel: wgmma kernels need sm_90a; this is sm_90 (compile with --chip sm_90a, or choose mma_sync)}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %q, %q : tensor<1x2x8x64xbf16>, tensor<1x2x8x64xbf16>, tensor<1x2x8x64xbf16>) outs(%o : tensor<1x2x8x64xbf16>)
         {rat.kernel = #rat.kernel<family = attention_mma, tile = [128, 128], warpgroups = 2, stages = 2>} -> tensor<1x2x8x64xbf16>
  return %0 : tensor<1x2x8x64xbf16>
}
