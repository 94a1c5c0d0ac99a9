func.func @window_attention_step_negative_window(%q: tensor<2x4x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %pos: index, %o: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32> {
  %0:3 = rat.window_attention_step window = -1 ins(%q, %k, %v : tensor<2x4x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%o, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return %0#0 : tensor<2x4x32xf32>
}
