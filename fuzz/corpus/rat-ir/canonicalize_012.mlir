func.func @chunk_attention_no_fold(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x4x8x32xf32>, %init: tensor<1x4x8x32xf32>,
                                   %qd: tensor<1x2x?x16xf32>, %kd: tensor<1x2x?x16xf32>, %vd: tensor<1x4x?x32xf32>, %id: tensor<1x4x?x32xf32>,
                                   %q4: tensor<1x2x4x16xf32>, %i4: tensor<1x4x4x32xf32>, %off: index)
    -> (tensor<1x4x8x32xf32>, tensor<1x4x?x32xf32>, tensor<1x4x4x32xf32>) {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x4x8x32xf32>) outs(%init : tensor<1x4x8x32xf32>) -> tensor<1x4x8x32xf32>
  %1 = rat.chunk_attention chunk_size = 8 ins(%qd, %kd, %vd : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x4x?x32xf32>) outs(%id : tensor<1x4x?x32xf32>) -> tensor<1x4x?x32xf32>
  %2 = rat.chunk_attention chunk_size = 8 ins(%q4, %k, %v : tensor<1x2x4x16xf32>, tensor<1x2x8x16xf32>, tensor<1x4x8x32xf32>) offset(%off) outs(%i4 : tensor<1x4x4x32xf32>) -> tensor<1x4x4x32xf32>
  return %0, %1, %2 : tensor<1x4x8x32xf32>, tensor<1x4x?x32xf32>, tensor<1x4x4x32xf32>
}
