// RUN: rat-opt %s --rat-select-kernels --rat-step-ops-to-gpu -split-input-file | FileCheck %s
// RUN: rat-opt %s --rat-select-kernels --rat-step-ops-to-gpu=emulate=true -split-input-file | FileCheck %s --check-prefix=EMU

// Decode attention step, split over the cached states. The host picks the
// number of splits from the shapes alone: ceil(blocks / (B * H)) with
// blocks = 4 per SM (528 on sm_90a), at most capacity / 16 = 256 / 16
// and split_k = 64. More than one split: f32 partials [B, H, S, Dh + 4]
// (m at column Dh, l at Dh + 1), the attention kernel on grid (S, H, B),
// the merge kernel on grid (H, B); else one block per (head, batch). The
// position is only read in the kernels (a replayed CUDA graph patches it).
// CHECK-LABEL: func.func @step
// CHECK-SAME:    (%[[Q:[^:]+]]: memref<?x2x128xbf16>, %[[K:[^:]+]]: memref<?x16x128xbf16>, %[[V:[^:]+]]: memref<?x16x128xbf16>, %[[POS:[^:]+]]: index, %[[O:[^:]+]]: memref<?x16x128xbf16>
// CHECK:         %[[B:.+]] = memref.dim %[[O]], %c0
// CHECK:         scf.if
// CHECK-DAG:       %[[BH:.+]] = arith.muli %[[B]], %{{.+}} : index
// CHECK-DAG:       %[[WANT:.+]] = arith.ceildivui %c528{{.*}}, %[[BH]]
// CHECK-DAG:       %[[CAP:.+]] = arith.divui %{{.+}}, %c16
// CHECK:           %[[BYSTATES:.+]] = arith.maxui %[[CAP]], %c1
// CHECK:           %[[M1:.+]] = arith.minui %[[WANT]], %[[BYSTATES]]
// CHECK:           %[[S:.+]] = arith.minui %[[M1]], %c64
// CHECK:           %[[SPLIT:.+]] = arith.cmpi ult, %c1{{.*}}, %[[S]]
// CHECK:           scf.if %[[SPLIT]] {
// CHECK:             %[[P:.+]] = memref.alloc(%[[B]], %{{.+}}, %[[S]]) : memref<?x?x?x132xf32>
// CHECK:             gpu.launch blocks(%[[SX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %[[S]], %{{.+}} = %{{.+}}, %{{.+}} = %[[B]]) threads({{.+}}) in ({{.+}} = %c128{{.*}}, {{.+}} = %c1{{.*}}, {{.+}} = %c1{{.*}}) workgroup(%[[SH:.+]] : memref<4x130xf32, #gpu.address_space<workgroup>>)
// The block's slice of the states [0, c), c = position / 16.
// CHECK:               %[[C:.+]] = arith.divui %[[POS]], %c16
// CHECK:               %[[PER:.+]] = arith.ceildivui %{{.+}}, %[[S]]
// CHECK:               %[[LO:.+]] = arith.minui %{{.+}}, %[[C]]
// CHECK:               %[[HI:.+]] = arith.minui %{{.+}}, %[[C]]
// Split 0 writes cache row c.
// CHECK:               %[[FIRST:.+]] = arith.cmpi ult, %[[SX]], %c1
// CHECK:               scf.if %[[FIRST]] {
// CHECK:                 memref.store %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}, %[[C]], %{{.+}}] : memref<?x16x256x128xbf16>
// Each warp: 4 states' key and value rows loaded, then used; one
// online-softmax update per group.
// CHECK:               scf.for %{{.+}} = %[[LO]] to %[[HI]] step %c16
// CHECK-COUNT-8:         vector.load %{{.+}} : memref<?x16x256x128xbf16>, vector<4xbf16>
// CHECK:                 gpu.shuffle  xor
// CHECK-COUNT-5:         math.exp2
// CHECK-NOT:             math.exp2
// CHECK:                 scf.yield
// Warp 0 of split 0 adds the own state.
// CHECK:               arith.andi
// CHECK:               scf.if
// CHECK:               gpu.barrier
// CHECK:               vector.store %{{.+}}, %[[P]][{{.+}}] : memref<?x?x?x132xf32>, vector<4xf32>
// CHECK:               memref.store %{{.+}}, %[[P]][%{{.+}}, %{{.+}}, %[[SX]], %c128{{.*}}] : memref<?x?x?x132xf32>
// CHECK:               memref.store %{{.+}}, %[[P]][%{{.+}}, %{{.+}}, %[[SX]], %c129{{.*}}] : memref<?x?x?x132xf32>
// CHECK:               gpu.terminator
// The merge kernel: the S partial states, 4 per warp in flight.
// CHECK:             gpu.launch blocks({{.+}}) in ({{.+}} = %{{.+}}, {{.+}} = %[[B]], {{.+}} = %c1{{.*}})
// CHECK:               scf.for %{{.+}} = %c0{{.*}} to %[[S]] step %c16
// CHECK-COUNT-4:         vector.load %[[P]]
// CHECK:               gpu.barrier
// CHECK:               arith.divf
// CHECK:               vector.store %{{.+}}, %[[O]][{{.+}}] : memref<?x16x128xbf16>, vector<4xbf16>
// CHECK:             memref.dealloc %[[P]]
// CHECK:           } else {
// CHECK:             gpu.launch blocks({{.+}}) in ({{.+}} = %c1{{.*}}, {{.+}} = %{{.+}}, {{.+}} = %[[B]])
// CHECK-NOT:           memref.alloc
// CHECK:               vector.store %{{.+}}, %[[O]][{{.+}}] : memref<?x16x128xbf16>, vector<4xbf16>
// CHECK-NOT:     rat.chunk_attention_step
// Emulated (rat-launch-to-loops): blocks of one thread holding whole rows,
// no shuffles, no shared memory, no barrier; the same split and merge.
// EMU-LABEL: func.func @step
// EMU:         memref.alloc({{.+}}) : memref<?x?x?x132xf32>
// EMU:         gpu.launch blocks({{.+}}) in ({{.+}}) threads({{.+}}) in ({{.+}} = %c1{{.*}}, {{.+}} = %c1{{.*}}, {{.+}} = %c1{{.*}}) {
// EMU-NOT:       gpu.shuffle
// EMU-NOT:       gpu.barrier
// EMU:           vector.load %{{.+}} : memref<?x16x256x128xbf16>, vector<128xbf16>
// EMU:         gpu.launch
// EMU:           vector.load %{{.+}} : memref<?x?x?x132xf32>, vector<128xf32>
// EMU:         memref.dealloc
func.func @step(%q: memref<?x2x128xbf16>, %k: memref<?x16x128xbf16>, %v: memref<?x16x128xbf16>, %pos: index,
                %o: memref<?x16x128xbf16>, %kc: memref<?x16x256x128xbf16>, %vc: memref<?x16x256x128xbf16>) {
  rat.chunk_attention_step chunk_size = 16 ins(%q, %k, %v : memref<?x2x128xbf16>, memref<?x16x128xbf16>, memref<?x16x128xbf16>) position(%pos) outs(%o, %kc, %vc : memref<?x16x128xbf16>, memref<?x16x256x128xbf16>, memref<?x16x256x128xbf16>)
  return
}

// -----

// A step kernel without split_k (written in the input): one launch, one
// block per (head, batch), no scratch buffer.
// CHECK-LABEL: func.func @no_split
// CHECK-NOT:     memref.alloc
// CHECK:         gpu.launch
// CHECK:           scf.for %{{.+}} step %c16
// CHECK:         gpu.terminator
// CHECK-NOT:     gpu.launch
func.func @no_split(%q: memref<?x16x128xf32>, %k: memref<?x16x128xf32>, %v: memref<?x16x128xf32>, %pos: index,
                    %o: memref<?x16x128xf32>, %kc: memref<?x16x256x128xf32>, %vc: memref<?x16x256x128xf32>) {
  rat.chunk_attention_step chunk_size = 16 ins(%q, %k, %v : memref<?x16x128xf32>, memref<?x16x128xf32>, memref<?x16x128xf32>) position(%pos) outs(%o, %kc, %vc : memref<?x16x128xf32>, memref<?x16x256x128xf32>, memref<?x16x256x128xf32>) {rat.kernel = #rat.kernel<family = step>}
  return
}

// -----

// Head size 48 (not a multiple of 32): left to the loop lowering.
// CHECK-LABEL: func.func @unsupported
// CHECK-NOT:     gpu.launch
// CHECK:         rat.chunk_attention_step
func.func @unsupported(%q: memref<1x2x48xf32>, %k: memref<1x2x48xf32>, %v: memref<1x2x48xf32>, %pos: index,
                       %o: memref<1x2x48xf32>, %kc: memref<1x2x8x48xf32>, %vc: memref<1x2x8x48xf32>) {
  rat.chunk_attention_step chunk_size = 4 ins(%q, %k, %v : memref<1x2x48xf32>, memref<1x2x48xf32>, memref<1x2x48xf32>) position(%pos) outs(%o, %kc, %vc : memref<1x2x48xf32>, memref<1x2x8x48xf32>, memref<1x2x8x48xf32>)
  return
}

// -----

// Window step (ring cache), per-sequence positions read in the kernels:
// the capacity is min(R, W) = 1024 states; the ring row p mod R and the
// window start max(0, p - W) are computed in the kernel, and the split
// divides the window [lo, p) of the sequence's own position.
// CHECK-LABEL: func.func @window_step
// CHECK-NOT:     memref.load
// CHECK:         arith.minui %{{.+}}, %c1024
// CHECK:         memref.alloc
// CHECK:         gpu.launch
// CHECK:           %[[P:.+]] = arith.index_cast
// CHECK:           arith.remui %[[P]], %{{.+}} : index
// CHECK:           arith.select
// CHECK:           arith.ceildivui
// CHECK:           scf.for
// CHECK:           scf.for
// CHECK-COUNT-4:     arith.remui
// CHECK:             vector.load %{{.+}} : memref<?x16x1025x128xbf16>, vector<4xbf16>
// CHECK:         gpu.launch
// CHECK:         gpu.launch
// CHECK-NOT:     rat.window_attention_step
func.func @window_step(%q: memref<?x16x128xbf16>, %k: memref<?x16x128xbf16>, %v: memref<?x16x128xbf16>, %pos: memref<?xi32>,
                       %o: memref<?x16x128xbf16>, %kc: memref<?x16x1025x128xbf16>, %vc: memref<?x16x1025x128xbf16>) {
  rat.window_attention_step window = 1024 ins(%q, %k, %v : memref<?x16x128xbf16>, memref<?x16x128xbf16>, memref<?x16x128xbf16>) position(%pos : memref<?xi32>) outs(%o, %kc, %vc : memref<?x16x128xbf16>, memref<?x16x1025x128xbf16>, memref<?x16x1025x128xbf16>)
  return
}

// -----

// Ropes of one token whose results only the step reads are applied in the
// step kernels (GPU only): no rat.rope left, no buffer for their results.
// The query row: two vector loads of the rope's input per lane (the lane's
// dims and their partners Dh/2 away), rotated, rounded to bf16 as the rope
// stores it; the key rotated element by element into the cache row (split
// 0) and as a row for the own state. The emulation keeps the ropes.
// CHECK-LABEL: func.func @fused_ropes
// CHECK-SAME:    (%{{[^:]+}}: memref<?x1x1280xbf16>, %[[KS:[^:]+]]: memref<?x16x1x128xbf16>
// CHECK-NOT:     rat.rope
// CHECK-NOT:     memref.alloc(%{{[^)]+}}) : memref<?x{{2|16}}x1x128xbf16>
// CHECK:         %[[QS:.+]] = memref.transpose
// CHECK-NOT:     memref.alloc(%{{[^)]+}}) : memref<?x{{2|16}}x1x128xbf16>
// CHECK:         gpu.launch
// Split 0 writes the roped key into cache row c, element by element.
// CHECK:           scf.for %[[D:[a-z0-9_]+]] = %{{.+}} to %c128
// CHECK:             memref.load %[[KS]][%{{.+}}, %{{.+}}, %c0{{.*}}, %[[D]]] : memref<?x16x1x128xbf16>
// CHECK:             memref.load %[[KS]][%{{.+}}, %{{.+}}, %c0{{.*}}, %{{.+}}] : memref<?x16x1x128xbf16>
// CHECK:             math.exp2
// CHECK:             math.cos
// CHECK:             math.sin
// CHECK:             arith.subf
// CHECK:             arith.addf
// CHECK:             arith.select
// CHECK:             %[[KV:.+]] = arith.truncf %{{.+}} : f32 to bf16
// CHECK:             memref.store %[[KV]], %{{.+}}[%{{.+}}, %{{.+}}, %{{.+}}, %[[D]]] : memref<?x16x256x128xbf16>
// The query row: the lane's 4 dims and their partners, rotated, rounded.
// CHECK:           vector.load %[[QS]][%{{.+}}, %{{.+}}, %c0{{.*}}, %{{.+}}] : memref<?x2x1x128xbf16, strided<[1280, 128, 1280, 1], offset: 256>>, vector<4xbf16>
// CHECK:           vector.load %[[QS]][%{{.+}}, %{{.+}}, %c0{{.*}}, %{{.+}}] : memref<?x2x1x128xbf16, strided<[1280, 128, 1280, 1], offset: 256>>, vector<4xbf16>
// CHECK-COUNT-4:   math.cos
// CHECK:           vector.from_elements
// CHECK:           scf.for
// Warp 0 of split 0: the own key row, roped the same way.
// CHECK:           scf.if
// CHECK:             vector.load %[[KS]][%{{.+}}, %{{.+}}, %c0{{.*}}, %{{.+}}] : memref<?x16x1x128xbf16>, vector<4xbf16>
// CHECK:             vector.load %[[KS]][%{{.+}}, %{{.+}}, %c0{{.*}}, %{{.+}}] : memref<?x16x1x128xbf16>, vector<4xbf16>
// CHECK-COUNT-4:     math.cos
// CHECK:         gpu.terminator
// CHECK:         memref.dealloc %{{.+}} : memref<?x?x?x132xf32>
// CHECK-NOT:     memref.dealloc
// CHECK-NOT:     rat.rope
// CHECK:         return
// EMU-LABEL: func.func @fused_ropes
// EMU-COUNT-2:   rat.rope
// EMU-NOT:       math.cos
func.func @fused_ropes(%proj: memref<?x1x1280xbf16>, %ks: memref<?x16x1x128xbf16>, %v: memref<?x16x128xbf16>, %pos: memref<?xi32>,
                       %o: memref<?x16x128xbf16>, %kc: memref<?x16x256x128xbf16>, %vc: memref<?x16x256x128xbf16>) {
  %c0 = arith.constant 0 : index
  %b = memref.dim %ks, %c0 : memref<?x16x1x128xbf16>
  %kr = memref.alloc(%b) : memref<?x16x1x128xbf16>
  rat.rope chunk_size = 16 base = 1.000000e+04 ins(%ks : memref<?x16x1x128xbf16>) positions(%pos : memref<?xi32>) outs(%kr : memref<?x16x1x128xbf16>)
  %k = memref.collapse_shape %kr [[0], [1], [2, 3]] : memref<?x16x1x128xbf16> into memref<?x16x128xbf16>
  %cols = memref.subview %proj[0, 0, 256] [%b, 1, 256] [1, 1, 1] : memref<?x1x1280xbf16> to memref<?x1x256xbf16, strided<[1280, 1280, 1], offset: 256>>
  %qs = memref.expand_shape %cols [[0], [1], [2, 3]] output_shape [%b, 1, 2, 128] : memref<?x1x256xbf16, strided<[1280, 1280, 1], offset: 256>> into memref<?x1x2x128xbf16, strided<[1280, 1280, 128, 1], offset: 256>>
  %qt = memref.transpose %qs (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<?x1x2x128xbf16, strided<[1280, 1280, 128, 1], offset: 256>> to memref<?x2x1x128xbf16, strided<[1280, 128, 1280, 1], offset: 256>>
  %qr = memref.alloc(%b) : memref<?x2x1x128xbf16>
  rat.rope chunk_size = 16 base = 1.000000e+04 ins(%qt : memref<?x2x1x128xbf16, strided<[1280, 128, 1280, 1], offset: 256>>) positions(%pos : memref<?xi32>) outs(%qr : memref<?x2x1x128xbf16>)
  %q = memref.collapse_shape %qr [[0], [1], [2, 3]] : memref<?x2x1x128xbf16> into memref<?x2x128xbf16>
  rat.chunk_attention_step chunk_size = 16 ins(%q, %k, %v : memref<?x2x128xbf16>, memref<?x16x128xbf16>, memref<?x16x128xbf16>) position(%pos : memref<?xi32>) outs(%o, %kc, %vc : memref<?x16x128xbf16>, memref<?x16x256x128xbf16>, memref<?x16x256x128xbf16>)
  memref.dealloc %kr : memref<?x16x1x128xbf16>
  memref.dealloc %qr : memref<?x2x1x128xbf16>
  return
}

// -----

// Not fused: the query rope's result is read after the step (copied out),
// and the key rope's input is written between the rope and the step. Both
// stay rope ops; the step reads their buffers.
// CHECK-LABEL: func.func @ropes_kept
// CHECK:         rat.rope {{.*}} outs(%[[KR:.+]] : memref<?x16x1x128xbf16>)
// CHECK:         memref.copy
// CHECK:         rat.rope {{.*}} outs(%[[QR:.+]] : memref<?x16x1x128xbf16>)
// CHECK:         gpu.launch
// CHECK-NOT:       math.cos
// CHECK:         gpu.terminator
// CHECK:         memref.copy %[[QR]]
func.func @ropes_kept(%qs: memref<?x16x1x128xbf16>, %ks: memref<?x16x1x128xbf16>, %v: memref<?x16x128xbf16>, %pos: memref<?xi32>,
                      %o: memref<?x16x128xbf16>, %kc: memref<?x16x256x128xbf16>, %vc: memref<?x16x256x128xbf16>,
                      %other: memref<?x16x1x128xbf16>, %seen: memref<?x16x1x128xbf16>) {
  %c0 = arith.constant 0 : index
  %b = memref.dim %ks, %c0 : memref<?x16x1x128xbf16>
  %kr = memref.alloc(%b) : memref<?x16x1x128xbf16>
  rat.rope chunk_size = 16 base = 1.000000e+04 ins(%ks : memref<?x16x1x128xbf16>) positions(%pos : memref<?xi32>) outs(%kr : memref<?x16x1x128xbf16>)
  %k = memref.collapse_shape %kr [[0], [1], [2, 3]] : memref<?x16x1x128xbf16> into memref<?x16x128xbf16>
  memref.copy %other, %ks : memref<?x16x1x128xbf16> to memref<?x16x1x128xbf16>
  %qr = memref.alloc(%b) : memref<?x16x1x128xbf16>
  rat.rope chunk_size = 16 base = 1.000000e+04 ins(%qs : memref<?x16x1x128xbf16>) positions(%pos : memref<?xi32>) outs(%qr : memref<?x16x1x128xbf16>)
  %q = memref.collapse_shape %qr [[0], [1], [2, 3]] : memref<?x16x1x128xbf16> into memref<?x16x128xbf16>
  rat.chunk_attention_step chunk_size = 16 ins(%q, %k, %v : memref<?x16x128xbf16>, memref<?x16x128xbf16>, memref<?x16x128xbf16>) position(%pos : memref<?xi32>) outs(%o, %kc, %vc : memref<?x16x128xbf16>, memref<?x16x256x128xbf16>, memref<?x16x256x128xbf16>)
  memref.copy %qr, %seen : memref<?x16x1x128xbf16> to memref<?x16x1x128xbf16>
  memref.dealloc %kr : memref<?x16x1x128xbf16>
  memref.dealloc %qr : memref<?x16x1x128xbf16>
  return
}

// -----

// Not fused: the key rope reads the value cache, which the step kernels
// write (the new row) while they would read the rope's input.
// CHECK-LABEL: func.func @rope_of_written_buffer
// CHECK:         rat.rope
// CHECK:         gpu.launch
// CHECK-NOT:       math.cos
// CHECK:         gpu.terminator
func.func @rope_of_written_buffer(%q: memref<?x16x128xbf16>, %v: memref<?x16x128xbf16>, %pos: memref<?xi32>,
                                  %o: memref<?x16x128xbf16>, %kc: memref<?x16x256x128xbf16>, %vc: memref<?x16x256x128xbf16>) {
  %c0 = arith.constant 0 : index
  %b = memref.dim %q, %c0 : memref<?x16x128xbf16>
  %ks = memref.subview %vc[0, 0, 0, 0] [%b, 16, 1, 128] [1, 1, 1, 1] : memref<?x16x256x128xbf16> to memref<?x16x1x128xbf16, strided<[524288, 32768, 128, 1]>>
  %kr = memref.alloc(%b) : memref<?x16x1x128xbf16>
  rat.rope chunk_size = 16 base = 1.000000e+04 ins(%ks : memref<?x16x1x128xbf16, strided<[524288, 32768, 128, 1]>>) positions(%pos : memref<?xi32>) outs(%kr : memref<?x16x1x128xbf16>)
  %k = memref.collapse_shape %kr [[0], [1], [2, 3]] : memref<?x16x1x128xbf16> into memref<?x16x128xbf16>
  rat.chunk_attention_step chunk_size = 16 ins(%q, %k, %v : memref<?x16x128xbf16>, memref<?x16x128xbf16>, memref<?x16x128xbf16>) position(%pos : memref<?xi32>) outs(%o, %kc, %vc : memref<?x16x128xbf16>, memref<?x16x256x128xbf16>, memref<?x16x256x128xbf16>)
  memref.dealloc %kr : memref<?x16x1x128xbf16>
  return
}
