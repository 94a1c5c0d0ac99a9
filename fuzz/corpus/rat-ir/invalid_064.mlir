func.func @rope_odd_head_dim(%x: tensor<2x8x15xf32>, %init: tensor<2x8x15xf32>) {
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<2x8x15xf32>) outs(%init : tensor<2x8x15xf32>) -> tensor<2x8x15xf32>
  return
}
