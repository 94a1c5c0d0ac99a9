func.func @chunk_scan_dps_memref_results(%g: memref<2x8x16xf32>, %x: memref<2x8x16xf32>, %init: memref<2x8x16xf32>) {
  %0 = rat.chunk_scan chunk_size = 4 ins(%g, %x : memref<2x8x16xf32>, memref<2x8x16xf32>) outs(%init : memref<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}
