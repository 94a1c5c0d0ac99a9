func.func @chunk_attention_dps_result_type(%q: tensor<2x2x8x16xf32>, %k: tensor<2x2x8x16xf32>, %v: tensor<2x4x8x32xf32>, %init: tensor<2x4x8x32xf32>) {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x2x8x16xf32>, tensor<2x2x8x16xf32>, tensor<2x4x8x32xf32>) outs(%init : tensor<2x4x8x32xf32>) -> tensor<2x4x8x32xf16>
  return
}
