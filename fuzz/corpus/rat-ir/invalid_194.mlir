func.func @rope_negative_offset(%x: tensor<2x4x8x16xf32>, %init: tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32> {
  %off = arith.constant -3 : index
  %0 = rat.rope chunk_size = 4 base = 10000.0 ins(%x : tensor<2x4x8x16xf32>) offset(%off) outs(%init : tensor<2x4x8x16xf32>) -> tensor<2x4x8x16xf32>
  return %0 : tensor<2x4x8x16xf32>
}
