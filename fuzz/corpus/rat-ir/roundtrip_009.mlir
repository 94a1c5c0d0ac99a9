func.func @chunk_attention_step(%q: tensor<?x2x64xf32>, %k: tensor<?x4x64xf32>, %v: tensor<?x4x64xf32>, %pos: index,
                                %o: tensor<?x4x64xf32>, %kc: tensor<?x4x8x64xf32>, %vc: tensor<?x4x8x64xf32>)
    -> (tensor<?x4x64xf32>, tensor<?x4x8x64xf32>, tensor<?x4x8x64xf32>) {
  %0:3 = rat.chunk_attention_step chunk_size = 16 ins(%q, %k, %v : tensor<?x2x64xf32>, tensor<?x4x64xf32>, tensor<?x4x64xf32>) position(%pos) outs(%o, %kc, %vc : tensor<?x4x64xf32>, tensor<?x4x8x64xf32>, tensor<?x4x8x64xf32>) -> tensor<?x4x64xf32>, tensor<?x4x8x64xf32>, tensor<?x4x8x64xf32>
  return %0#0, %0#1, %0#2 : tensor<?x4x64xf32>, tensor<?x4x8x64xf32>, tensor<?x4x8x64xf32>
}
