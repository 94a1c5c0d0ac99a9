func.func @rms_norm_non_float(%x: tensor<2x8x16xi32>, %w: tensor<16xi32>, %init: tensor<2x8x16xi32>) {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x16xi32>, tensor<16xi32>) outs(%init : tensor<2x8x16xi32>) -> tensor<2x8x16xi32>
  return
}
