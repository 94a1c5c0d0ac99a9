func.func @matmul_n_mismatch(%x: tensor<8x64xf32>, %w: tensor<96x64xf32>, %init: tensor<8x95xf32>) -> tensor<8x95xf32> {
  %0 = rat.matmul ins(%x, %w : tensor<8x64xf32>, tensor<96x64xf32>) outs(%init : tensor<8x95xf32>) -> tensor<8x95xf32>
  return %0 : tensor<8x95xf32>
}
