func.func @chunk_scan_step_dps_result_type(%g: tensor<2x16xf32>, %x: tensor<2x16xf32>, %pos: index, %state: tensor<2x16xf32>) {
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%g, %x : tensor<2x16xf32>, tensor<2x16xf32>) position(%pos) outs(%state : tensor<2x16xf32>) -> tensor<2x16xf16>
  return
}
