func.func @chunk_scan_init_element_type(%gate: tensor<2x8x16xbf16>, %x: tensor<2x8x16xbf16>, %init: tensor<2x8x16xf32>) {
  %0 = rat.chunk_scan chunk_size = 4 ins(%gate, %x : tensor<2x8x16xbf16>, tensor<2x8x16xbf16>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return
}
