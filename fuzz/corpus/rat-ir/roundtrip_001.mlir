func.func @rms_norm(%x: tensor<?x?x256xf32>, %w: tensor<256xf32>, %init: tensor<?x?x256xf32>) -> tensor<?x?x256xf32> {
  %0 = rat.rms_norm epsilon = 1.0e-06 ins(%x, %w : tensor<?x?x256xf32>, tensor<256xf32>) outs(%init : tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  return %0 : tensor<?x?x256xf32>
}
