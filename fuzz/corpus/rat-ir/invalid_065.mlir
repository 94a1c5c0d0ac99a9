func.func @rope_base_zero(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  %0 = rat.rope chunk_size = 4 base = 0.0 ins(%x : tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}
