func.func @chunk_scan_dps_mixed_operands(%g: memref<2x8x16xf32>, %x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  %0 = rat.chunk_scan chunk_size = 4 ins(%g, %x : memref<2x8x16xf32>, tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}
