func.func @window_attention_partial_window(%q: tensor<1x2x8x16xf32>, %init: tensor<1x2x8x16xf32>,
                                           %q4: tensor<1x2x4x16xf32>, %k16: tensor<1x2x16x16xf32>, %i4: tensor<1x2x4x16xf32>,
                                           %qd: tensor<1x2x?x16xf32>, %id: tensor<1x2x?x16xf32>)
    -> (tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x?x16xf32>) {
  %0 = rat.window_attention window = 6 ins(%q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%init : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %c4 = arith.constant 4 : index
  %1 = rat.window_attention window = 8 ins(%q4, %k16, %k16 : tensor<1x2x4x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>) offset(%c4) outs(%i4 : tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32>
  %2 = rat.window_attention window = 0 ins(%q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%init : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %3 = rat.window_attention window = 7 ins(%qd, %qd, %qd : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) outs(%id : tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32>
  return %0, %1, %2, %3 : tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x?x16xf32>
}
