func.func @chunk_scan_step_dps_memref_results(%g: memref<2x16xf32>, %x: memref<2x16xf32>, %pos: index, %state: memref<2x16xf32>) {
  %0 = rat.chunk_scan_step chunk_size = 4 ins(%g, %x : memref<2x16xf32>, memref<2x16xf32>) position(%pos) outs(%state : memref<2x16xf32>) -> tensor<2x16xf32>
  return
}
