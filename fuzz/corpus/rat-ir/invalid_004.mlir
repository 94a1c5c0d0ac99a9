func.func @rms_norm_dps_memref_results(%x: memref<2x8x16xf32>, %w: memref<16xf32>, %init: memref<2x8x16xf32>) {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : memref<2x8x16xf32>, memref<16xf32>) outs(%init : memref<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}
