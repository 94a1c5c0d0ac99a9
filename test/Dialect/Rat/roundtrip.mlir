// RUN: rat-opt %s | rat-opt | FileCheck %s
// RUN: rat-opt %s --mlir-print-op-generic | rat-opt | FileCheck %s

// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME:    (%[[X:.+]]: tensor<?x?x256xf32>, %[[W:.+]]: tensor<256xf32>, %[[I:.+]]: tensor<?x?x256xf32>)
// CHECK:         %[[Y:.+]] = rat.rms_norm epsilon = 9.9999999999999995E-7 ins(%[[X]], %[[W]] : tensor<?x?x256xf32>, tensor<256xf32>) outs(%[[I]] : tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
// CHECK:         return %[[Y]]
func.func @rms_norm(%x: tensor<?x?x256xf32>, %w: tensor<256xf32>, %init: tensor<?x?x256xf32>) -> tensor<?x?x256xf32> {
  %0 = rat.rms_norm epsilon = 1.0e-06 ins(%x, %w : tensor<?x?x256xf32>, tensor<256xf32>) outs(%init : tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  return %0 : tensor<?x?x256xf32>
}

// CHECK-LABEL: func.func @rms_norm_memref
// CHECK:         rat.rms_norm epsilon = 1.000000e-05 ins(%{{.+}}, %{{.+}} : memref<2x8x16xbf16>, memref<16xbf16>) outs(%{{.+}} : memref<2x8x16xbf16>)
// CHECK-NOT:     ->
func.func @rms_norm_memref(%x: memref<2x8x16xbf16>, %w: memref<16xbf16>, %out: memref<2x8x16xbf16>) {
  rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : memref<2x8x16xbf16>, memref<16xbf16>) outs(%out : memref<2x8x16xbf16>)
  return
}

// CHECK-LABEL: func.func @rope
// CHECK-SAME:    (%[[X:.+]]: tensor<2x4x64x64xf32>, %[[X1:.+]]: tensor<?x4x1x64xf32>, %[[P:.+]]: index)
// CHECK:         rat.rope chunk_size = 16 base = 1.000000e+04 ins(%[[X]] : tensor<2x4x64x64xf32>) outs(%{{.+}} : tensor<2x4x64x64xf32>) -> tensor<2x4x64x64xf32>
// CHECK:         rat.rope chunk_size = 1 base = 5.000000e+05 ins(%[[X1]] : tensor<?x4x1x64xf32>) offset(%[[P]]) outs(%{{.+}} : tensor<?x4x1x64xf32>) -> tensor<?x4x1x64xf32>
func.func @rope(%x: tensor<2x4x64x64xf32>, %x1: tensor<?x4x1x64xf32>, %pos: index) -> (tensor<2x4x64x64xf32>, tensor<?x4x1x64xf32>) {
  %e = tensor.empty() : tensor<2x4x64x64xf32>
  %0 = rat.rope chunk_size = 16 base = 10000.0 ins(%x : tensor<2x4x64x64xf32>) outs(%e : tensor<2x4x64x64xf32>) -> tensor<2x4x64x64xf32>
  %e1 = tensor.empty(%pos) : tensor<?x4x1x64xf32>
  %1 = rat.rope chunk_size = 1 base = 500000.0 ins(%x1 : tensor<?x4x1x64xf32>) offset(%pos) outs(%e1 : tensor<?x4x1x64xf32>) -> tensor<?x4x1x64xf32>
  return %0, %1 : tensor<2x4x64x64xf32>, tensor<?x4x1x64xf32>
}

// CHECK-LABEL: func.func @chunk_scan
// CHECK-SAME:    (%[[G:.+]]: tensor<?x?x256xf32>, %[[X:.+]]: tensor<?x?x256xf32>, %[[I:.+]]: tensor<?x?x256xf32>)
// CHECK:         rat.chunk_scan chunk_size = 16 ins(%[[G]], %[[X]] : tensor<?x?x256xf32>, tensor<?x?x256xf32>) outs(%[[I]] : tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
func.func @chunk_scan(%g: tensor<?x?x256xf32>, %x: tensor<?x?x256xf32>, %init: tensor<?x?x256xf32>) -> tensor<?x?x256xf32> {
  %0 = rat.chunk_scan chunk_size = 16 ins(%g, %x : tensor<?x?x256xf32>, tensor<?x?x256xf32>) outs(%init : tensor<?x?x256xf32>) -> tensor<?x?x256xf32>
  return %0 : tensor<?x?x256xf32>
}

// CHECK-LABEL: func.func @chunk_scan_memref
// CHECK:         rat.chunk_scan chunk_size = 3 ins(%{{.+}}, %{{.+}} : memref<37x24xf16>, memref<37x24xf16>) outs(%{{.+}} : memref<37x24xf16>)
func.func @chunk_scan_memref(%g: memref<37x24xf16>, %x: memref<37x24xf16>, %out: memref<37x24xf16>) {
  rat.chunk_scan chunk_size = 3 ins(%g, %x : memref<37x24xf16>, memref<37x24xf16>) outs(%out : memref<37x24xf16>)
  return
}

// CHECK-LABEL: func.func @chunk_attention
// CHECK-SAME:    (%[[Q:.+]]: tensor<2x2x64x64xf32>, %[[K:.+]]: tensor<2x4x64x64xf32>, %[[V:.+]]: tensor<2x4x64x64xf32>, %[[QT:.+]]: tensor<?x2x16x64xbf16>, %[[KT:.+]]: tensor<?x2x?x64xbf16>, %[[VT:.+]]: tensor<?x2x?x64xbf16>, %[[OFF:.+]]: index)
// CHECK:         rat.chunk_attention chunk_size = 16 ins(%[[Q]], %[[K]], %[[V]] : tensor<2x2x64x64xf32>, tensor<2x4x64x64xf32>, tensor<2x4x64x64xf32>) outs(%{{.+}} : tensor<2x4x64x64xf32>) -> tensor<2x4x64x64xf32>
// CHECK:         rat.chunk_attention chunk_size = 8 scale = 1.250000e-01 ins(%[[QT]], %[[KT]], %[[VT]] : tensor<?x2x16x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>) offset(%[[OFF]]) outs(%{{.+}} : tensor<?x2x16x64xbf16>) -> tensor<?x2x16x64xbf16>
func.func @chunk_attention(%q: tensor<2x2x64x64xf32>, %k: tensor<2x4x64x64xf32>, %v: tensor<2x4x64x64xf32>,
                           %qt: tensor<?x2x16x64xbf16>, %kt: tensor<?x2x?x64xbf16>, %vt: tensor<?x2x?x64xbf16>, %off: index)
    -> (tensor<2x4x64x64xf32>, tensor<?x2x16x64xbf16>) {
  %e = tensor.empty() : tensor<2x4x64x64xf32>
  %0 = rat.chunk_attention chunk_size = 16 ins(%q, %k, %v : tensor<2x2x64x64xf32>, tensor<2x4x64x64xf32>, tensor<2x4x64x64xf32>) outs(%e : tensor<2x4x64x64xf32>) -> tensor<2x4x64x64xf32>
  %c0 = arith.constant 0 : index
  %b = tensor.dim %qt, %c0 : tensor<?x2x16x64xbf16>
  %e1 = tensor.empty(%b) : tensor<?x2x16x64xbf16>
  %1 = rat.chunk_attention chunk_size = 8 scale = 0.125 ins(%qt, %kt, %vt : tensor<?x2x16x64xbf16>, tensor<?x2x?x64xbf16>, tensor<?x2x?x64xbf16>) offset(%off) outs(%e1 : tensor<?x2x16x64xbf16>) -> tensor<?x2x16x64xbf16>
  return %0, %1 : tensor<2x4x64x64xf32>, tensor<?x2x16x64xbf16>
}

// CHECK-LABEL: func.func @window_attention
// CHECK:         rat.window_attention window = 1024 ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<1x16x?x128xbf16>, tensor<1x16x?x128xbf16>, tensor<1x16x?x128xbf16>) outs(%{{.+}} : tensor<1x16x?x128xbf16>) -> tensor<1x16x?x128xbf16>
// CHECK:         rat.window_attention window = 0 scale = 2.000000e-01 ins
func.func @window_attention(%q: tensor<1x16x?x128xbf16>, %k: tensor<1x16x?x128xbf16>, %v: tensor<1x16x?x128xbf16>, %init: tensor<1x16x?x128xbf16>,
                            %q2: memref<1x2x8x32xf32>, %k2: memref<1x1x8x32xf32>, %v2: memref<1x2x8x32xf32>, %o2: memref<1x2x8x32xf32>) -> tensor<1x16x?x128xbf16> {
  %0 = rat.window_attention window = 1024 ins(%q, %k, %v : tensor<1x16x?x128xbf16>, tensor<1x16x?x128xbf16>, tensor<1x16x?x128xbf16>) outs(%init : tensor<1x16x?x128xbf16>) -> tensor<1x16x?x128xbf16>
  rat.window_attention window = 0 scale = 0.2 ins(%q2, %k2, %v2 : memref<1x2x8x32xf32>, memref<1x1x8x32xf32>, memref<1x2x8x32xf32>) outs(%o2 : memref<1x2x8x32xf32>)
  return %0 : tensor<1x16x?x128xbf16>
}

// CHECK-LABEL: func.func @chunk_scan_step
// CHECK-SAME:    (%[[G:.+]]: tensor<?x256xf32>, %[[X:.+]]: tensor<?x256xf32>, %[[S:.+]]: tensor<?x256xf32>, %[[P:.+]]: index)
// CHECK:         %[[N:.+]] = rat.chunk_scan_step chunk_size = 16 ins(%[[G]], %[[X]] : tensor<?x256xf32>, tensor<?x256xf32>) position(%[[P]]) outs(%[[S]] : tensor<?x256xf32>) -> tensor<?x256xf32>
// CHECK:         return %[[N]]
func.func @chunk_scan_step(%g: tensor<?x256xf32>, %x: tensor<?x256xf32>, %s: tensor<?x256xf32>, %pos: index) -> tensor<?x256xf32> {
  %0 = rat.chunk_scan_step chunk_size = 16 ins(%g, %x : tensor<?x256xf32>, tensor<?x256xf32>) position(%pos) outs(%s : tensor<?x256xf32>) -> tensor<?x256xf32>
  return %0 : tensor<?x256xf32>
}

// CHECK-LABEL: func.func @chunk_attention_step
// CHECK:         %[[R:.+]]:3 = rat.chunk_attention_step chunk_size = 16 ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<?x2x64xf32>, tensor<?x4x64xf32>, tensor<?x4x64xf32>) position(%{{.+}}) outs(%{{.+}}, %{{.+}}, %{{.+}} : tensor<?x4x64xf32>, tensor<?x4x8x64xf32>, tensor<?x4x8x64xf32>) -> tensor<?x4x64xf32>, tensor<?x4x8x64xf32>, tensor<?x4x8x64xf32>
// CHECK:         return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @chunk_attention_step(%q: tensor<?x2x64xf32>, %k: tensor<?x4x64xf32>, %v: tensor<?x4x64xf32>, %pos: index,
                                %o: tensor<?x4x64xf32>, %kc: tensor<?x4x8x64xf32>, %vc: tensor<?x4x8x64xf32>)
    -> (tensor<?x4x64xf32>, tensor<?x4x8x64xf32>, tensor<?x4x8x64xf32>) {
  %0:3 = rat.chunk_attention_step chunk_size = 16 ins(%q, %k, %v : tensor<?x2x64xf32>, tensor<?x4x64xf32>, tensor<?x4x64xf32>) position(%pos) outs(%o, %kc, %vc : tensor<?x4x64xf32>, tensor<?x4x8x64xf32>, tensor<?x4x8x64xf32>) -> tensor<?x4x64xf32>, tensor<?x4x8x64xf32>, tensor<?x4x8x64xf32>
  return %0#0, %0#1, %0#2 : tensor<?x4x64xf32>, tensor<?x4x8x64xf32>, tensor<?x4x8x64xf32>
}

// Dynamic dims never trigger a shape mismatch, on either side of a rule.

// CHECK-LABEL: func.func @dynamic_dims_rms_norm_scan
// CHECK:         rat.rms_norm epsilon = 1.000000e-05 ins(%{{.+}}, %{{.+}} : tensor<2x?x16xf32>, tensor<?xf32>) outs(%{{.+}} : tensor<?x8x16xf32>) -> tensor<?x8x16xf32>
// CHECK:         rat.chunk_scan chunk_size = 4 ins(%{{.+}}, %{{.+}} : tensor<?x8x16xf32>, tensor<2x?x16xf32>) outs(%{{.+}} : tensor<2x8x?xf32>) -> tensor<2x8x?xf32>
// CHECK:         rat.rope chunk_size = 4 base = 1.000000e+04 ins(%{{.+}} : tensor<?x?x16xf32>) outs(%{{.+}} : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
// CHECK:         rat.chunk_scan_step chunk_size = 4 ins(%{{.+}}, %{{.+}} : tensor<?x16xf32>, tensor<2x?xf32>) position(%{{.+}}) outs(%{{.+}} : tensor<?x?xf32>) -> tensor<?x?xf32>
func.func @dynamic_dims_rms_norm_scan(%x: tensor<2x?x16xf32>, %w: tensor<?xf32>, %i: tensor<?x8x16xf32>,
                                      %g: tensor<?x8x16xf32>, %i2: tensor<2x8x?xf32>,
                                      %r: tensor<?x?x16xf32>, %i3: tensor<2x8x16xf32>,
                                      %gs: tensor<?x16xf32>, %xs: tensor<2x?xf32>, %s: tensor<?x?xf32>, %pos: index)
    -> (tensor<?x8x16xf32>, tensor<2x8x?xf32>, tensor<2x8x16xf32>, tensor<?x?xf32>) {
  %0 = rat.rms_norm epsilon = 1.0e-05 ins(%x, %w : tensor<2x?x16xf32>, tensor<?xf32>) outs(%i : tensor<?x8x16xf32>) -> tensor<?x8x16xf32>
  %1 = rat.chunk_scan chunk_size = 4 ins(%g, %x : tensor<?x8x16xf32>, tensor<2x?x16xf32>) outs(%i2 : tensor<2x8x?xf32>) -> tensor<2x8x?xf32>
  %2 = rat.rope chunk_size = 4 base = 10000.0 ins(%r : tensor<?x?x16xf32>) outs(%i3 : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  %3 = rat.chunk_scan_step chunk_size = 4 ins(%gs, %xs : tensor<?x16xf32>, tensor<2x?xf32>) position(%pos) outs(%s : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %0, %1, %2, %3 : tensor<?x8x16xf32>, tensor<2x8x?xf32>, tensor<2x8x16xf32>, tensor<?x?xf32>
}

// Dynamic head counts skip the divisibility rule; a dynamic key length or a
// dynamic offset skips the query-position rule; offset + Tq == T is in range.

// CHECK-LABEL: func.func @dynamic_dims_attention
// CHECK:         rat.chunk_attention chunk_size = 4 ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<?x?x16x16xf32>, tensor<2x?x?x16xf32>, tensor<2x3x?x32xf32>) outs(%{{.+}} : tensor<?x3x16x32xf32>) -> tensor<?x3x16x32xf32>
// CHECK:         rat.window_attention window = 2 ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) offset(%{{.+}}) outs(%{{.+}} : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
// CHECK:         %[[C4:.+]] = arith.constant 4 : index
// CHECK:         rat.chunk_attention chunk_size = 2 ins(%{{.+}}, %{{.+}}, %{{.+}} : tensor<1x2x4x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) offset(%[[C4]]) outs(%{{.+}} : tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32>
func.func @dynamic_dims_attention(%q: tensor<?x?x16x16xf32>, %k: tensor<2x?x?x16xf32>, %v: tensor<2x3x?x32xf32>, %i: tensor<?x3x16x32xf32>,
                                  %q2: tensor<1x2x8x16xf32>, %k2: tensor<1x2x8x16xf32>, %v2: tensor<1x2x8x16xf32>, %i2: tensor<1x2x8x16xf32>, %off: index,
                                  %q3: tensor<1x2x4x16xf32>, %i3: tensor<1x2x4x16xf32>)
    -> (tensor<?x3x16x32xf32>, tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>) {
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<?x?x16x16xf32>, tensor<2x?x?x16xf32>, tensor<2x3x?x32xf32>) outs(%i : tensor<?x3x16x32xf32>) -> tensor<?x3x16x32xf32>
  %1 = rat.window_attention window = 2 ins(%q2, %k2, %v2 : tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) offset(%off) outs(%i2 : tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %c4 = arith.constant 4 : index
  %2 = rat.chunk_attention chunk_size = 2 ins(%q3, %k2, %v2 : tensor<1x2x4x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) offset(%c4) outs(%i3 : tensor<1x2x4x16xf32>) -> tensor<1x2x4x16xf32>
  return %0, %1, %2 : tensor<?x3x16x32xf32>, tensor<1x2x8x16xf32>, tensor<1x2x4x16xf32>
}

// Cache rows at the limit: position 31 is in chunk 7 of an 8-row chunk cache;
// a window of 7 fits an 8-row ring; full attention at position 7 fits 8 rows;
// dynamic rows are never checked.

// CHECK-LABEL: func.func @decode_step_limits
// CHECK-DAG:     %[[C31:.+]] = arith.constant 31 : index
// CHECK-DAG:     %[[C7:.+]] = arith.constant 7 : index
// CHECK:         rat.chunk_attention_step chunk_size = 4 ins({{.+}}) position(%[[C31]]) outs(%{{.+}}, %{{.+}}, %{{.+}} : tensor<1x4x32xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>)
// CHECK:         rat.chunk_attention_step chunk_size = 4 ins({{.+}}) position(%[[C31]]) outs(%{{.+}}, %{{.+}}, %{{.+}} : tensor<1x4x32xf32>, tensor<1x4x?x16xf32>, tensor<1x4x?x32xf32>)
// CHECK:         rat.window_attention_step window = 7 ins({{.+}}) position(%[[C31]]) outs(%{{.+}}, %{{.+}}, %{{.+}} : tensor<1x4x32xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>)
// CHECK:         rat.window_attention_step window = 0 ins({{.+}}) position(%[[C7]]) outs(%{{.+}}, %{{.+}}, %{{.+}} : tensor<1x4x32xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>)
// CHECK:         rat.window_attention_step window = 100 ins({{.+}}) position(%[[C31]]) outs(%{{.+}}, %{{.+}}, %{{.+}} : tensor<1x4x32xf32>, tensor<1x4x?x16xf32>, tensor<1x4x?x32xf32>)
func.func @decode_step_limits(%q: tensor<1x2x16xf32>, %k: tensor<1x4x16xf32>, %v: tensor<1x4x32xf32>, %o: tensor<1x4x32xf32>,
                              %kc: tensor<1x4x8x16xf32>, %vc: tensor<1x4x8x32xf32>,
                              %kd: tensor<1x4x?x16xf32>, %vd: tensor<1x4x?x32xf32>) {
  %c31 = arith.constant 31 : index
  %c7 = arith.constant 7 : index
  %0:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<1x2x16xf32>, tensor<1x4x16xf32>, tensor<1x4x32xf32>) position(%c31) outs(%o, %kc, %vc : tensor<1x4x32xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>) -> tensor<1x4x32xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>
  %1:3 = rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : tensor<1x2x16xf32>, tensor<1x4x16xf32>, tensor<1x4x32xf32>) position(%c31) outs(%o, %kd, %vd : tensor<1x4x32xf32>, tensor<1x4x?x16xf32>, tensor<1x4x?x32xf32>) -> tensor<1x4x32xf32>, tensor<1x4x?x16xf32>, tensor<1x4x?x32xf32>
  %2:3 = rat.window_attention_step window = 7 ins(%q, %k, %v : tensor<1x2x16xf32>, tensor<1x4x16xf32>, tensor<1x4x32xf32>) position(%c31) outs(%o, %kc, %vc : tensor<1x4x32xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>) -> tensor<1x4x32xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>
  %3:3 = rat.window_attention_step window = 0 ins(%q, %k, %v : tensor<1x2x16xf32>, tensor<1x4x16xf32>, tensor<1x4x32xf32>) position(%c7) outs(%o, %kc, %vc : tensor<1x4x32xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>) -> tensor<1x4x32xf32>, tensor<1x4x8x16xf32>, tensor<1x4x8x32xf32>
  %4:3 = rat.window_attention_step window = 100 ins(%q, %k, %v : tensor<1x2x16xf32>, tensor<1x4x16xf32>, tensor<1x4x32xf32>) position(%c31) outs(%o, %kd, %vd : tensor<1x4x32xf32>, tensor<1x4x?x16xf32>, tensor<1x4x?x32xf32>) -> tensor<1x4x32xf32>, tensor<1x4x?x16xf32>, tensor<1x4x?x32xf32>
  return
}

// CHECK-LABEL: func.func @matmul
// CHECK:         rat.matmul ins(%{{.+}}, %{{.+}} : tensor<?x?x64xbf16>, tensor<96x64xbf16>) outs(%{{.+}} : tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
// CHECK:         rat.matmul ins(%{{.+}}, %{{.+}} : memref<8x64xf16>, memref<96x64xf16>) outs(%{{.+}} : memref<8x96xf16>)
func.func @matmul(%x: tensor<?x?x64xbf16>, %w: tensor<96x64xbf16>, %init: tensor<?x?x96xf32>,
                  %a: memref<8x64xf16>, %b: memref<96x64xf16>, %c: memref<8x96xf16>) -> tensor<?x?x96xf32> {
  %0 = rat.matmul ins(%x, %w : tensor<?x?x64xbf16>, tensor<96x64xbf16>) outs(%init : tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  rat.matmul ins(%a, %b : memref<8x64xf16>, memref<96x64xf16>) outs(%c : memref<8x96xf16>)
  return %0 : tensor<?x?x96xf32>
}
