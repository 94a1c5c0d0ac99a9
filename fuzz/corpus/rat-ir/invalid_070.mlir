func.func @chunk_scan_init_rank(%gate: tensor<2x8x16xf32>, %x: tensor<2x8x16xf32>, %init: tensor<16x16xf32>) {
  %0 = rat.chunk_scan chunk_size = 4 ins(%gate, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32>) outs(%init : tensor<16x16xf32>) -> tensor<16x16xf32>
  return
}
