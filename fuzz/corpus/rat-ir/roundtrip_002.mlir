func.func @rms_norm_memref(%x: memref<2x8x16xbf16>, %w: memref<16xbf16>, %out: memref<2x8x16xbf16>) {
  rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : memref<2x8x16xbf16>, memref<16xbf16>) outs(%out : memref<2x8x16xbf16>)
  return
}
