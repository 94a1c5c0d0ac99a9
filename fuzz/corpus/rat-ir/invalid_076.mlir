func.func @chunk_scan_memref_gate_dim(%g: memref<36x24xf16>, %x: memref<37x24xf16>, %out: memref<37x24xf16>) {
  rat.chunk_scan chunk_size = 3 ins(%g, %x : memref<36x24xf16>, memref<37x24xf16>) outs(%out : memref<37x24xf16>)
  return
}
