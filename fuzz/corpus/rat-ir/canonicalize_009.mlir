func.func @rope_no_fold_offset(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>, %off: index) -> (tensor<2x8x16xf32>, tensor<2x8x16xf32>) {
  %c1 = arith.constant 1 : index
  %0 = rat.rope chunk_size = 16 base = 10000.0 ins(%x : tensor<2x8x16xf32>) offset(%c1) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  %1 = rat.rope chunk_size = 16 base = 10000.0 ins(%x : tensor<2x8x16xf32>) offset(%off) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %0, %1 : tensor<2x8x16xf32>, tensor<2x8x16xf32>
}
