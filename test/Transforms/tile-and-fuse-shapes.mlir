// RUN: rat-opt %s -split-input-file -rat-tile-and-fuse="attention-tile-sizes=1,1,4 norm-tile-sizes=1,4 step-tile-sizes=1,1" | FileCheck %s

// Dynamic group counts: a tile of one head reads group h mod G, computed at
// run time (G is not a constant).
// CHECK-LABEL: func.func @dynamic_groups
// CHECK-SAME:    %[[Q:[a-z0-9]+]]: tensor<2x?x8x16xf32>
// CHECK:         scf.forall (%[[B:.+]], %[[H:.+]], %[[T:.+]]) =
// CHECK:           %[[G:.+]] = tensor.dim %[[Q]], %{{.+}} : tensor<2x?x8x16xf32>
// CHECK:           %[[QG:.+]] = arith.remui %[[H]], %[[G]] : index
// CHECK:           tensor.extract_slice %[[Q]][%[[B]], %[[QG]], %[[T]], 0] [1, 1, 4, 16]
// CHECK:           rat.chunk_attention
func.func @dynamic_groups(%q: tensor<2x?x8x16xf32>, %k: tensor<2x?x8x16xf32>, %v: tensor<2x6x8x16xf32>, %i: tensor<2x6x8x16xf32>) -> tensor<2x6x8x16xf32> {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<2x?x8x16xf32>, tensor<2x?x8x16xf32>, tensor<2x6x8x16xf32>) outs(%i : tensor<2x6x8x16xf32>) -> tensor<2x6x8x16xf32>
  return %0 : tensor<2x6x8x16xf32>
}

// -----

// Dynamic head counts everywhere: the head loop runs to the output's head
// count and each tile reads its query group h mod G.
// CHECK-LABEL: func.func @dynamic_heads_step
// CHECK:         scf.forall
// CHECK:           arith.remui
// CHECK:           rat.chunk_attention_step
func.func @dynamic_heads_step(%q: tensor<?x?x16xf32>, %k: tensor<?x?x16xf32>, %v: tensor<?x?x16xf32>, %o: tensor<?x?x16xf32>, %kc: tensor<?x?x?x16xf32>, %vc: tensor<?x?x?x16xf32>, %p: index) -> (tensor<?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>) position(%p) outs(%o, %kc, %vc : tensor<?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>) -> tensor<?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>
  return %0#0, %0#1, %0#2 : tensor<?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>
}

// -----

// A statically empty result: nothing to tile, and a tile would slice the
// zero-sized dim at offset 0 (out of bounds for the slice verifier). The op
// is left whole for the loop lowering, and is not fused into a consumer.
// CHECK-LABEL: func.func @empty_rows
// CHECK-NOT:     scf.forall
// CHECK:         rat.rms_norm {{.*}} -> tensor<2x8x0xf32>
// CHECK-NOT:     scf.forall
// CHECK:         return
func.func @empty_rows(%x: tensor<2x8x0xf32>, %w: tensor<0xf32>, %i: tensor<2x8x0xf32>) -> tensor<2x8x0xf32> {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x8x0xf32>, tensor<0xf32>) outs(%i : tensor<2x8x0xf32>) -> tensor<2x8x0xf32>
  return %0 : tensor<2x8x0xf32>
}

// -----

// CHECK-LABEL: func.func @empty_queries
// CHECK-NOT:     scf.forall
// CHECK:         rat.window_attention
func.func @empty_queries(%q: tensor<1x2x0x16xf32>, %i: tensor<1x2x0x16xf32>) -> tensor<1x2x0x16xf32> {
  %0 = rat.window_attention window = 3 ins(%q, %q, %q : tensor<1x2x0x16xf32>, tensor<1x2x0x16xf32>, tensor<1x2x0x16xf32>) outs(%i : tensor<1x2x0x16xf32>) -> tensor<1x2x0x16xf32>
  return %0 : tensor<1x2x0x16xf32>
}
