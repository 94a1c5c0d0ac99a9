func.func @window_attention_full_window(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %init: tensor<1x2x8x16xf32>)
    -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %0 = rat.window_attention window = 7 ins(%q, %q, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%init : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %1 = rat.window_attention window = 4096 scale = 0.25 ins(%q, %q, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%init : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %0, %1 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}
