func.func @chunk_scan_init_dim(%gate: tensor<?x?x16xf32>, %x: tensor<?x?x16xf32>, %init: tensor<2x8x32xf32>) {
  %0 = rat.chunk_scan chunk_size = 4 ins(%gate, %x : tensor<?x?x16xf32>, tensor<?x?x16xf32>) outs(%init : tensor<2x8x32xf32>) -> tensor<2x8x32xf32>
  return
}
