func.func @chunk_scan_dynamic_tokens(%g: tensor<2x?x16xf32>, %x: tensor<2x?x16xf32>, %init: tensor<2x?x16xf32>) -> tensor<2x?x16xf32> {
  %0 = rat.chunk_scan chunk_size = 64 ins(%g, %x : tensor<2x?x16xf32>, tensor<2x?x16xf32>) outs(%init : tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  return %0 : tensor<2x?x16xf32>
}
