func.func @rope(%x: tensor<2x4x64x64xf32>, %x1: tensor<?x4x1x64xf32>, %pos: index) -> (tensor<2x4x64x64xf32>, tensor<?x4x1x64xf32>) {
  %e = tensor.empty() : tensor<2x4x64x64xf32>
  %0 = rat.rope chunk_size = 16 base = 10000.0 ins(%x : tensor<2x4x64x64xf32>) outs(%e : tensor<2x4x64x64xf32>) -> tensor<2x4x64x64xf32>
  %e1 = tensor.empty(%pos) : tensor<?x4x1x64xf32>
  %1 = rat.rope chunk_size = 1 base = 500000.0 ins(%x1 : tensor<?x4x1x64xf32>) offset(%pos) outs(%e1 : tensor<?x4x1x64xf32>) -> tensor<?x4x1x64xf32>
  return %0, %1 : tensor<2x4x64x64xf32>, tensor<?x4x1x64xf32>
}
