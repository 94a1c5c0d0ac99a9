func.func @window_attention_memref_groups(%q: memref<1x2x8x32xf32>, %k: memref<1x4x8x32xf32>, %v: memref<1x2x8x32xf32>, %out: memref<1x2x8x32xf32>) {
  rat.window_attention window = 0 ins(%q, %k, %v : memref<1x2x8x32xf32>, memref<1x4x8x32xf32>, memref<1x2x8x32xf32>) outs(%out : memref<1x2x8x32xf32>)
  return
}
