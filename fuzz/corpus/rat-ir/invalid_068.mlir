func.func @chunk_scan_gate_rank(%gate: tensor<1x8x16xf32>, %x: tensor<8x16xf32>, %init: tensor<8x16xf32>) {
  %0 = rat.chunk_scan chunk_size = 4 ins(%gate, %x : tensor<1x8x16xf32>, tensor<8x16xf32>) outs(%init : tensor<8x16xf32>) -> tensor<8x16xf32>
  return
}
