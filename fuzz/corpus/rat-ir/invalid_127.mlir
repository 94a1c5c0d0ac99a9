func.func @chunk_scan_step_gate_dim(%gate: tensor<2x8xf32>, %x: tensor<2x16xf32>, %state: tensor<2x16xf32>, %pos: index) {
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%gate, %x : tensor<2x8xf32>, tensor<2x16xf32>) position(%pos) outs(%state : tensor<2x16xf32>) -> tensor<2x16xf32>
  return
}
