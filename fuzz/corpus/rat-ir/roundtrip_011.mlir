func.func @dynamic_dims_attention(%q: tensor<?x?x16x16xf32>, %k: tensor<2x?x?x16xf32>, %v: tensor<2x3x?x32xf32>, %i: tensor<?x3x16x32xf32>,
                                  %q2: tensor<1x2x8x16xf32>, %k2: tensor<1x2x8x16xf32>, %v2: tensor<1x2x8x16xf32>, %i2: tensor<1x2x8x16xf32>, %off: index,
                                  %q3: tensor<1x2x4x16xf32>, %i3: tensor<1x2x4x16xf32>)
    -> (tensor<?x3x16x32xf32>, tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>) {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<?x?x16x16xf32>, tensor<2x?x?x16xf32>, tensor<2x3x?x32xf32>) outs(%i : tensor<?x3x16x32xf32>) -> tensor<?x3x16x32xf32>
  %1 = rat.window_attention window = 2 ins(%q2, %k2, %v2 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) offset(%off) outs(%i2 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %c4 = arith.constant 4 : index
  %2 = rat.chunk_attention chunk_size = 2 ins(%q3, %k2, %v2 : tensor<1x2x4x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) offset(%c4) outs(%i3 : tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32>
  return %0, %1, %2 : tensor<?x3x16x32xf32>, tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>
}
