func.func @rms_norm_input_rank(%x: tensor<f32>, %w: tensor<16xf32>, %init: tensor<f32>) {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<f32>, tensor<16xf32>) outs(%init : tensor<f32>) -> tensor<f32>
  return
}
