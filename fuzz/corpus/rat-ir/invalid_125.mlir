func.func @chunk_scan_step_input_rank(%gate: tensor<f32>, %x: tensor<f32>, %state: tensor<f32>, %pos: index) {
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%gate, %x : tensor<f32>, tensor<f32>) position(%pos) outs(%state : tensor<f32>) -> tensor<f32>
  return
}
