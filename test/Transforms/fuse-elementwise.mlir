// RUN: rat-opt %s -split-input-file -rat-fuse-elementwise | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>

// A chain of elementwise ops (gate sigmoid, output gating, residual add)
// becomes one linalg.generic that reads the three inputs directly.

// CHECK-DAG:   #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @chain(
// CHECK-SAME:    %[[G:[a-zA-Z0-9_]+]]: tensor<8x16xf32>, %[[Y:[a-zA-Z0-9_]+]]: tensor<8x16xf32>, %[[RES:[a-zA-Z0-9_]+]]: tensor<8x16xf32>)
// CHECK:         %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK:         %[[R:.+]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[G]], %[[Y]], %[[RES]] : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>)
// CHECK:         ^bb0(%[[GI:[a-zA-Z0-9_]+]]: f32, %[[YI:[a-zA-Z0-9_]+]]: f32, %[[RI:[a-zA-Z0-9_]+]]: f32, %{{[a-zA-Z0-9_]+}}: f32):
// CHECK:           %[[NEG:.+]] = arith.negf %[[GI]] : f32
// CHECK:           %[[EXP:.+]] = math.exp %[[NEG]] : f32
// CHECK:           %[[DEN:.+]] = arith.addf %[[EXP]], %[[ONE]] : f32
// CHECK:           %[[SIG:.+]] = arith.divf %[[ONE]], %[[DEN]] : f32
// CHECK:           %[[GATED:.+]] = arith.mulf %[[SIG]], %[[YI]] : f32
// CHECK:           %[[SUM:.+]] = arith.addf %[[GATED]], %[[RI]] : f32
// CHECK:           linalg.yield %[[SUM]] : f32
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]]
func.func @chain(%g: tensor<8x16xf32>, %y: tensor<8x16xf32>, %res: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %e0 = tensor.empty() : tensor<8x16xf32>
  %sig = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%g : tensor<8x16xf32>) outs(%e0 : tensor<8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %one = arith.constant 1.0 : f32
    %n = arith.negf %a : f32
    %ex = math.exp %n : f32
    %d = arith.addf %one, %ex : f32
    %s = arith.divf %one, %d : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  %e1 = tensor.empty() : tensor<8x16xf32>
  %gated = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sig, %y : tensor<8x16xf32>, tensor<8x16xf32>) outs(%e1 : tensor<8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<8x16xf32>
  %e2 = tensor.empty() : tensor<8x16xf32>
  %out = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%gated, %res : tensor<8x16xf32>, tensor<8x16xf32>) outs(%e2 : tensor<8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  return %out : tensor<8x16xf32>
}

// -----

// A broadcast producer (bias over rows) is fused through its indexing map.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// CHECK-DAG:   #[[ID:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG:   #[[ROW:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @broadcast(
// CHECK-SAME:    %[[BIAS:[a-zA-Z0-9_]+]]: tensor<16xf32>, %[[X:[a-zA-Z0-9_]+]]: tensor<8x16xf32>)
// CHECK:         linalg.generic {indexing_maps = [#[[ROW]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[BIAS]], %[[X]] : tensor<16xf32>, tensor<8x16xf32>)
// CHECK:         ^bb0(%[[BI:[a-zA-Z0-9_]+]]: f32, %[[XI:[a-zA-Z0-9_]+]]: f32, %{{[a-zA-Z0-9_]+}}: f32):
// CHECK:           %[[S:.+]] = arith.addf %[[BI]], %[[XI]] : f32
// CHECK:           linalg.yield %[[S]] : f32
// CHECK-NOT:     linalg.generic
func.func @broadcast(%bias: tensor<16xf32>, %x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %e0 = tensor.empty() : tensor<8x16xf32>
  %b = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%bias : tensor<16xf32>) outs(%e0 : tensor<8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<8x16xf32>
  %e1 = tensor.empty() : tensor<8x16xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b, %x : tensor<8x16xf32>, tensor<8x16xf32>) outs(%e1 : tensor<8x16xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %r = arith.addf %a, %c : f32
    linalg.yield %r : f32
  } -> tensor<8x16xf32>
  return %s : tensor<8x16xf32>
}

// -----

// A producer with a second user is not fused: its work would be repeated.

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @producer_with_two_users(
// CHECK:         %[[P:.+]] = linalg.generic
// CHECK:           math.exp
// CHECK:         %[[C:.+]] = linalg.generic {{.+}} ins(%[[P]], %{{.+}} : tensor<8x16xf32>, tensor<8x16xf32>)
// CHECK-NOT:       math.exp
// CHECK:           arith.mulf
// CHECK:         return %[[C]], %[[P]]
func.func @producer_with_two_users(%a: tensor<8x16xf32>, %b: tensor<8x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  %e = tensor.empty() : tensor<8x16xf32>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %ex = math.exp %x : f32
    linalg.yield %ex : f32
  } -> tensor<8x16xf32>
  %e2 = tensor.empty() : tensor<8x16xf32>
  %c = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p, %b : tensor<8x16xf32>, tensor<8x16xf32>) outs(%e2 : tensor<8x16xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %r = arith.mulf %x, %y : f32
    linalg.yield %r : f32
  } -> tensor<8x16xf32>
  return %c, %p : tensor<8x16xf32>, tensor<8x16xf32>
}

// -----

// Rat ops are not linalg consumers: the gate stays a separate generic (tiling
// fuses it later, -rat-tile-and-fuse).

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @rat_consumer(
// CHECK:         %[[GATE:.+]] = linalg.generic
// CHECK:           math.exp
// CHECK:         rat.chunk_scan chunk_size = 4 ins(%[[GATE]], %{{.+}} : tensor<8x16xf32>, tensor<8x16xf32>)
func.func @rat_consumer(%a: tensor<8x16xf32>, %x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %e = tensor.empty() : tensor<8x16xf32>
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %ex = math.exp %v : f32
    linalg.yield %ex : f32
  } -> tensor<8x16xf32>
  %i = tensor.empty() : tensor<8x16xf32>
  %h = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<8x16xf32>, tensor<8x16xf32>) outs(%i : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %h : tensor<8x16xf32>
}

// -----

// A head merge ([B, H, T, Dh] -> [B, T, H, Dh], then collapsed to [B, T, D])
// read by an elementwise op: the consumer is expanded to [B, T, H, Dh] and
// reads the heads through a permuted map; no copy of them is left. The
// result is collapsed back for its users.

#perm = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// CHECK-DAG:   #[[ID4:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG:   #[[PERM:.+]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
// CHECK-LABEL: func.func @merge_heads_into_consumer(
// CHECK-SAME:    %[[O:[a-zA-Z0-9_]+]]: tensor<?x4x?x16xf32>, %[[Z:[a-zA-Z0-9_]+]]: tensor<?x?x64xf32>)
// CHECK:         %[[ZX:.+]] = tensor.expand_shape %[[Z]] {{\[\[}}0], [1], [2, 3]] output_shape [%{{.+}}, %{{.+}}, 4, 16] : tensor<?x?x64xf32> into tensor<?x?x4x16xf32>
// CHECK:         %[[G:.+]] = linalg.generic {indexing_maps = [#[[ID4]], #[[PERM]], #[[ID4]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME:      ins(%[[ZX]], %[[O]] : tensor<?x?x4x16xf32>, tensor<?x4x?x16xf32>)
// CHECK:           arith.mulf
// CHECK:         %[[R:.+]] = tensor.collapse_shape %[[G]] {{\[\[}}0], [1], [2, 3]] : tensor<?x?x4x16xf32> into tensor<?x?x64xf32>
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[R]]
func.func @merge_heads_into_consumer(%o: tensor<?x4x?x16xf32>, %z: tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %b = tensor.dim %o, %c0 : tensor<?x4x?x16xf32>
  %t = tensor.dim %o, %c2 : tensor<?x4x?x16xf32>
  %e = tensor.empty(%b, %t) : tensor<?x?x4x16xf32>
  %m = linalg.generic {indexing_maps = [#perm, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%o : tensor<?x4x?x16xf32>) outs(%e : tensor<?x?x4x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    linalg.yield %x : f32
  } -> tensor<?x?x4x16xf32>
  %c = tensor.collapse_shape %m [[0], [1], [2, 3]] : tensor<?x?x4x16xf32> into tensor<?x?x64xf32>
  %e2 = tensor.empty(%b, %t) : tensor<?x?x64xf32>
  %g = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%z, %c : tensor<?x?x64xf32>, tensor<?x?x64xf32>) outs(%e2 : tensor<?x?x64xf32>) {
  ^bb0(%x: f32, %y: f32, %w: f32):
    %r = arith.mulf %x, %y : f32
    linalg.yield %r : f32
  } -> tensor<?x?x64xf32>
  return %g : tensor<?x?x64xf32>
}

// -----

// A collapsed result that is not a permutation copy (here an exp) keeps its
// consumer at its own rank: reshapes are propagated only to absorb a copy.

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @collapse_of_compute_stays(
// CHECK:         %[[E:.+]] = linalg.generic
// CHECK:           math.exp
// CHECK:         %[[C:.+]] = tensor.collapse_shape %[[E]]
// CHECK:         linalg.generic {{.+}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%{{.+}}, %[[C]] : tensor<2x8x64xf32>, tensor<2x8x64xf32>)
// CHECK-NOT:     tensor.expand_shape
func.func @collapse_of_compute_stays(%o: tensor<2x8x4x16xf32>, %z: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  %e = tensor.empty() : tensor<2x8x4x16xf32>
  %m = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%o : tensor<2x8x4x16xf32>) outs(%e : tensor<2x8x4x16xf32>) {
  ^bb0(%x: f32, %y: f32):
    %ex = math.exp %x : f32
    linalg.yield %ex : f32
  } -> tensor<2x8x4x16xf32>
  %c = tensor.collapse_shape %m [[0], [1], [2, 3]] : tensor<2x8x4x16xf32> into tensor<2x8x64xf32>
  %e2 = tensor.empty() : tensor<2x8x64xf32>
  %g = linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%z, %c : tensor<2x8x64xf32>, tensor<2x8x64xf32>) outs(%e2 : tensor<2x8x64xf32>) {
  ^bb0(%x: f32, %y: f32, %w: f32):
    %r = arith.mulf %x, %y : f32
    linalg.yield %r : f32
  } -> tensor<2x8x64xf32>
  return %g : tensor<2x8x64xf32>
}
