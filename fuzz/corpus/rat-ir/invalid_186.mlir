func.func @window_attention_step_dynamic_head_dim(%q: tensor<2x2x?xf32>, %k: tensor<2x4x?xf32>, %v: tensor<2x4x32xf32>, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x?xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index) {
  %0:3 = rat.window_attention_step window = 3 ins(%q, %k, %v : tensor<2x2x?xf32>, tensor<2x4x?xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x?xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x?xf32>, tensor<2x4x8x32xf32>
  return
}
