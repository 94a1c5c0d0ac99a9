func.func @rope_init_rank(%x: tensor<8x16xf32>, %init: tensor<1x8x16xf32>) {
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<8x16xf32>) outs(%init : tensor<1x8x16xf32>) -> tensor<1x8x16xf32>
  return
}
