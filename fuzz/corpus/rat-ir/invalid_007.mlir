func.func @rope_dps_destination_count(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>, %init2: tensor<2x8x16xf32>) {
  %0:2 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<2x8x16xf32>) outs(%init, %init2 : tensor<2x8x16xf32>, tensor<2x8x16xf32>) -> tensor<2x8x16xf32>, tensor<2x8x16xf32>
  return
}
