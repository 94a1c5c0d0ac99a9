func.func @matmul_weight_rank(%x: tensor<8x64xf32>, %w: tensor<2x96x64xf32>, %init: tensor<8x96xf32>) -> tensor<8x96xf32> {
  %0 = rat.matmul ins(%x, %w : tensor<8x64xf32>, tensor<2x96x64xf32>) outs(%init : tensor<8x96xf32>) -> tensor<8x96xf32>
  return %0 : tensor<8x96xf32>
}
