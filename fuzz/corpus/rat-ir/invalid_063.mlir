func.func @rope_dynamic_head_dim(%x: tensor<2x8x?xf32>, %init: tensor<2x8x?xf32>) {
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<2x8x?xf32>) outs(%init : tensor<2x8x?xf32>) -> tensor<2x8x?xf32>
  return
}
