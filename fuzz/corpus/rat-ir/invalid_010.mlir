func.func @rope_dps_no_results(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>)
  return
}
