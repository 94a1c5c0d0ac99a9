// RUN: rat-opt %s -split-input-file -verify-diagnostics -rat-tile-and-fuse="norm-tile-sizes=1,-3"

// A negative tile size is an error at the op, not a loop with a negative step.
func.func @negative(%x: tensor<2x8x16xf32>, %w: tensor<16xf32>, %i: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  // expected-error @+1 {{rat-tile-and-fuse: tile size -3 for loop 1 must be >= 0 (0 leaves the loop untiled)}}
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x16xf32>, tensor<16xf32>) outs(%i : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// -----

// The same from the op's own strategy attribute.
func.func @negative_attr(%x: tensor<2x8x16xf32>, %w: tensor<16xf32>, %i: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  // expected-error @+1 {{rat-tile-and-fuse: tile size -1 for loop 0 must be >= 0}}
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x16xf32>, tensor<16xf32>) outs(%i : tensor<2x8x16xf32>) {rat.tile_sizes = array<i64: -1, 4>} -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}
