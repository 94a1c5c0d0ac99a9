// RUN: rat-opt %s -canonicalize -split-input-file | FileCheck %s

//===----------------------------------------------------------------------===//
// rat.chunk_scan
//===----------------------------------------------------------------------===//

// chunk_size 1 restarts at every token: h = (1 - gate) * x, elementwise.
// CHECK-LABEL: func.func @chunk_scan_unit_chunk(
// CHECK-SAME:    %[[G:[a-zA-Z0-9_]+]]: memref<?x8x16xf32>, %[[X:[a-zA-Z0-9_]+]]: memref<?x8x16xf32>, %[[OUT:[a-zA-Z0-9_]+]]: memref<?x8x16xf32>)
// CHECK-DAG:     %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-NOT:     rat.chunk_scan
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel", "parallel"]
// CHECK-SAME:      ins(%[[G]], %[[X]] : memref<?x8x16xf32>, memref<?x8x16xf32>) outs(%[[OUT]] : memref<?x8x16xf32>)
// CHECK:         ^bb0(%[[GI:.+]]: f32, %[[XI:.+]]: f32, %{{.+}}: f32):
// CHECK:           %[[KEEP:.+]] = arith.subf %[[ONE]], %[[GI]] : f32
// CHECK:           %[[H:.+]] = arith.mulf %[[KEEP]], %[[XI]] : f32
// CHECK:           linalg.yield %[[H]] : f32
// CHECK-NOT:     rat.chunk_scan
func.func @chunk_scan_unit_chunk(%g: memref<?x8x16xf32>, %x: memref<?x8x16xf32>, %out: memref<?x8x16xf32>) {
  rat.chunk_scan chunk_size = 1 ins(%g, %x : memref<?x8x16xf32>, memref<?x8x16xf32>) outs(%out : memref<?x8x16xf32>)
  return
}

// On tensors the generic returns the new value.
// CHECK-LABEL: func.func @chunk_scan_unit_chunk_tensor(
// CHECK-NOT:     rat.chunk_scan
// CHECK:         %[[R:.+]] = linalg.generic
// CHECK-SAME:      outs(%{{.+}} : tensor<?x8x16xf32>)
// CHECK:           arith.subf
// CHECK:           arith.mulf
// CHECK:         } -> tensor<?x8x16xf32>
// CHECK:         return %[[R]]
func.func @chunk_scan_unit_chunk_tensor(%g: tensor<?x8x16xf32>, %x: tensor<?x8x16xf32>, %init: tensor<?x8x16xf32>) -> tensor<?x8x16xf32> {
  %0 = rat.chunk_scan chunk_size = 1 ins(%g, %x : tensor<?x8x16xf32>, tensor<?x8x16xf32>) outs(%init : tensor<?x8x16xf32>) -> tensor<?x8x16xf32>
  return %0 : tensor<?x8x16xf32>
}

// -----

// The elementwise form computes in the element type of the operands.
// bf16 storage: the arithmetic is in f32, as in the scan loops.
// CHECK-LABEL: func.func @chunk_scan_unit_chunk_bf16(
// CHECK-DAG:     %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK:         linalg.generic
// CHECK:         ^bb0(%[[GI:.+]]: bf16, %[[XI:.+]]: bf16, %{{.+}}: bf16):
// CHECK:           %[[G32:.+]] = arith.extf %[[GI]] : bf16 to f32
// CHECK:           %[[KEEP:.+]] = arith.subf %[[ONE]], %[[G32]] : f32
// CHECK:           %[[X32:.+]] = arith.extf %[[XI]] : bf16 to f32
// CHECK:           %[[H:.+]] = arith.mulf %[[KEEP]], %[[X32]] : f32
// CHECK:           %[[HB:.+]] = arith.truncf %[[H]] : f32 to bf16
// CHECK:           linalg.yield %[[HB]] : bf16
func.func @chunk_scan_unit_chunk_bf16(%g: memref<4x16xbf16>, %x: memref<4x16xbf16>, %out: memref<4x16xbf16>) {
  rat.chunk_scan chunk_size = 1 ins(%g, %x : memref<4x16xbf16>, memref<4x16xbf16>) outs(%out : memref<4x16xbf16>)
  return
}

// -----

// A chunk longer than the static sequence is clamped to T.
// CHECK-LABEL: func.func @chunk_scan_clamp_chunk(
// CHECK:         %[[H:.+]] = rat.chunk_scan chunk_size = 8 ins(%{{.+}}, %{{.+}} : tensor<2x8x16xf32>, tensor<2x8x16xf32>)
// CHECK:         return %[[H]]
func.func @chunk_scan_clamp_chunk(%g: tensor<2x8x16xf32>, %x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %0 = rat.chunk_scan chunk_size = 64 ins(%g, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// -----

// Clamping reads T from dim rank-2 (not the channel dim) and works on buffers.
// CHECK-LABEL: func.func @chunk_scan_clamp_chunk_memref(
// CHECK:         rat.chunk_scan chunk_size = 5 ins(%{{.+}}, %{{.+}} : memref<5x64xf32>, memref<5x64xf32>)
func.func @chunk_scan_clamp_chunk_memref(%g: memref<5x64xf32>, %x: memref<5x64xf32>, %out: memref<5x64xf32>) {
  rat.chunk_scan chunk_size = 32 ins(%g, %x : memref<5x64xf32>, memref<5x64xf32>) outs(%out : memref<5x64xf32>)
  return
}

// -----

// chunk_size == T and chunk_size < T are already canonical.
// CHECK-LABEL: func.func @chunk_scan_chunk_not_longer(
// CHECK:         rat.chunk_scan chunk_size = 8 ins
// CHECK:         rat.chunk_scan chunk_size = 3 ins
func.func @chunk_scan_chunk_not_longer(%g: tensor<2x8x16xf32>, %x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) -> (tensor<2x8x16xf32>, tensor<2x8x16xf32>) {
  %0 = rat.chunk_scan chunk_size = 8 ins(%g, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  %1 = rat.chunk_scan chunk_size = 3 ins(%g, %x : tensor<2x8x16xf32>, tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %0, %1 : tensor<2x8x16xf32>, tensor<2x8x16xf32>
}

// -----

// A dynamic T may exceed the chunk: the chunk size is kept.
// CHECK-LABEL: func.func @chunk_scan_dynamic_tokens(
// CHECK:         rat.chunk_scan chunk_size = 64 ins(%{{.+}}, %{{.+}} : tensor<2x?x16xf32>, tensor<2x?x16xf32>)
func.func @chunk_scan_dynamic_tokens(%g: tensor<2x?x16xf32>, %x: tensor<2x?x16xf32>, %init: tensor<2x?x16xf32>) -> tensor<2x?x16xf32> {
  %0 = rat.chunk_scan chunk_size = 64 ins(%g, %x : tensor<2x?x16xf32>, tensor<2x?x16xf32>) outs(%init : tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  return %0 : tensor<2x?x16xf32>
}

// -----

//===----------------------------------------------------------------------===//
// rat.rope
//===----------------------------------------------------------------------===//

// Every token of a sequence no longer than a chunk is at position 0.
// CHECK-LABEL: func.func @rope_fold_single_chunk(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<2x8x16xf32>, %{{[a-zA-Z0-9_]+}}: tensor<2x8x16xf32>)
// CHECK-NOT:     rat.rope
// CHECK:         return %[[X]]
func.func @rope_fold_single_chunk(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %0 = rat.rope chunk_size = 8 base = 10000.0 ins(%x : tensor<2x8x16xf32>) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// -----

// A constant zero offset is no offset.
// CHECK-LABEL: func.func @rope_fold_zero_offset(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: tensor<2x8x16xf32>, %{{[a-zA-Z0-9_]+}}: tensor<2x8x16xf32>)
// CHECK-NOT:     rat.rope
// CHECK:         return %[[X]]
func.func @rope_fold_zero_offset(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %c0 = arith.constant 0 : index
  %0 = rat.rope chunk_size = 16 base = 10000.0 ins(%x : tensor<2x8x16xf32>) offset(%c0) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %0 : tensor<2x8x16xf32>
}

// -----

// A non-zero or unknown offset may reach the next chunk: no fold.
// CHECK-LABEL: func.func @rope_no_fold_offset(
// CHECK-SAME:    %{{[a-zA-Z0-9_]+}}: tensor<2x8x16xf32>, %{{[a-zA-Z0-9_]+}}: tensor<2x8x16xf32>, %[[OFF:[a-zA-Z0-9_]+]]: index)
// CHECK:         %[[C1:.+]] = arith.constant 1 : index
// CHECK:         %[[R0:.+]] = rat.rope chunk_size = 16 {{.+}} offset(%[[C1]])
// CHECK:         %[[R1:.+]] = rat.rope chunk_size = 16 {{.+}} offset(%[[OFF]])
// CHECK:         return %[[R0]], %[[R1]]
func.func @rope_no_fold_offset(%x: tensor<2x8x16xf32>, %init: tensor<2x8x16xf32>, %off: index) -> (tensor<2x8x16xf32>, tensor<2x8x16xf32>) {
  %c1 = arith.constant 1 : index
  %0 = rat.rope chunk_size = 16 base = 10000.0 ins(%x : tensor<2x8x16xf32>) offset(%c1) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  %1 = rat.rope chunk_size = 16 base = 10000.0 ins(%x : tensor<2x8x16xf32>) offset(%off) outs(%init : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %0, %1 : tensor<2x8x16xf32>, tensor<2x8x16xf32>
}

// -----

// T > chunk_size, dynamic T, a result type other than the input's, and
// buffers: no fold.
// CHECK-LABEL: func.func @rope_no_fold(
// CHECK:         %[[R0:.+]] = rat.rope chunk_size = 8 {{.+}} : tensor<2x9x16xf32>
// CHECK:         %[[R1:.+]] = rat.rope chunk_size = 8 {{.+}} : tensor<2x?x16xf32>
// CHECK:         %[[R2:.+]] = rat.rope chunk_size = 8 {{.+}} -> tensor<?x8x16xf32>
// CHECK:         rat.rope chunk_size = 8 {{.+}} : memref<2x8x16xf32>
// CHECK:         return %[[R0]], %[[R1]], %[[R2]]
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

// -----

//===----------------------------------------------------------------------===//
// rat.chunk_attention
//===----------------------------------------------------------------------===//

// With T <= chunk_size each query sees only its own state: the value.
// CHECK-LABEL: func.func @chunk_attention_fold_single_chunk(
// CHECK-SAME:    %{{[a-zA-Z0-9_]+}}: tensor<1x2x8x16xf32>, %{{[a-zA-Z0-9_]+}}: tensor<1x2x8x16xf32>, %[[V:[a-zA-Z0-9_]+]]: tensor<1x4x8x32xf32>, %{{[a-zA-Z0-9_]+}}: tensor<1x4x8x32xf32>)
// CHECK-NOT:     rat.chunk_attention
// CHECK:         return %[[V]], %[[V]]
func.func @chunk_attention_fold_single_chunk(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x4x8x32xf32>, %init: tensor<1x4x8x32xf32>)
    -> (tensor<1x4x8x32xf32>, tensor<1x4x8x32xf32>) {
  %0 = rat.chunk_attention chunk_size = 8 ins(%q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x4x8x32xf32>) outs(%init : tensor<1x4x8x32xf32>) -> tensor<1x4x8x32xf32>
  %c0 = arith.constant 0 : index
  %1 = rat.chunk_attention chunk_size = 64 scale = 0.5 ins(%q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x4x8x32xf32>) offset(%c0) outs(%init : tensor<1x4x8x32xf32>) -> tensor<1x4x8x32xf32>
  return %0, %1 : tensor<1x4x8x32xf32>, tensor<1x4x8x32xf32>
}

// -----

// T > chunk_size, dynamic T, an unknown offset: no fold.
// CHECK-LABEL: func.func @chunk_attention_no_fold(
// CHECK:         %[[A0:.+]] = rat.chunk_attention chunk_size = 4 ins
// CHECK:         %[[A1:.+]] = rat.chunk_attention chunk_size = 8 ins({{.+}} : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x4x?x32xf32>)
// CHECK:         %[[A2:.+]] = rat.chunk_attention chunk_size = 8 ins({{.+}}) offset(%{{.+}})
// CHECK:         return %[[A0]], %[[A1]], %[[A2]]
func.func @chunk_attention_no_fold(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x4x8x32xf32>, %init: tensor<1x4x8x32xf32>,
                                   %qd: tensor<1x2x?x16xf32>, %kd: tensor<1x2x?x16xf32>, %vd: tensor<1x4x?x32xf32>, %id: tensor<1x4x?x32xf32>,
                                   %q4: tensor<1x2x4x16xf32>, %i4: tensor<1x4x4x32xf32>, %off: index)
    -> (tensor<1x4x8x32xf32>, tensor<1x4x?x32xf32>, tensor<1x4x4x32xf32>) {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x4x8x32xf32>) outs(%init : tensor<1x4x8x32xf32>) -> tensor<1x4x8x32xf32>
  %1 = rat.chunk_attention chunk_size = 8 ins(%qd, %kd, %vd : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x4x?x32xf32>) outs(%id : tensor<1x4x?x32xf32>) -> tensor<1x4x?x32xf32>
  %2 = rat.chunk_attention chunk_size = 8 ins(%q4, %k, %v : tensor<1x2x4x16xf32>, tensor<1x2x8x16xf32>, tensor<1x4x8x32xf32>) offset(%off) outs(%i4 : tensor<1x4x4x32xf32>) -> tensor<1x4x4x32xf32>
  return %0, %1, %2 : tensor<1x4x8x32xf32>, tensor<1x4x?x32xf32>, tensor<1x4x4x32xf32>
}

// -----

//===----------------------------------------------------------------------===//
// rat.window_attention
//===----------------------------------------------------------------------===//

// A window of at least T - 1 tokens is full causal attention.
// CHECK-LABEL: func.func @window_attention_full_window(
// CHECK:         %[[A0:.+]] = rat.window_attention window = 0 ins
// CHECK:         %[[A1:.+]] = rat.window_attention window = 0 scale = 2.500000e-01 ins
// CHECK:         return %[[A0]], %[[A1]]
func.func @window_attention_full_window(%q: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>, %init: tensor<1x2x8x16xf32>)
    -> (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) {
  %0 = rat.window_attention window = 7 ins(%q, %q, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%init : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %1 = rat.window_attention window = 4096 scale = 0.25 ins(%q, %q, %v : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%init : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %0, %1 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>
}

// -----

// The key length decides, not the query length: 4 queries at offset 4 of 16
// keys with window 8 < 15 keep their window.
// CHECK-LABEL: func.func @window_attention_partial_window(
// CHECK:         %[[A0:.+]] = rat.window_attention window = 6 ins
// CHECK:         %[[A1:.+]] = rat.window_attention window = 8 ins({{.+}}) offset(%{{.+}})
// CHECK:         %[[A2:.+]] = rat.window_attention window = 0 ins
// CHECK:         %[[A3:.+]] = rat.window_attention window = 7 ins({{.+}} : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>)
// CHECK:         return %[[A0]], %[[A1]], %[[A2]], %[[A3]]
func.func @window_attention_partial_window(%q: tensor<1x2x8x16xf32>, %init: tensor<1x2x8x16xf32>,
                                           %q4: tensor<1x2x4x16xf32>, %k16: tensor<1x2x16x16xf32>, %i4: tensor<1x2x4x16xf32>,
                                           %qd: tensor<1x2x?x16xf32>, %id: tensor<1x2x?x16xf32>)
    -> (tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x?x16xf32>) {
  %0 = rat.window_attention window = 6 ins(%q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%init : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %c4 = arith.constant 4 : index
  %1 = rat.window_attention window = 8 ins(%q4, %k16, %k16 : tensor<1x2x4x16xf32>, tensor<1x2x16x16xf32>, tensor<1x2x16x16xf32>) offset(%c4) outs(%i4 : tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32>
  %2 = rat.window_attention window = 0 ins(%q, %q, %q : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) outs(%init : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %3 = rat.window_attention window = 7 ins(%qd, %qd, %qd : tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>, tensor<1x2x?x16xf32>) outs(%id : tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32>
  return %0, %1, %2, %3 : tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x?x16xf32>
}

// -----

//===----------------------------------------------------------------------===//
// rat.chunk_scan_step
//===----------------------------------------------------------------------===//

// chunk_size 1: every position starts a chunk, the old state is not read.
// CHECK-LABEL: func.func @chunk_scan_step_unit_chunk(
// CHECK-SAME:    %[[G:[a-zA-Z0-9_]+]]: memref<?x16xf32>, %[[X:[a-zA-Z0-9_]+]]: memref<?x16xf32>, %[[S:[a-zA-Z0-9_]+]]: memref<?x16xf32>, %{{[a-zA-Z0-9_]+}}: index)
// CHECK-DAG:     %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-NOT:     rat.chunk_scan_step
// CHECK:         linalg.generic
// CHECK-SAME:      iterator_types = ["parallel", "parallel"]
// CHECK-SAME:      ins(%[[G]], %[[X]] : memref<?x16xf32>, memref<?x16xf32>) outs(%[[S]] : memref<?x16xf32>)
// CHECK:         ^bb0(%[[GI:.+]]: f32, %[[XI:.+]]: f32, %{{.+}}: f32):
// CHECK:           %[[KEEP:.+]] = arith.subf %[[ONE]], %[[GI]] : f32
// CHECK:           %[[H:.+]] = arith.mulf %[[KEEP]], %[[XI]] : f32
// CHECK:           linalg.yield %[[H]] : f32
// CHECK-NOT:     rat.chunk_scan_step
func.func @chunk_scan_step_unit_chunk(%g: memref<?x16xf32>, %x: memref<?x16xf32>, %s: memref<?x16xf32>, %pos: index) {
  rat.chunk_scan_step chunk_size = 1 ins(%g, %x : memref<?x16xf32>, memref<?x16xf32>) position(%pos) outs(%s : memref<?x16xf32>)
  return
}

// -----

// Any other chunk size reads the state.
// CHECK-LABEL: func.func @chunk_scan_step_no_rewrite(
// CHECK-NOT:     linalg.generic
// CHECK:         %[[N:.+]] = rat.chunk_scan_step chunk_size = 2 ins
// CHECK:         return %[[N]]
func.func @chunk_scan_step_no_rewrite(%g: tensor<?x16xf32>, %x: tensor<?x16xf32>, %s: tensor<?x16xf32>, %pos: index) -> tensor<?x16xf32> {
  %0 = rat.chunk_scan_step chunk_size = 2 ins(%g, %x : tensor<?x16xf32>, tensor<?x16xf32>) position(%pos) outs(%s : tensor<?x16xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}
