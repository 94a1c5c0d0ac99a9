func.func @window_attention_offset_negative(%q: tensor<2x2x4x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x4x32xf32>) {
  %off = arith.constant -1 : index
  %0 = rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x4x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) offset(%off) outs(%init : tensor<2x4x4x32xf32>) -> tensor<2x4x4x32xf32>
  return
}
