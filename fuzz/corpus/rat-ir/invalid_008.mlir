func.func @rope_dps_mixed_operands(%x: memref<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : memref<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}
