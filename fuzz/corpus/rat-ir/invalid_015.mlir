func.func @chunk_scan_dps_no_results(%g: tensor<2x8x16xf32>, %x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) {
  rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>)
  return
}
