func.func @decode_step_limits(%q: tensor<1x2x16xf32>, %k: tensor<1x4x16xf32>, %v: tensor<1x4x32xf32>, %o: tensor<1x4x32xf32>,
                              %kc: tensor<1x4x8x16xf32>, %vc: tensor<1x4x8x32xf32>,
                              %kd: tensor<1x4x?x16xf32>, %vd: tensor<1x4x?x32xf32>) {
  %c31 = arith.constant 31 : index
  %c7 = arith.constant 7 : index
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<1x2x16xf32>, tensor<1x4x16xf32>, tensor<1x4x32xf32>) position(%c31) outs(%o, %kc, %vc : tensor<1x4x32xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>) -> tensor<1x4x32xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>
  %1:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<1x2x16xf32>, tensor<1x4x16xf32>, tensor<1x4x32xf32>) position(%c31) outs(%o, %kd, %vd : tensor<1x4x32xf32>, tensor<1x4x?x16xf32>, tensor<1x4x?x32xf32>) -> tensor<1x4x32xf32>, tensor<1x4x?x16xf32>, tensor<1x4x?x32xf32>
  %2:3 = rat.window_attention_step window = 7 ins(%q, %k, %v : tensor<1x2x16xf32>, tensor<1x4x16xf32>, tensor<1x4x32xf32>) position(%c31) outs(%o, %kc, %vc : tensor<1x4x32xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>) -> tensor<1x4x32xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>
  %3:3 = rat.window_attention_step window = 0 ins(%q, %k, %v : tensor<1x2x16xf32>, tensor<1x4x16xf32>, tensor<1x4x32xf32>) position(%c7) outs(%o, %kc, %vc : tensor<1x4x32xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>) -> tensor<1x4x32xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>
  %4:3 = rat.window_attention_step window = 100 ins(%q, %k, %v : tensor<1x2x16xf32>, tensor<1x4x16xf32>, tensor<1x4x32xf32>) position(%c31) outs(%o, %kd, %vd : tensor<1x4x32xf32>, tensor<1x4x?x16xf32>, tensor<1x4x?x32xf32>) -> tensor<1x4x32xf32>, tensor<1x4x?x16xf32>, tensor<1x4x?x32xf32>
  return
}
