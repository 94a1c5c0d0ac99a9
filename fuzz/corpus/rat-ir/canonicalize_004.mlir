func.func @chunk_scan_clamp_chunk_memref(%g: memref<5x64xf32>, %x: memref<5x64xf32>, %out: memref<5x64xf32>) {
  rat.chunk_scan chunk_size = 32 ins(%g, %x : memref<5x64xf32>, memref<5x64xf32>) outs(%out : memref<5x64xf32>)
  return
}
