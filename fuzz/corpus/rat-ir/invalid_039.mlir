func.func @window_attention_step_dps_memref_results(%q: memref<2x2x16xf32>, %k: memref<2x4x16xf32>, %v: memref<2x4x32xf32>, %pos: index, %out: memref<2x4x32xf32>, %kc: memref<2x4x8x16xf32>, %vc: memref<2x4x8x32xf32>) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : memref<2x2x16xf32>, memref<2x4x16xf32>, memref<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : memref<2x4x32xf32>, memref<2x4x8x16xf32>, memref<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return
}
