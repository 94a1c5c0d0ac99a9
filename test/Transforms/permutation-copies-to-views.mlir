// RUN: rat-opt %s -split-input-file -rat-permutation-copies-to-views | FileCheck %s

// The head split of the key scan ([B, T, H, Dh] -> [B, H, T, Dh]) read by
// the row rope kernel: the copy and its allocation are gone, rope reads a
// transposed view of the scan's buffer (rows of stride H*Dh).

#perm = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// CHECK-LABEL: func.func @split_heads_into_rope(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<?x?x16x128xbf16>)
// CHECK:         %[[Y:.+]] = memref.alloc(%{{.+}}, %{{.+}}) : memref<?x16x?x128xbf16>
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     linalg.generic
// CHECK:         %[[V:.+]] = memref.transpose %[[X]] (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<?x?x16x128xbf16> to memref<?x16x?x128xbf16, strided<[?, 128, 2048, 1]>>
// CHECK:         rat.rope chunk_size = 16 base = 1.000000e+04 ins(%[[V]] : memref<?x16x?x128xbf16, strided<[?, 128, 2048, 1]>>) outs(%[[Y]] : memref<?x16x?x128xbf16>) {rat.kernel = #rat.kernel<family = row>}
func.func @split_heads_into_rope(%x: memref<?x?x16x128xbf16>) -> memref<?x16x?x128xbf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = memref.dim %x, %c0 : memref<?x?x16x128xbf16>
  %t = memref.dim %x, %c1 : memref<?x?x16x128xbf16>
  %y = memref.alloc(%b, %t) : memref<?x16x?x128xbf16>
  %heads = memref.alloc(%b, %t) : memref<?x16x?x128xbf16>
  linalg.generic {indexing_maps = [#perm, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : memref<?x?x16x128xbf16>) outs(%heads : memref<?x16x?x128xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    linalg.yield %in : bf16
  }
  rat.rope chunk_size = 16 base = 1.0e+04 ins(%heads : memref<?x16x?x128xbf16>) outs(%y : memref<?x16x?x128xbf16>) {rat.kernel = #rat.kernel<family = row>}
  return %y : memref<?x16x?x128xbf16>
}

// -----

// The tensor-core attention kernel addresses its operands through their
// strides: it reads the value heads as a transposed view (rows of stride
// H*Dv, all strides multiples of 8 elements), and so does the attention
// without a kernel decision (loops, the CPU), here through the subviews of
// its tiles.

#perm = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// CHECK-LABEL: func.func @attention_values(
// CHECK-SAME:    %[[V:[a-zA-Z0-9_]+]]: memref<2x8x4x16xbf16>
// CHECK:         memref.alloc() : memref<2x4x8x16xbf16>
// CHECK:         memref.alloc() : memref<2x4x8x16xbf16>
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     linalg.generic
// CHECK:         %[[DENSE:.+]] = memref.transpose %[[V]] (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<2x8x4x16xbf16> to memref<2x4x8x16xbf16, strided<[512, 16, 64, 1]>>
// CHECK:         rat.chunk_attention {{.+}} ins(%{{.+}}, %{{.+}}, %[[DENSE]] : {{.+}}, memref<2x4x8x16xbf16, strided<[512, 16, 64, 1]>>) outs(%{{.+}}) {rat.kernel = #rat.kernel<family = attention_mma>}
// CHECK-NOT:     memref.alloc
// CHECK-NOT:     linalg.generic
// CHECK:         %[[VIEW:.+]] = memref.transpose %[[V]] (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<2x8x4x16xbf16> to memref<2x4x8x16xbf16, strided<[512, 16, 64, 1]>>
// CHECK:         scf.forall (%[[B:.+]], %[[H:.+]]) in (2, 4) {
// CHECK:           %[[TILE:.+]] = memref.subview %[[VIEW]][%[[B]], %[[H]], 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : memref<2x4x8x16xbf16, strided<[512, 16, 64, 1]>> to memref<1x1x8x16xbf16, strided<[512, 16, 64, 1], offset: ?>>
// CHECK:           rat.chunk_attention chunk_size = 4 {{.+}} ins(%{{.+}}, %{{.+}}, %[[TILE]] : {{.+}}, memref<1x1x8x16xbf16, strided<[512, 16, 64, 1], offset: ?>>)
func.func @attention_values(%v: memref<2x8x4x16xbf16>, %q: memref<2x4x8x16xbf16>, %k: memref<2x4x8x16xbf16>) -> (memref<2x4x8x16xbf16>, memref<2x4x8x16xbf16>) {
  %o1 = memref.alloc() : memref<2x4x8x16xbf16>
  %o = memref.alloc() : memref<2x4x8x16xbf16>
  %dense = memref.alloc() : memref<2x4x8x16xbf16>
  linalg.generic {indexing_maps = [#perm, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%v : memref<2x8x4x16xbf16>) outs(%dense : memref<2x4x8x16xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    linalg.yield %in : bf16
  }
  rat.chunk_attention chunk_size = 4 scale = 0.25 ins(%q, %k, %dense : memref<2x4x8x16xbf16>, memref<2x4x8x16xbf16>, memref<2x4x8x16xbf16>) outs(%o1 : memref<2x4x8x16xbf16>) {rat.kernel = #rat.kernel<family = attention_mma>}
  %tiled = memref.alloc() : memref<2x4x8x16xbf16>
  linalg.generic {indexing_maps = [#perm, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%v : memref<2x8x4x16xbf16>) outs(%tiled : memref<2x4x8x16xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    linalg.yield %in : bf16
  }
  scf.forall (%b, %h) in (2, 4) {
    %qt = memref.subview %q[%b, %h, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : memref<2x4x8x16xbf16> to memref<1x1x8x16xbf16, strided<[512, 128, 16, 1], offset: ?>>
    %kt = memref.subview %k[%b, %h, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : memref<2x4x8x16xbf16> to memref<1x1x8x16xbf16, strided<[512, 128, 16, 1], offset: ?>>
    %vt = memref.subview %tiled[%b, %h, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : memref<2x4x8x16xbf16> to memref<1x1x8x16xbf16, strided<[512, 128, 16, 1], offset: ?>>
    %ot = memref.subview %o[%b, %h, 0, 0] [1, 1, 8, 16] [1, 1, 1, 1] : memref<2x4x8x16xbf16> to memref<1x1x8x16xbf16, strided<[512, 128, 16, 1], offset: ?>>
    rat.chunk_attention chunk_size = 4 scale = 0.25 ins(%qt, %kt, %vt : memref<1x1x8x16xbf16, strided<[512, 128, 16, 1], offset: ?>>, memref<1x1x8x16xbf16, strided<[512, 128, 16, 1], offset: ?>>, memref<1x1x8x16xbf16, strided<[512, 128, 16, 1], offset: ?>>) outs(%ot : memref<1x1x8x16xbf16, strided<[512, 128, 16, 1], offset: ?>>)
  }
  return %o1, %o : memref<2x4x8x16xbf16>, memref<2x4x8x16xbf16>
}

// -----

// Rows whose alignment the attention kernel cannot prove (a source with
// dynamic strides): its 16-byte copies might be misaligned, so the value
// heads stay a copy for it.

#perm = affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// CHECK-LABEL: func.func @attention_values_unaligned(
// CHECK:         memref.alloc() : memref<2x4x8x16xbf16>
// CHECK:         %[[DENSE:.+]] = memref.alloc() : memref<2x4x8x16xbf16>
// CHECK:         linalg.generic {{.+}} outs(%[[DENSE]] : memref<2x4x8x16xbf16>)
// CHECK:         rat.chunk_attention {{.+}} ins(%{{.+}}, %{{.+}}, %[[DENSE]] : {{.+}}) outs(%{{.+}}) {rat.kernel = #rat.kernel<family = attention_mma>}
// CHECK-NOT:     memref.transpose
func.func @attention_values_unaligned(%v: memref<2x8x4x16xbf16, strided<[?, ?, 16, 1]>>, %q: memref<2x4x8x16xbf16>, %k: memref<2x4x8x16xbf16>) -> memref<2x4x8x16xbf16> {
  %o = memref.alloc() : memref<2x4x8x16xbf16>
  %dense = memref.alloc() : memref<2x4x8x16xbf16>
  linalg.generic {indexing_maps = [#perm, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%v : memref<2x8x4x16xbf16, strided<[?, ?, 16, 1]>>) outs(%dense : memref<2x4x8x16xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    linalg.yield %in : bf16
  }
  rat.chunk_attention chunk_size = 4 scale = 0.25 ins(%q, %k, %dense : memref<2x4x8x16xbf16>, memref<2x4x8x16xbf16>, memref<2x4x8x16xbf16>) outs(%o : memref<2x4x8x16xbf16>) {rat.kernel = #rat.kernel<family = attention_mma>}
  return %o : memref<2x4x8x16xbf16>
}

// -----

// The source is written again before the copy's last reader: reading it
// through a view would see the new values, so the copy stays.

#perm = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @source_overwritten(
// CHECK:         %[[COPY:.+]] = memref.alloc() : memref<4x2x8xf32>
// CHECK:         linalg.generic {{.+}} outs(%[[COPY]] : memref<4x2x8xf32>)
// CHECK:         linalg.fill
// CHECK:         linalg.generic {{.+}} ins(%[[COPY]] : memref<4x2x8xf32>)
// CHECK-NOT:     memref.transpose
func.func @source_overwritten(%x: memref<2x4x8xf32>, %y: memref<4x2x8xf32>) {
  %src = memref.alloc() : memref<2x4x8xf32>
  memref.copy %x, %src : memref<2x4x8xf32> to memref<2x4x8xf32>
  %copy = memref.alloc() : memref<4x2x8xf32>
  linalg.generic {indexing_maps = [#perm, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%src : memref<2x4x8xf32>) outs(%copy : memref<4x2x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%src : memref<2x4x8xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%copy : memref<4x2x8xf32>) outs(%y : memref<4x2x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// A write into a different allocation between the copy and its reader does
// not alias the source: the elementwise reader takes the view (its loops
// address any layout).

#perm = affine_map<(d0, d1, d2) -> (d1, d0, d2)>
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @other_buffer_written(
// CHECK:         %[[SRC:.+]] = memref.alloc() : memref<2x4x8xf32>
// CHECK:         %[[OTHER:.+]] = memref.alloc() : memref<2x4x8xf32>
// CHECK-NOT:     memref.alloc
// CHECK:         %[[V:.+]] = memref.transpose %[[SRC]] (d0, d1, d2) -> (d1, d0, d2)
// CHECK:         linalg.fill {{.+}} outs(%[[OTHER]] : memref<2x4x8xf32>)
// CHECK:         linalg.generic {{.+}} ins(%[[V]] : memref<4x2x8xf32, strided<[8, 32, 1]>>)
func.func @other_buffer_written(%x: memref<2x4x8xf32>, %y: memref<4x2x8xf32>) {
  %src = memref.alloc() : memref<2x4x8xf32>
  memref.copy %x, %src : memref<2x4x8xf32> to memref<2x4x8xf32>
  %other = memref.alloc() : memref<2x4x8xf32>
  %copy = memref.alloc() : memref<4x2x8xf32>
  linalg.generic {indexing_maps = [#perm, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%src : memref<2x4x8xf32>) outs(%copy : memref<4x2x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%other : memref<2x4x8xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%copy : memref<4x2x8xf32>) outs(%y : memref<4x2x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  return
}

// -----

// The copy's destination is written by another op (an init operand) or is
// not a fresh allocation: left alone. A copy that computes (here a
// negation) is not a permutation copy.

#perm = affine_map<(d0, d1) -> (d1, d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @not_replaced(
// CHECK-COUNT-3: linalg.generic {indexing_maps = [#{{.+}}, #{{.+}}]
// CHECK-NOT:     memref.transpose
func.func @not_replaced(%x: memref<4x8xf32>, %arg: memref<8x4xf32>, %y: memref<8x4xf32>) {
  %copy = memref.alloc() : memref<8x4xf32>
  linalg.generic {indexing_maps = [#perm, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x8xf32>) outs(%copy : memref<8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%copy : memref<8x4xf32>)
  linalg.generic {indexing_maps = [#perm, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x8xf32>) outs(%arg : memref<8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %neg = memref.alloc() : memref<8x4xf32>
  linalg.generic {indexing_maps = [#perm, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x8xf32>) outs(%neg : memref<8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %n = arith.negf %in : f32
    linalg.yield %n : f32
  }
  memref.copy %neg, %y : memref<8x4xf32> to memref<8x4xf32>
  return
}

// -----

// Function arguments may alias each other: a write into another argument
// between the copy and its reader keeps the copy of an argument.

#perm = affine_map<(d0, d1) -> (d1, d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @arguments_may_alias(
// CHECK:         %[[COPY:.+]] = memref.alloc() : memref<8x4xf32>
// CHECK:         linalg.generic {{.+}} outs(%[[COPY]] : memref<8x4xf32>)
// CHECK:         linalg.fill
// CHECK:         linalg.generic {{.+}} ins(%[[COPY]] : memref<8x4xf32>)
// CHECK-NOT:     memref.transpose
func.func @arguments_may_alias(%x: memref<4x8xf32>, %other: memref<4x8xf32>) -> memref<8x4xf32> {
  %copy = memref.alloc() : memref<8x4xf32>
  linalg.generic {indexing_maps = [#perm, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x8xf32>) outs(%copy : memref<8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%other : memref<4x8xf32>)
  %y = memref.alloc() : memref<8x4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%copy : memref<8x4xf32>) outs(%y : memref<8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  return %y : memref<8x4xf32>
}

// -----

// linalg.transpose is a permutation copy too (the tutorial's graph writes
// its head splits with it): an elementwise reader takes the view.

// CHECK-LABEL: func.func @named_transpose(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<2x8x4x16xf32>
// CHECK-NOT:     linalg.transpose
// CHECK:         %[[V:.+]] = memref.transpose %[[X]] (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<2x8x4x16xf32> to memref<2x4x8x16xf32, strided<[512, 16, 64, 1]>>
// CHECK:         linalg.generic {{.+}} ins(%[[V]] : memref<2x4x8x16xf32, strided<[512, 16, 64, 1]>>)
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @named_transpose(%x: memref<2x8x4x16xf32>) -> memref<2x4x8x16xf32> {
  %t = memref.alloc() : memref<2x4x8x16xf32>
  linalg.transpose ins(%x : memref<2x8x4x16xf32>) outs(%t : memref<2x4x8x16xf32>) permutation = [0, 2, 1, 3]
  %y = memref.alloc() : memref<2x4x8x16xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%t : memref<2x4x8x16xf32>) outs(%y : memref<2x4x8x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  return %y : memref<2x4x8x16xf32>
}

// -----

// Bufferization reuses the copy's buffer once it is dead (here for a fill
// and what reads that): the reads before the reuse take the view, the
// allocation stays for the fill and the read after it.

#perm = affine_map<(d0, d1) -> (d1, d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @buffer_reused(
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<4x8xf32>
// CHECK:         %[[BUF:.+]] = memref.alloc() : memref<8x4xf32>
// CHECK:         %[[V:.+]] = memref.transpose %[[X]] (d0, d1) -> (d1, d0)
// CHECK:         linalg.generic {{.+}} ins(%[[V]] : memref<8x4xf32, strided<[1, 8]>>) outs(%[[Y:.+]] : memref<8x4xf32>)
// CHECK:         linalg.fill {{.+}} outs(%[[BUF]] : memref<8x4xf32>)
// CHECK:         linalg.generic {{.+}} ins(%[[BUF]] : memref<8x4xf32>)
// CHECK:         return %{{.+}}, %{{.+}}, %[[BUF]]
func.func @buffer_reused(%x: memref<4x8xf32>) -> (memref<8x4xf32>, memref<8x4xf32>, memref<8x4xf32>) {
  %buf = memref.alloc() : memref<8x4xf32>
  linalg.generic {indexing_maps = [#perm, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x8xf32>) outs(%buf : memref<8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  }
  %y = memref.alloc() : memref<8x4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%buf : memref<8x4xf32>) outs(%y : memref<8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%one : f32) outs(%buf : memref<8x4xf32>)
  %z = memref.alloc() : memref<8x4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%buf : memref<8x4xf32>) outs(%z : memref<8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  return %y, %z, %buf : memref<8x4xf32>, memref<8x4xf32>, memref<8x4xf32>
}

// -----

// The key tiling copy fused into a scan's tile (one channel of L tokens):
// `d2 mod 256` over a dimension of extent 1 is the identity, so the scan
// reads the key's slice itself; no per-thread buffer is left.

#tile = affine_map<(d0, d1, d2) -> (d0, d1, d2 mod 256)>
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @tiling_copy_in_tile(
// CHECK:         memref.alloc
// CHECK:         scf.forall
// CHECK:           %[[K:.+]] = memref.subview %{{.+}} : memref<?x?x256xbf16> to memref<1x?x1xbf16, strided<[?, 256, 1], offset: ?>>
// CHECK-NOT:       memref.alloc
// CHECK-NOT:       linalg.generic
// CHECK:           rat.chunk_scan chunk_size = 16 ins(%{{.+}}, %[[K]] : memref<1x?x1xbf16, strided<[?, 2048, 1], offset: ?>>, memref<1x?x1xbf16, strided<[?, 256, 1], offset: ?>>)
func.func @tiling_copy_in_tile(%gate: memref<?x?x2048xbf16>, %k: memref<?x?x256xbf16>, %b: index, %chunks: index, %t: index) -> memref<?x?x2048xbf16> {
  %out = memref.alloc(%b, %t) : memref<?x?x2048xbf16>
  scf.forall (%i, %c, %n) in (%b, %chunks, 2048) {
    %t0 = affine.apply affine_map<(d0) -> (d0 * 16)>(%c)
    %len = affine.min affine_map<(d0)[s0] -> (d0 * -16 + s0, 16)>(%c)[%t]
    %col = affine.apply affine_map<(d0) -> (d0 mod 256)>(%n)
    %g = memref.subview %gate[%i, %t0, %n] [1, %len, 1] [1, 1, 1] : memref<?x?x2048xbf16> to memref<1x?x1xbf16, strided<[?, 2048, 1], offset: ?>>
    %ks = memref.subview %k[%i, %t0, %col] [1, %len, 1] [1, 1, 1] : memref<?x?x256xbf16> to memref<1x?x1xbf16, strided<[?, 256, 1], offset: ?>>
    %tiled = memref.alloc(%len) : memref<1x?x1xbf16>
    linalg.generic {indexing_maps = [#tile, #id], iterator_types = ["parallel", "parallel", "parallel"]}
        ins(%ks : memref<1x?x1xbf16, strided<[?, 256, 1], offset: ?>>) outs(%tiled : memref<1x?x1xbf16>) {
    ^bb0(%in: bf16, %o: bf16):
      linalg.yield %in : bf16
    }
    %o = memref.subview %out[%i, %t0, %n] [1, %len, 1] [1, 1, 1] : memref<?x?x2048xbf16> to memref<1x?x1xbf16, strided<[?, 2048, 1], offset: ?>>
    rat.chunk_scan chunk_size = 16 ins(%g, %tiled : memref<1x?x1xbf16, strided<[?, 2048, 1], offset: ?>>, memref<1x?x1xbf16>) outs(%o : memref<1x?x1xbf16, strided<[?, 2048, 1], offset: ?>>)
  }
  return %out : memref<?x?x2048xbf16>
}

// -----

// The same map over a dimension of more than one element gathers (columns
// repeat): no view expresses it, the copy stays.

#tile = affine_map<(d0, d1, d2) -> (d0, d1, d2 mod 4)>
#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @tiling_copy_whole(
// CHECK:         memref.alloc
// CHECK:         linalg.generic
// CHECK-NOT:     memref.transpose
func.func @tiling_copy_whole(%k: memref<2x8x4xf32>) -> memref<2x8x16xf32> {
  %tiled = memref.alloc() : memref<2x8x16xf32>
  linalg.generic {indexing_maps = [#tile, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%k : memref<2x8x4xf32>) outs(%tiled : memref<2x8x16xf32>) {
  ^bb0(%in: f32, %o: f32):
    linalg.yield %in : f32
  }
  %y = memref.alloc() : memref<2x8x16xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%tiled : memref<2x8x16xf32>) outs(%y : memref<2x8x16xf32>) {
  ^bb0(%in: f32, %o: f32):
    %e = math.exp %in : f32
    linalg.yield %e : f32
  }
  return %y : memref<2x8x16xf32>
}
