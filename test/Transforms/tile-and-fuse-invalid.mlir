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

// -----

// Head h reads group h mod G: with a dynamic group count a tile of two heads
// cannot know which groups it reads. Tiling fails at the op with a note that
// says why and what works.
func.func @dynamic_groups_head_tile(%q: tensor<2x?x8x16xf32>, %k: tensor<2x?x8x16xf32>, %v: tensor<2x6x8x16xf32>, %i: tensor<2x6x8x16xf32>) -> tensor<2x6x8x16xf32> {
  // expected-error @+3 {{faild to tile operation}}
  // expected-error @+2 {{failed to generate tiling loops}}
  // expected-error @+1 {{rat-tile-and-fuse: tiling failed with tile sizes [1, 2, 4]}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x?x8x16xf32>, tensor<2x?x8x16xf32>, tensor<2x6x8x16xf32>) outs(%i : tensor<2x6x8x16xf32>) {rat.tile_sizes = array<i64: 1, 2, 4>} -> tensor<2x6x8x16xf32>
  // expected-note @-1 {{head h reads query and key group h mod G: a tile of 2 heads must hold whole groups or lie within one (G divides the tile size or the tile size divides G), which needs static group counts; tile the heads by 1, or not at all (0)}}
  return %0 : tensor<2x6x8x16xf32>
}
