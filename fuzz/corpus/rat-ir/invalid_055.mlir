func.func @rms_norm_memref_weight_dim(%x: memref<8x16xf32>, %w: memref<15xf32>, %out: memref<8x16xf32>) {
  rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : memref<8x16xf32>, memref<15xf32>) outs(%out : memref<8x16xf32>)
  return
}
