func.func @chunk_scan(%g: tensor<?x?x256xf32>, %x: tensor<?x?x256xf32>, %init: tensor<?x?x256xf32>) -> tensor<?x?x256xf32> {
  %0 = rat.chunk_scan chunk_size = 16 ins(%g, %x : tensor<?x?x256xf32>, tensor<?x?x256xf32>) outs(%init : tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  return %0 : tensor<?x?x256xf32>
}
