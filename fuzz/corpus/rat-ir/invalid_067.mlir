func.func @chunk_scan_input_rank(%gate: tensor<16xf32>, %x: tensor<16xf32>, %init: tensor<16xf32>) {
  %0 = rat.chunk_scan chunk_size = 4 ins(%gate, %x : tensor<16xf32>, tensor<16xf32>) outs(%init : tensor<16xf32>) -> tensor<16xf32>
  return
}
