func.func @chunk_scan_non_float(%gate: tensor<2x8x16xi32>, %x: tensor<2x8x16xi32>, %init: tensor<2x8x16xi32>) {
  %0 = rat.chunk_scan chunk_size = 4 ins(%gate, %x : tensor<2x8x16xi32>, tensor<2x8x16xi32>) outs(%init : tensor<2x8x16xi32>) -> tensor<2x8x16xi32>
  return
}
