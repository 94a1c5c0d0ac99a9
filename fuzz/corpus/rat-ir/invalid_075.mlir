func.func @chunk_scan_chunk_size(%gate: tensor<2x8x16xf32>, %x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  %0 = rat.chunk_scan chunk_size = 0 ins(%gate, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}
