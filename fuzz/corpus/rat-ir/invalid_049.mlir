func.func @rms_norm_init_dim_dynamic_input(%x: tensor<?x?x16xf32>, %w: tensor<?xf32>, %init: tensor<2x8x32xf32>) {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<?x?x16xf32>, tensor<?xf32>) outs(%init : tensor<2x8x32xf32>) -> tensor<2x8x32xf32>
  return
}
