func.func @chunk_attention(%q: tensor<2x2x64x64xf32>, %k: tensor<2x4x64x64xf32>, %v: tensor<2x4x64x64xf32>,
                           %qt: tensor<?x2x16x64xbf16>, %kt: tensor<?x2x?x64xbf16>, %vt: tensor<?x2x?x64xbf16>, %off: index)
    -> (tensor<2x4x64x64xf32>, tensor<?x2x16x64xbf16>) {
  %e = tensor.empty() : tensor<2x4x64x64xf32>
  %0 = rat.chunk_attention chunk_size = 16 ins(%q, %k, %v : tensor<2x2x64x64xf32>, tensor<2x4x64x64xf32>, tensor<2x4x64x64xf32>) outs(%e : tensor<2x4x64x64xf32>) -> tensor<2x4x64x64xf32>
  %c0 = arith.constant 0 : index
  %b = tensor.dim %qt, %c0 : tensor<?x2x16x64xbf16>
  %e1 = tensor.empty(%b) : tensor<?x2x16x64xbf16>
  %1 = rat.chunk_attention chunk_size = 8 scale = 0.125 ins(%qt, %kt, %vt : tensor<?x2x16x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>) offset(%off) outs(%e1 : tensor<?x2x16x64xbf16>) -> tensor<?x2x16x64xbf16>
  return %0, %1 : tensor<2x4x64x64xf32>, tensor<?x2x16x64xbf16>
}
