func.func @chunk_scan_step_unit_chunk(%g: memref<?x16xf32>, %x: memref<?x16xf32>, %s: memref<?x16xf32>, %pos: index) {
  rat.chunk_scan_step chunk_size = 1 ins(%g, %x : memref<?x16xf32>, memref<?x16xf32>) position(%pos) outs(%s : memref<?x16xf32>)
  return
}
