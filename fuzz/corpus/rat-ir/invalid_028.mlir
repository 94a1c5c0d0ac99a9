func.func @chunk_scan_step_dps_mixed_operands(%g: memref<2x16xf32>, %x: tensor<2x16xf32>, %pos: index, %state: tensor<2x16xf32>) {
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%g, %x : memref<2x16xf32>, tensor<2x16xf32>) position(%pos) outs(%state : tensor<2x16xf32>) -> tensor<2x16xf32>
  return
}
