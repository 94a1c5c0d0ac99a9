func.func @matmul_mixed_inputs(%x: tensor<8x64xbf16>, %w: tensor<96x64xf32>, %init: tensor<8x96xf32>) -> tensor<8x96xf32> {
  %0 = rat.matmul ins(%x, %w : tensor<8x64xbf16>, tensor<96x64xf32>) outs(%init : tensor<8x96xf32>) -> tensor<8x96xf32>
  return %0 : tensor<8x96xf32>
}
