func.func @chunk_attention_dps_memref_results(%q: memref<2x2x8x16xf32>, %k: memref<2x2x8x16xf32>, %v: memref<2x4x8x32xf32>, %init: memref<2x4x8x32xf32>) {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : memref<2x2x8x16xf32>, memref<2x2x8x16xf32>, memref<2x4x8x32xf32>) outs(%init : memref<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}
