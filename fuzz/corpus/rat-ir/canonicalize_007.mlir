func.func @rope_fold_single_chunk(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %0 = rat.rope chunk_size = 8 base = 10000.0 ins(%x : tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}
