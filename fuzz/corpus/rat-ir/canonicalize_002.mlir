func.func @chunk_scan_unit_chunk_bf16(%g: memref<4x16xbf16>, %x: memref<4x16xbf16>, %out: memref<4x16xbf16>) {
  rat.chunk_scan chunk_size = 1 ins(%g, %x : memref<4x16xbf16>, memref<4x16xbf16>) outs(%out : memref<4x16xbf16>)
  return
}
