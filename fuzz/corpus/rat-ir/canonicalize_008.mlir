func.func @rope_fold_zero_offset(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %c0 = arith.constant 0 : index
  %0 = rat.rope chunk_size = 16 base = 10000.0 ins(%x : tensor<2x8x16xf32>) offset(%c0) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}
