// RUN: rat-opt %s -split-input-file -verify-diagnostics \
// RUN:   -rat-tile-and-fuse="scan-tile-sizes=1,2,8 attention-tile-sizes=1,1,16 norm-tile-sizes=1,8 step-tile-sizes=1,1" \
// RUN:   | FileCheck %s
// RUN: rat-opt %s -split-input-file -verify-diagnostics \
// RUN:   -rat-tile-and-fuse="scan-tile-sizes=1,2,8 attention-tile-sizes=1,1,16 norm-tile-sizes=1,8 step-tile-sizes=1,1 use-forall=false" \
// RUN:   | FileCheck %s --check-prefix=FOR

// Scan tiles count whole chunks: chunk tile c covers tokens
// [4c, 4c + min(8, 37 - 4c)) (2 chunks of 4, the last one ragged); the
// domain has ceil(37 / 4) = 10 chunks.

// CHECK-DAG:   #[[START:.+]] = affine_map<(d0) -> (d0 * 4)>
// CHECK-DAG:   #[[LEN:.+]] = affine_map<(d0) -> (8, d0 * -4 + 37)>
// CHECK-LABEL: func.func @scan_tiles_whole_chunks(
// CHECK-SAME:    %[[G:[a-zA-Z0-9_]+]]: tensor<2x37x24xf32>, %[[X:[a-zA-Z0-9_]+]]: tensor<2x37x24xf32>, %[[INIT:[a-zA-Z0-9_]+]]: tensor<2x37x24xf32>)
// CHECK:         %[[R:.+]] = scf.forall (%[[B:[a-zA-Z0-9_]+]], %[[C:[a-zA-Z0-9_]+]], %[[N:[a-zA-Z0-9_]+]]) = (0, 0, 0) to (2, 10, 24) step (1, 2, 8) shared_outs(%[[OUT:.+]] = %[[INIT]])
// CHECK:           %[[T0:.+]] = affine.apply #[[START]](%[[C]])
// CHECK:           %[[TS:.+]] = affine.min #[[LEN]](%[[C]])
// CHECK:           %[[GS:.+]] = tensor.extract_slice %[[G]][%[[B]], %[[T0]], %[[N]]] [1, %[[TS]], 8] [1, 1, 1] : tensor<2x37x24xf32> to tensor<1x?x8xf32>
// CHECK:           %[[XS:.+]] = tensor.extract_slice %[[X]][%[[B]], %[[T0]], %[[N]]] [1, %[[TS]], 8] [1, 1, 1]
// CHECK:           %[[OS:.+]] = tensor.extract_slice %[[OUT]][%[[B]], %[[T0]], %[[N]]] [1, %[[TS]], 8] [1, 1, 1]
// CHECK:           %[[H:.+]] = rat.chunk_scan chunk_size = 4 ins(%[[GS]], %[[XS]] : tensor<1x?x8xf32>, tensor<1x?x8xf32>) outs(%[[OS]] : tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
// CHECK:           %[[T1:.+]] = affine.apply #[[START]](%[[C]])
// CHECK:           %[[TS1:.+]] = affine.min #[[LEN]](%[[C]])
// CHECK:           scf.forall.in_parallel
// CHECK-NEXT:        tensor.parallel_insert_slice %[[H]] into %[[OUT]][%[[B]], %[[T1]], %[[N]]] [1, %[[TS1]], 8] [1, 1, 1]
// CHECK:         return %[[R]]

// use-forall=false: the same tiles as nested scf.for loops over chunks.
// FOR-DAG:     #[[START:.+]] = affine_map<(d0) -> (d0 * 4)>
// FOR-LABEL:   func.func @scan_tiles_whole_chunks(
// FOR-NOT:       scf.forall
// FOR-DAG:       %[[C10:.+]] = arith.constant 10 : index
// FOR:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// FOR:             scf.for %[[C:.+]] = %{{.+}} to %[[C10]] step %{{.+}} iter_args
// FOR:               scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[ACC:.+]] = %{{.+}})
// FOR:                 affine.apply #[[START]](%[[C]])
// FOR:                 %[[H:.+]] = rat.chunk_scan chunk_size = 4 {{.+}} -> tensor<1x?x8xf32>
// FOR:                 %[[INS:.+]] = tensor.insert_slice %[[H]] into %[[ACC]]
// FOR:                 scf.yield %[[INS]]
// FOR-NOT:       scf.forall
func.func @scan_tiles_whole_chunks(%g: tensor<2x37x24xf32>, %x: tensor<2x37x24xf32>, %init: tensor<2x37x24xf32>) -> tensor<2x37x24xf32> {
  %0 = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<2x37x24xf32>, tensor<2x37x24xf32>) outs(%init : tensor<2x37x24xf32>) -> tensor<2x37x24xf32>
  return %0 : tensor<2x37x24xf32>
}

// -----

// Attention is tiled over [B, H, Tq]: the query tile of output head h is query
// head h mod 2 (Hq = 2 of H = 4), the single key head is read whole, every
// tile reads the whole key sequence and passes its first position as offset.

// CHECK-DAG:   #[[MOD:.+]] = affine_map<(d0) -> (d0 mod 2)>
// CHECK-LABEL: func.func @attention_tiles_queries(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<2x2x64x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<2x1x64x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<2x4x64x32xf32>, %[[INIT:[a-zA-Z0-9_]+]]: tensor<2x4x64x32xf32>)
// CHECK:         scf.forall (%[[B:[a-zA-Z0-9_]+]], %[[H:[a-zA-Z0-9_]+]], %[[T:[a-zA-Z0-9_]+]]) = (0, 0, 0) to (2, 4, 64) step (1, 1, 16) shared_outs(%[[OUT:.+]] = %[[INIT]])
// CHECK:           %[[QH:.+]] = affine.apply #[[MOD]](%[[H]])
// CHECK:           %[[QS:.+]] = tensor.extract_slice %[[Q]][%[[B]], %[[QH]], %[[T]], 0] [1, 1, 16, 16] [1, 1, 1, 1]
// CHECK:           %[[KS:.+]] = tensor.extract_slice %[[K]][%[[B]], 0, 0, 0] [1, 1, 64, 16] [1, 1, 1, 1]
// CHECK:           %[[VS:.+]] = tensor.extract_slice %[[V]][%[[B]], %[[H]], 0, 0] [1, 1, 64, 32] [1, 1, 1, 1]
// CHECK:           %[[OS:.+]] = tensor.extract_slice %[[OUT]][%[[B]], %[[H]], %[[T]], 0] [1, 1, 16, 32] [1, 1, 1, 1]
// CHECK:           %[[A:.+]] = rat.chunk_attention chunk_size = 8 ins(%[[QS]], %[[KS]], %[[VS]] : tensor<1x1x16x16xf32>, tensor<1x1x64x16xf32>, tensor<1x1x64x32xf32>) offset(%[[T]]) outs(%[[OS]] : tensor<1x1x16x32xf32>)
// CHECK:           tensor.parallel_insert_slice %[[A]] into %[[OUT]][%[[B]], %[[H]], %[[T]], 0] [1, 1, 16, 32]
func.func @attention_tiles_queries(%q: tensor<2x2x64x16xf32>, %k: tensor<2x1x64x16xf32>, %v: tensor<2x4x64x32xf32>, %init: tensor<2x4x64x32xf32>) -> tensor<2x4x64x32xf32> {
  %0 = rat.chunk_attention chunk_size = 8 ins(%q, %k, %v : tensor<2x2x64x16xf32>, tensor<2x1x64x16xf32>, tensor<2x4x64x32xf32>) outs(%init : tensor<2x4x64x32xf32>) -> tensor<2x4x64x32xf32>
  return %0 : tensor<2x4x64x32xf32>
}

// -----

// An existing offset is added to the tile's first query position.

// CHECK-DAG:   #[[ADD:.+]] = affine_map<(d0)[s0] -> (d0 + s0)>
// CHECK-LABEL: func.func @window_attention_adds_offset(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<1x4x32x16xf32>, %[[K:[a-zA-Z0-9_]+]]: tensor<1x4x64x16xf32>, %{{[a-zA-Z0-9_]+}}: tensor<1x4x64x16xf32>, %{{[a-zA-Z0-9_]+}}: tensor<1x4x32x16xf32>, %[[OFF:[a-zA-Z0-9_]+]]: index)
// CHECK:         scf.forall (%[[B:[a-zA-Z0-9_]+]], %[[H:[a-zA-Z0-9_]+]], %[[T:[a-zA-Z0-9_]+]]) = (0, 0, 0) to (1, 4, 32) step (1, 1, 16)
// CHECK:           %[[QS:.+]] = tensor.extract_slice %[[Q]][%[[B]], %[[H]], %[[T]], 0] [1, 1, 16, 16]
// CHECK:           %[[KS:.+]] = tensor.extract_slice %[[K]][%[[B]], %[[H]], 0, 0] [1, 1, 64, 16]
// CHECK:           %[[POS:.+]] = affine.apply #[[ADD]](%[[T]])[%[[OFF]]]
// CHECK:           rat.window_attention window = 8 ins(%[[QS]], %[[KS]], %{{.+}} : tensor<1x1x16x16xf32>, tensor<1x1x64x16xf32>, tensor<1x1x64x16xf32>) offset(%[[POS]])
func.func @window_attention_adds_offset(%q: tensor<1x4x32x16xf32>, %k: tensor<1x4x64x16xf32>, %v: tensor<1x4x64x16xf32>, %init: tensor<1x4x32x16xf32>, %off: index) -> tensor<1x4x32x16xf32> {
  %0 = rat.window_attention window = 8 ins(%q, %k, %v : tensor<1x4x32x16xf32>, tensor<1x4x64x16xf32>, tensor<1x4x64x16xf32>) offset(%off) outs(%init : tensor<1x4x32x16xf32>) -> tensor<1x4x32x16xf32>
  return %0 : tensor<1x4x32x16xf32>
}

// -----

// An elementwise gate producer (sigmoid) is fused into the scan's tile loop.

// CHECK-LABEL: func.func @scan_fuses_gate(
// CHECK-SAME:    %[[GL:[a-zA-Z0-9_]+]]: tensor<2x32x16xf32>, %[[X:[a-zA-Z0-9_]+]]: tensor<2x32x16xf32>)
// CHECK:         scf.forall (%[[B:[a-zA-Z0-9_]+]], %[[C:[a-zA-Z0-9_]+]], %[[N:[a-zA-Z0-9_]+]]) = (0, 0, 0) to (2, 8, 16) step (1, 2, 8)
// CHECK:           %[[GLS:.+]] = tensor.extract_slice %[[GL]][%[[B]], %{{.+}}, %[[N]]] [1, %{{.+}}, 8] [1, 1, 1] : tensor<2x32x16xf32> to tensor<1x?x8xf32>
// CHECK:           %[[GATE:.+]] = linalg.generic {{.+}} ins(%[[GLS]] : tensor<1x?x8xf32>)
// CHECK:             math.exp
// CHECK:             arith.divf
// CHECK:           } -> tensor<1x?x8xf32>
// CHECK:           %[[XS:.+]] = tensor.extract_slice %[[X]][%[[B]], %{{.+}}, %[[N]]] [1, %{{.+}}, 8]
// CHECK:           rat.chunk_scan chunk_size = 4 ins(%[[GATE]], %[[XS]] : tensor<1x?x8xf32>, tensor<1x?x8xf32>)
// CHECK:           scf.forall.in_parallel
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
func.func @scan_fuses_gate(%gl: tensor<2x32x16xf32>, %x: tensor<2x32x16xf32>) -> tensor<2x32x16xf32> {
  %e = tensor.empty() : tensor<2x32x16xf32>
  %g = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%gl : tensor<2x32x16xf32>) outs(%e : tensor<2x32x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %one = arith.constant 1.0 : f32
    %n = arith.negf %a : f32
    %ex = math.exp %n : f32
    %d = arith.addf %one, %ex : f32
    %s = arith.divf %one, %d : f32
    linalg.yield %s : f32
  } -> tensor<2x32x16xf32>
  %init = tensor.empty() : tensor<2x32x16xf32>
  %h = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<2x32x16xf32>, tensor<2x32x16xf32>) outs(%init : tensor<2x32x16xf32>) -> tensor<2x32x16xf32>
  return %h : tensor<2x32x16xf32>
}

// -----

// The query rope is fused into the attention tile loop (encoding the tile at
// its offset); the key rope and the value scan are not: every query tile
// reads the whole key sequence. The producers are not tiled on their own
// (rat.tile_sizes of zeros), so only fusion could move them into the loop.

// CHECK-LABEL: func.func @attention_fuses_query_rope_only(
// CHECK-SAME:    %[[XQ:[a-zA-Z0-9_]+]]: tensor<1x2x32x16xf32>, %[[XK:[a-zA-Z0-9_]+]]: tensor<1x2x32x16xf32>
// CHECK:         %[[K:.+]] = rat.rope chunk_size = 8 base = 1.000000e+04 ins(%[[XK]] : tensor<1x2x32x16xf32>) outs
// CHECK:         %[[V:.+]] = rat.chunk_scan chunk_size = 8 ins({{.+}} : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>)
// CHECK:         scf.forall (%[[B:[a-zA-Z0-9_]+]], %[[H:[a-zA-Z0-9_]+]], %[[T:[a-zA-Z0-9_]+]]) = (0, 0, 0) to (1, 2, 32) step (1, 1, 16)
// CHECK-NOT:       rat.chunk_scan
// CHECK:           %[[XQS:.+]] = tensor.extract_slice %[[XQ]][%[[B]], %[[H]], %[[T]], 0] [1, 1, 16, 16]
// CHECK:           %[[Q:.+]] = rat.rope chunk_size = 8 base = 1.000000e+04 ins(%[[XQS]] : tensor<1x1x16x16xf32>) offset(%[[T]])
// CHECK-NOT:       rat.rope
// CHECK-NOT:       rat.chunk_scan
// CHECK:           %[[KS:.+]] = tensor.extract_slice %[[K]][%[[B]], %[[H]], 0, 0] [1, 1, 32, 16]
// CHECK:           %[[VS:.+]] = tensor.extract_slice %[[V]][%[[B]], %[[H]], 0, 0] [1, 1, 32, 16]
// CHECK-NOT:       rat.rope
// CHECK-NOT:       rat.chunk_scan
// CHECK:           rat.chunk_attention chunk_size = 8 ins(%[[Q]], %[[KS]], %[[VS]] : tensor<1x1x16x16xf32>, tensor<1x1x32x16xf32>, tensor<1x1x32x16xf32>) offset(%[[T]])
// CHECK:           scf.forall.in_parallel
func.func @attention_fuses_query_rope_only(%xq: tensor<1x2x32x16xf32>, %xk: tensor<1x2x32x16xf32>, %g: tensor<1x2x32x16xf32>, %xv: tensor<1x2x32x16xf32>) -> tensor<1x2x32x16xf32> {
  %eq = tensor.empty() : tensor<1x2x32x16xf32>
  %q = rat.rope chunk_size = 8 base = 10000.0 ins(%xq : tensor<1x2x32x16xf32>) outs(%eq : tensor<1x2x32x16xf32>) -> tensor<1x2x32x16xf32>
  %ek = tensor.empty() : tensor<1x2x32x16xf32>
  %k = rat.rope chunk_size = 8 base = 10000.0 ins(%xk : tensor<1x2x32x16xf32>) outs(%ek : tensor<1x2x32x16xf32>) -> tensor<1x2x32x16xf32>
  %ev = tensor.empty() : tensor<1x2x32x16xf32>
  %v = rat.chunk_scan chunk_size = 8 ins(%g, %xv : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>) outs(%ev : tensor<1x2x32x16xf32>) {rat.tile_sizes = array<i64: 0, 0, 0, 0>} -> tensor<1x2x32x16xf32>
  %eo = tensor.empty() : tensor<1x2x32x16xf32>
  %o = rat.chunk_attention chunk_size = 8 ins(%q, %k, %v : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>) outs(%eo : tensor<1x2x32x16xf32>) -> tensor<1x2x32x16xf32>
  return %o : tensor<1x2x32x16xf32>
}

// -----

// A scan producer is fused into a consumer tile that starts at a chunk
// boundary (8-token norm tiles, 4-token chunks) ...

// CHECK-LABEL: func.func @norm_fuses_scan_at_chunk_boundary(
// CHECK:         scf.forall (%[[B:[a-zA-Z0-9_]+]], %[[T:[a-zA-Z0-9_]+]]) = (0, 0) to (2, 32) step (1, 8)
// CHECK:           %[[H:.+]] = rat.chunk_scan chunk_size = 4 ins({{.+}} : tensor<1x?x16xf32>, tensor<1x?x16xf32>)
// CHECK:           rat.rms_norm epsilon = 1.000000e-05 ins(%[[H]], %{{.+}} : tensor<1x?x16xf32>, tensor<16xf32>) outs(%{{.+}} : tensor<1x8x16xf32>)
// CHECK:           scf.forall.in_parallel
func.func @norm_fuses_scan_at_chunk_boundary(%g: tensor<2x32x16xf32>, %x: tensor<2x32x16xf32>, %w: tensor<16xf32>) -> tensor<2x32x16xf32> {
  %e = tensor.empty() : tensor<2x32x16xf32>
  %h = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<2x32x16xf32>, tensor<2x32x16xf32>) outs(%e : tensor<2x32x16xf32>) {rat.tile_sizes = array<i64: 0>} -> tensor<2x32x16xf32>
  %e2 = tensor.empty() : tensor<2x32x16xf32>
  %n = rat.rms_norm epsilon = 1.0e-05 ins(%h, %w : tensor<2x32x16xf32>, tensor<16xf32>) outs(%e2 : tensor<2x32x16xf32>) -> tensor<2x32x16xf32>
  return %n : tensor<2x32x16xf32>
}

// -----

// ... but not into one that would split a chunk (8-token tiles, 3-token
// chunks): the scan stays whole before the loop.

// CHECK-LABEL: func.func @norm_does_not_split_chunks(
// CHECK:         %[[H:.+]] = rat.chunk_scan chunk_size = 3 ins({{.+}} : tensor<2x32x16xf32>, tensor<2x32x16xf32>)
// CHECK:         scf.forall (%[[B:[a-zA-Z0-9_]+]], %[[T:[a-zA-Z0-9_]+]]) = (0, 0) to (2, 32) step (1, 8)
// CHECK:           %[[HS:.+]] = tensor.extract_slice %[[H]][%[[B]], %[[T]], 0] [1, 8, 16]
// CHECK:           rat.rms_norm epsilon = 1.000000e-05 ins(%[[HS]], %{{.+}} : tensor<1x8x16xf32>, tensor<16xf32>)
func.func @norm_does_not_split_chunks(%g: tensor<2x32x16xf32>, %x: tensor<2x32x16xf32>, %w: tensor<16xf32>) -> tensor<2x32x16xf32> {
  %e = tensor.empty() : tensor<2x32x16xf32>
  %h = rat.chunk_scan chunk_size = 3 ins(%g, %x : tensor<2x32x16xf32>, tensor<2x32x16xf32>) outs(%e : tensor<2x32x16xf32>) {rat.tile_sizes = array<i64: 0>} -> tensor<2x32x16xf32>
  %e2 = tensor.empty() : tensor<2x32x16xf32>
  %n = rat.rms_norm epsilon = 1.0e-05 ins(%h, %w : tensor<2x32x16xf32>, tensor<16xf32>) outs(%e2 : tensor<2x32x16xf32>) -> tensor<2x32x16xf32>
  return %n : tensor<2x32x16xf32>
}

// -----

// rat.tile_sizes overrides the option of the op kind (norm-tile-sizes=1,8);
// missing trailing sizes and zeros leave dims untiled; all zeros leave the op
// alone. Rope (no option given) is tiled by its attribute alone, over
// [batch..., T], with the tile's first token as offset.

// CHECK-DAG:   #[[ADD:.+]] = affine_map<(d0)[s0] -> (d0 + s0)>
// CHECK-LABEL: func.func @tile_sizes_attribute(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<2x16x32xf32>, %[[W:[a-zA-Z0-9_]+]]: tensor<32xf32>, %{{[a-zA-Z0-9_]+}}: tensor<2x16x32xf32>, %[[R:[a-zA-Z0-9_]+]]: tensor<2x16x32xf32>, %[[OFF:[a-zA-Z0-9_]+]]: index)
// CHECK:         scf.forall (%[[B:[a-zA-Z0-9_]+]], %[[T:[a-zA-Z0-9_]+]]) = (0, 0) to (2, 16) step (1, 4)
// CHECK:           rat.rms_norm {{.+}} ins(%{{.+}}, %[[W]] : tensor<1x4x32xf32>, tensor<32xf32>)
// CHECK:         scf.forall (%[[B1:[a-zA-Z0-9_]+]]) in (2)
// CHECK:           rat.rms_norm {{.+}} ins(%{{.+}}, %[[W]] : tensor<1x16x32xf32>, tensor<32xf32>)
// CHECK-NOT:     scf.forall (
// CHECK:         rat.rms_norm {{.+}} ins(%[[X]], %[[W]] : tensor<2x16x32xf32>, tensor<32xf32>)
// CHECK:         scf.forall (%[[B2:[a-zA-Z0-9_]+]], %[[T2:[a-zA-Z0-9_]+]]) = (0, 0) to (2, 16) step (1, 8)
// CHECK:           %[[RS:.+]] = tensor.extract_slice %[[R]][%[[B2]], %[[T2]], 0] [1, 8, 32]
// CHECK:           %[[POS:.+]] = affine.apply #[[ADD]](%[[T2]])[%[[OFF]]]
// CHECK:           rat.rope chunk_size = 4 base = 1.000000e+04 ins(%[[RS]] : tensor<1x8x32xf32>) offset(%[[POS]])
func.func @tile_sizes_attribute(%x: tensor<2x16x32xf32>, %w: tensor<32xf32>, %init: tensor<2x16x32xf32>, %r: tensor<2x16x32xf32>, %off: index)
    -> (tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>) {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x16x32xf32>, tensor<32xf32>) outs(%init : tensor<2x16x32xf32>) {rat.tile_sizes = array<i64: 1, 4>} -> tensor<2x16x32xf32>
  %1 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x16x32xf32>, tensor<32xf32>) outs(%init : tensor<2x16x32xf32>) {rat.tile_sizes = array<i64: 1>} -> tensor<2x16x32xf32>
  %2 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x16x32xf32>, tensor<32xf32>) outs(%init : tensor<2x16x32xf32>) {rat.tile_sizes = array<i64: 0, 0>} -> tensor<2x16x32xf32>
  %3 = rat.rope chunk_size = 4 base = 10000.0 ins(%r : tensor<2x16x32xf32>) offset(%off) outs(%init : tensor<2x16x32xf32>) {rat.tile_sizes = array<i64: 1, 8>} -> tensor<2x16x32xf32>
  return %0, %1, %2, %3 : tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>, tensor<2x16x32xf32>
}

// -----

// Decode steps are tiled over [B, H]; the grouped query is sliced at h mod 2
// and each head tile updates its rows of both caches.

// CHECK-DAG:   #[[MOD:.+]] = affine_map<(d0) -> (d0 mod 2)>
// CHECK-LABEL: func.func @attention_step_tiles_heads(
// CHECK-SAME:    %[[Q:[a-zA-Z0-9_]+]]: tensor<2x2x16xf32>, %{{[a-zA-Z0-9_]+}}: tensor<2x4x16xf32>, %{{[a-zA-Z0-9_]+}}: tensor<2x4x32xf32>, %[[O:[a-zA-Z0-9_]+]]: tensor<2x4x32xf32>, %[[KC:[a-zA-Z0-9_]+]]: tensor<2x4x8x16xf32>, %[[VC:[a-zA-Z0-9_]+]]: tensor<2x4x8x32xf32>, %[[POS:[a-zA-Z0-9_]+]]: index)
// CHECK:         %[[R:.+]]:3 = scf.forall (%[[B:[a-zA-Z0-9_]+]], %[[H:[a-zA-Z0-9_]+]]) in (2, 4) shared_outs(%[[O2:.+]] = %[[O]], %[[KC2:.+]] = %[[KC]], %[[VC2:.+]] = %[[VC]])
// CHECK:           %[[QH:.+]] = affine.apply #[[MOD]](%[[H]])
// CHECK:           tensor.extract_slice %[[Q]][%[[B]], %[[QH]], 0] [1, 1, 16]
// CHECK:           %[[KCS:.+]] = tensor.extract_slice %[[KC2]][%[[B]], %[[H]], 0, 0] [1, 1, 8, 16]
// CHECK:           %[[VCS:.+]] = tensor.extract_slice %[[VC2]][%[[B]], %[[H]], 0, 0] [1, 1, 8, 32]
// CHECK:           %[[S:.+]]:3 = rat.chunk_attention_step chunk_size = 4 ins({{.+}}) position(%[[POS]]) outs(%{{.+}}, %[[KCS]], %[[VCS]] : tensor<1x1x32xf32>, tensor<1x1x8x16xf32>, tensor<1x1x8x32xf32>)
// CHECK:           scf.forall.in_parallel
// CHECK-NEXT:        tensor.parallel_insert_slice %[[S]]#0 into %[[O2]][%[[B]], %[[H]], 0] [1, 1, 32]
// CHECK-NEXT:        tensor.parallel_insert_slice %[[S]]#1 into %[[KC2]][%[[B]], %[[H]], 0, 0] [1, 1, 8, 16]
// CHECK-NEXT:        tensor.parallel_insert_slice %[[S]]#2 into %[[VC2]][%[[B]], %[[H]], 0, 0] [1, 1, 8, 32]
// CHECK:         return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @attention_step_tiles_heads(%q: tensor<2x2x16xf32>, %k: tensor<2x4x16xf32>, %v: tensor<2x4x32xf32>, %o: tensor<2x4x32xf32>, %kc: tensor<2x4x8x16xf32>, %vc: tensor<2x4x8x32xf32>, %pos: index)
    -> (tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) {
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<2x2x16xf32>, tensor<2x4x16xf32>, tensor<2x4x32xf32>) position(%pos) outs(%o, %kc, %vc : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
  return %0#0, %0#1, %0#2 : tensor<2x4x32xf32>, tensor<2x4x8x16xf32>, tensor<2x4x8x32xf32>
}

// -----

// Ops on buffers are left alone.

// CHECK-LABEL: func.func @buffers_not_tiled(
// CHECK-NOT:     scf.forall
// CHECK:         rat.chunk_scan chunk_size = 4 ins(%{{.+}}, %{{.+}} : memref<2x32x16xf32>, memref<2x32x16xf32>)
// CHECK-NOT:     scf.forall
func.func @buffers_not_tiled(%g: memref<2x32x16xf32>, %x: memref<2x32x16xf32>, %out: memref<2x32x16xf32>) {
  rat.chunk_scan chunk_size = 4 ins(%g, %x : memref<2x32x16xf32>, memref<2x32x16xf32>) outs(%out : memref<2x32x16xf32>)
  return
}

// -----

// A head tile of 3 neither holds whole query groups (2) nor fits in one.

func.func @attention_bad_head_tile(%q: tensor<2x2x64x16xf32>, %k: tensor<2x1x64x16xf32>, %v: tensor<2x4x64x32xf32>, %init: tensor<2x4x64x32xf32>) -> tensor<2x4x64x32xf32> {
  // expected-error @+3 {{to tile operation}}
  // expected-error @+2 {{failed to generate tiling loops}}
  // expected-error @+1 {{rat-tile-and-fuse: tiling failed with tile sizes [1, 3, 16]}}
  %0 = rat.chunk_attention chunk_size = 8 ins(%q, %k, %v : tensor<2x2x64x16xf32>, tensor<2x1x64x16xf32>, tensor<2x4x64x32xf32>) outs(%init : tensor<2x4x64x32xf32>) {rat.tile_sizes = array<i64: 1, 3, 16>} -> tensor<2x4x64x32xf32>
  // expected-note @-1 {{a tile of 3 heads must hold whole groups or lie within one}}
  return %0 : tensor<2x4x64x32xf32>
}

// -----

// A producer with users outside the loop nest (one gate for the value and
// the key scans) is not fused: it would be computed once per consumer. It is
// computed once, before both scan loops.

// CHECK-LABEL: func.func @shared_gate_not_fused(
// CHECK:         %[[GATE:.+]] = linalg.generic
// CHECK:           math.exp
// CHECK:         scf.forall
// CHECK-NOT:       linalg.generic
// CHECK:           %[[G1:.+]] = tensor.extract_slice %[[GATE]]
// CHECK:           rat.chunk_scan chunk_size = 4 ins(%[[G1]],
// CHECK:         scf.forall
// CHECK-NOT:       linalg.generic
// CHECK:           %[[G2:.+]] = tensor.extract_slice %[[GATE]]
// CHECK:           rat.chunk_scan chunk_size = 4 ins(%[[G2]],
func.func @shared_gate_not_fused(%gl: tensor<2x32x16xf32>, %v: tensor<2x32x16xf32>, %k: tensor<2x32x16xf32>) -> (tensor<2x32x16xf32>, tensor<2x32x16xf32>) {
  %e = tensor.empty() : tensor<2x32x16xf32>
  %gate = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]} ins(%gl : tensor<2x32x16xf32>) outs(%e : tensor<2x32x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %n = arith.negf %in : f32
    %x = math.exp %n : f32
    %d = arith.addf %one, %x : f32
    %s = arith.divf %one, %d : f32
    linalg.yield %s : f32
  } -> tensor<2x32x16xf32>
  %e1 = tensor.empty() : tensor<2x32x16xf32>
  %vs = rat.chunk_scan chunk_size = 4 ins(%gate, %v : tensor<2x32x16xf32>, tensor<2x32x16xf32>) outs(%e1 : tensor<2x32x16xf32>) -> tensor<2x32x16xf32>
  %e2 = tensor.empty() : tensor<2x32x16xf32>
  %ks = rat.chunk_scan chunk_size = 4 ins(%gate, %k : tensor<2x32x16xf32>, tensor<2x32x16xf32>) outs(%e2 : tensor<2x32x16xf32>) -> tensor<2x32x16xf32>
  return %vs, %ks : tensor<2x32x16xf32>, tensor<2x32x16xf32>
}

// -----

// A decode step's gate is read by its value and key scan steps: each step
// loop computes it again for its tile (a sigmoid per element) instead of a
// separate loop (a kernel of its own on the GPU) writing it once.

// CHECK-LABEL: func.func @shared_gate_of_steps(
// CHECK-NOT:     math.exp
// CHECK:         scf.forall
// CHECK:           linalg.generic
// CHECK:             math.exp
// CHECK:           rat.chunk_scan_step
// CHECK:         scf.forall
// CHECK:           linalg.generic
// CHECK:             math.exp
// CHECK:           rat.chunk_scan_step
func.func @shared_gate_of_steps(%gl: tensor<?x16xf32>, %v: tensor<?x16xf32>, %k: tensor<?x16xf32>, %sv: tensor<?x16xf32>, %sk: tensor<?x16xf32>, %pos: index) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %b = tensor.dim %gl, %c0 : tensor<?x16xf32>
  %e = tensor.empty(%b) : tensor<?x16xf32>
  %gate = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%gl : tensor<?x16xf32>) outs(%e : tensor<?x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %one = arith.constant 1.0 : f32
    %n = arith.negf %in : f32
    %x = math.exp %n : f32
    %d = arith.addf %one, %x : f32
    %s = arith.divf %one, %d : f32
    linalg.yield %s : f32
  } -> tensor<?x16xf32>
  %nv = rat.chunk_scan_step chunk_size = 4 ins(%gate, %v : tensor<?x16xf32>, tensor<?x16xf32>) position(%pos) outs(%sv : tensor<?x16xf32>) -> tensor<?x16xf32>
  %nk = rat.chunk_scan_step chunk_size = 4 ins(%gate, %k : tensor<?x16xf32>, tensor<?x16xf32>) position(%pos) outs(%sk : tensor<?x16xf32>) -> tensor<?x16xf32>
  return %nv, %nk : tensor<?x16xf32>, tensor<?x16xf32>
}
