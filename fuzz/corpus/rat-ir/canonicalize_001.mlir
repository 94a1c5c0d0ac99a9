func.func @chunk_scan_unit_chunk(%g: memref<?x8x16xf32>, %x: memref<?x8x16xf32>, %out: memref<?x8x16xf32>) {
  rat.chunk_scan chunk_size = 1 ins(%g, %x : memref<?x8x16xf32>, memref<?x8x16xf32>) outs(%out : memref<?x8x16xf32>)
  return
}

func.func @chunk_scan_unit_chunk_tensor(%g: tensor<?x8x16xf32>, %x: tensor<?x8x16xf32>, %init: tensor<?x8x16xf32>) -> tensor<?x8x16xf32> {
  %0 = rat.chunk_scan chunk_size = 1 ins(%g, %x : tensor<?x8x16xf32>, tensor<?x8x16xf32>) outs(%init : tensor<?x8x16xf32>) -> tensor<?x8x16xf32>
  return %0 : tensor<?x8x16xf32>
}
