func.func @chunk_attention_step_cache_rows(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x9x32xf32>, %pos: index) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x9x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x9x32xf32>
  return
}
