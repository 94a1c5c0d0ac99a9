func.func @dynamic_dims_rms_norm_scan(%x: tensor<2x?x16xf32>, %w: tensor<?xf32>, %i: tensor<?x8x16xf32>,
                                      %g: tensor<?x8x16xf32>, %i2: tensor<2x8x?xf32>,
                                      %r: tensor<?x?x16xf32>, %i3: tensor<2x8x16xf32>,
                                      %gs: tensor<?x16xf32>, %xs: tensor<2x?xf32>, %s: tensor<?x?xf32>, %pos: index)
    -> (tensor<?x8x16xf32>, tensor<2x8x?xf32>, tensor<2x8x16xf32>, tensor<?x?xf32>) {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x?x16xf32>, tensor<?xf32>) outs(%i : tensor<?x8x16xf32>) -> tensor<?x8x16xf32>
  %1 = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<?x8x16xf32>, tensor<2x?x16xf32>) outs(%i2 : tensor<2x8x?xf32>) -> tensor<2x8x?xf32>
  %2 = rat.rope chunk_size = 4 base = 10000.0 ins(%r : tensor<?x?x16xf32>) outs(%i3 : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  %3 = rat.chunk_scan_step chunk_size = 4 ins(%gs, %xs : tensor<?x16xf32>, tensor<2x?xf32>) position(%pos) outs(%s : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %0, %1, %2, %3 : tensor<?x8x16xf32>, tensor<2x8x?xf32>, tensor<2x8x16xf32>, tensor<?x?xf32>
}
