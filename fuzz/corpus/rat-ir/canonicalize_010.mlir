func.func @rope_no_fold(%x: tensor<2x9x16xf32>, %i: tensor<2x9x16xf32>,
                        %xd: tensor<2x?x16xf32>, %id: tensor<2x?x16xf32>,
                        %xs: tensor<2x8x16xf32>, %is: tensor<?x8x16xf32>,
                        %xm: memref<2x8x16xf32>, %im: memref<2x8x16xf32>)
    -> (tensor<2x9x16xf32>, tensor<2x?x16xf32>, tensor<?x8x16xf32>) {
  %0 = rat.rope chunk_size = 8 base = 10000.0 ins(%x : tensor<2x9x16xf32>) outs(%i : tensor<2x9x16xf32>) -> tensor<2x9x16xf32>
  %1 = rat.rope chunk_size = 8 base = 10000.0 ins(%xd : tensor<2x?x16xf32>) outs(%id : tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  %2 = rat.rope chunk_size = 8 base = 10000.0 ins(%xs : tensor<2x8x16xf32>) outs(%is : tensor<?x8x16xf32>) -> tensor<?x8x16xf32>
  rat.rope chunk_size = 8 base = 10000.0 ins(%xm : memref<2x8x16xf32>) outs(%im : memref<2x8x16xf32>)
  return %0, %1, %2 : tensor<2x9x16xf32>, tensor<2x?x16xf32>, tensor<?x8x16xf32>
}
