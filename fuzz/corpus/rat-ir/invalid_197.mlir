func.func @matmul_rows_mismatch(%x: tensor<2x8x64xf32>, %w: tensor<96x64xf32>, %init: tensor<2x9x96xf32>) -> tensor<2x9x96xf32> {
  %0 = rat.matmul ins(%x, %w : tensor<2x8x64xf32>, tensor<96x64xf32>) outs(%init : tensor<2x9x96xf32>) -> tensor<2x9x96xf32>
  return %0 : tensor<2x9x96xf32>
}
