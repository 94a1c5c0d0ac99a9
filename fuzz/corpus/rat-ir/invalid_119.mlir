func.func @window_attention_dynamic_head_dim_with_scale(%q: tensor<2x2x8x?xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  %0 = rat.window_attention window = 2 scale = 0.25 ins(%q, %k, %v : tensor<2x2x8x?xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf32>
  return
}
