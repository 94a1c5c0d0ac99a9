func.func @chunk_scan_step_dps_destination_count(%g: tensor<2x16xf32>, %x: tensor<2x16xf32>, %pos: index, %state: tensor<2x16xf32>, %state2: tensor<2x16xf32>) {
  %0:2 = rat.chunk_scan_step chunk_size = 4 ins(%g, %x : tensor<2x16xf32>, tensor<2x16xf32>) position(%pos) outs(%state, %state2 : tensor<2x16xf32>, tensor<2x16xf32>) -> tensor<2x16xf32>, tensor<2x16xf32>
  return
}
