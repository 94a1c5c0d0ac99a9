func.func @rope_input_rank(%x: tensor<16xf32>, %init: tensor<16xf32>) {
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<16xf32>) outs(%init : tensor<16xf32>) -> tensor<16xf32>
  return
}
