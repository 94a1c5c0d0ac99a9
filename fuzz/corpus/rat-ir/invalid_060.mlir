func.func @rope_non_float(%x: tensor<2x8x16xi8>, %init: tensor<2x8x16xi8>) {
  %0 = rat.rope chunk_size = 4 base = 1.0e+04 ins(%x : tensor<2x8x16xi8>) outs(%init : tensor<2x8x16xi8>) -> tensor<2x8x16xi8>
  return
}
