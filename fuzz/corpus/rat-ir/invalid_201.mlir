func.func @window_attention_zero_head_dim(%q: tensor<1x2x8x0xf32>, %init: tensor<1x2x8x4xf32>, %v: tensor<1x2x8x4xf32>) {
  %0 = rat.window_attention window = 2 ins(%q, %q, %v : tensor<1x2x8x0xf32>, tensor<1x2x8x0xf32>, tensor<1x2x8x4xf32>) outs(%init : tensor<1x2x8x4xf32>) -> tensor<1x2x8x4xf32>
  return
}
