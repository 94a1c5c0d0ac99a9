// A small graph-level function for the driver tests: rms_norm, rope at an
// index offset and chunk_scan on static shapes.
func.func @mix(%x: tensor<2x3x10x8xf32> {rat.name = "x"},
               %w: tensor<8xf32> {rat.name = "w"},
               %gate: tensor<2x3x10x8xf32> {rat.name = "gate"},
               %offset: index {rat.name = "offset"})
    -> (tensor<2x3x10x8xf32> {rat.name = "y"}) {
  %e0 = tensor.empty() : tensor<2x3x10x8xf32>
  %n = rat.rms_norm epsilon = 1.0e-06
         ins(%x, %w : tensor<2x3x10x8xf32>, tensor<8xf32>)
         outs(%e0 : tensor<2x3x10x8xf32>) -> tensor<2x3x10x8xf32>
  %e1 = tensor.empty() : tensor<2x3x10x8xf32>
  %r = rat.rope chunk_size = 4 base = 10000.0
         ins(%n : tensor<2x3x10x8xf32>) offset(%offset)
         outs(%e1 : tensor<2x3x10x8xf32>) -> tensor<2x3x10x8xf32>
  %e2 = tensor.empty() : tensor<2x3x10x8xf32>
  %s = rat.chunk_scan chunk_size = 4
         ins(%gate, %r : tensor<2x3x10x8xf32>, tensor<2x3x10x8xf32>)
         outs(%e2 : tensor<2x3x10x8xf32>) -> tensor<2x3x10x8xf32>
  return %s : tensor<2x3x10x8xf32>
}
