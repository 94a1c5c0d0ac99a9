func.func @window_attention_init_batch(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<4x4x8x32xf32>) {
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<4x4x8x32xf32>) -> tensor<4x4x8x32xf32>
  return
}
