// 32768 queries of 128 channels: one online-softmax accumulator per query
// would need 16 MiB of stack if each were allocated afresh in the loop.
func.func @attend(%q: tensor<1x1x32768x128xf32>, %k: tensor<1x1x32768x128xf32>,
                  %v: tensor<1x1x32768x128xf32>) -> tensor<1x1x32768x128xf32> {
  %e = tensor.empty() : tensor<1x1x32768x128xf32>
  %o = rat.chunk_attention chunk_size = 4096
         ins(%q, %k, %v : tensor<1x1x32768x128xf32>, tensor<1x1x32768x128xf32>,
                          tensor<1x1x32768x128xf32>)
         outs(%e : tensor<1x1x32768x128xf32>) -> tensor<1x1x32768x128xf32>
  return %o : tensor<1x1x32768x128xf32>
}
