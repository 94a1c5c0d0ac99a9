func.func @chunk_attention_fold_single_chunk(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x4x8x32xf32>, %init: tensor<1x4x8x32xf32>)
    -> (tensor<1x4x8x32xf32>, tensor<1x4x8x32xf32>) {
  %0 = rat.chunk_attention chunk_size = 8 ins(%q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x4x8x32xf32>) outs(%init : tensor<1x4x8x32xf32>) -> tensor<1x4x8x32xf32>
  %c0 = arith.constant 0 : index
  %1 = rat.chunk_attention chunk_size = 64 scale = 0.5 ins(%q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x4x8x32xf32>) offset(%c0) outs(%init : tensor<1x4x8x32xf32>) -> tensor<1x4x8x32xf32>
  return %0, %1 : tensor<1x4x8x32xf32>, tensor<1x4x8x32xf32>
}
