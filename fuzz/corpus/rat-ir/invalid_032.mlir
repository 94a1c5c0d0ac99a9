func.func @chunk_attention_step_dps_destination_count(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %pos: index, %out: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>) {
  %0:2 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%out, %kc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>
  return
}
