func.func @chunk_scan_step_state_rank(%gate: tensor<2x16xf32>, %x: tensor<2x16xf32>, %state: tensor<1x2x16xf32>, %pos: index) {
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%gate, %x : tensor<2x16xf32>, tensor<2x16xf32>) position(%pos) outs(%state : tensor<1x2x16xf32>) -> tensor<1x2x16xf32>
  return
}
