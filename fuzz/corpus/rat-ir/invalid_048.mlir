func.func @rms_norm_init_dim(%x: tensor<2x8x16xf32>, %w: tensor<16xf32>, %init: tensor<2x4x16xf32>) {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x16xf32>, tensor<16xf32>) outs(%init : tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  return
}
