func.func @dps_mixed_operands_destination_memref(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: memref<2x4x8x32xf32>) {
  rat.window_attention window = 2 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : memref<2x4x8x32xf32>)
  return
}
