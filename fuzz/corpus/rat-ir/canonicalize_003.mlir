func.func @chunk_scan_clamp_chunk(%g: tensor<2x8x16xf32>, %x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %0 = rat.chunk_scan chunk_size = 64 ins(%g, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}
