// RUN: rat-opt %s --rat-select-kernels --rat-row-ops-to-gpu -split-input-file | FileCheck %s

// rms_norm: a warp per row, 2 warps per block, 16-byte (8 x bf16) loads,
// butterfly shuffles. 2048 columns are 8 vector steps per lane: unrolled,
// all 8 loads issued before the reduction and reused for the scaling.
// CHECK-LABEL: func.func @norm
// CHECK:         memref.collapse_shape
// CHECK:         gpu.launch
// CHECK-SAME:      threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c64
// CHECK-NOT:       scf.for
// CHECK-COUNT-8:   vector.load %{{.+}} : memref<?x2048xbf16>, vector<8xbf16>
// CHECK-COUNT-8:   math.fma
// CHECK:           vector.reduction <add>
// CHECK:           gpu.shuffle  xor %{{.+}}, %c16_i32
// CHECK:           math.rsqrt
// CHECK-NOT:       vector.load %{{.+}} : memref<?x2048xbf16>
// CHECK-COUNT-8:   vector.store %{{.+}} : memref<?x2048xbf16>, vector<8xbf16>
// CHECK-NOT:     rat.rms_norm
func.func @norm(%x: memref<?x?x2048xbf16>, %w: memref<2048xbf16>, %y: memref<?x?x2048xbf16>) {
  rat.rms_norm epsilon = 1.0e-06 ins(%x, %w : memref<?x?x2048xbf16>, memref<2048xbf16>) outs(%y : memref<?x?x2048xbf16>)
  return
}

// -----

// Long rows (17 vector steps per lane > 16): loops, the row read twice.
// CHECK-LABEL: func.func @norm_long
// CHECK:         gpu.launch
// CHECK:           scf.for
// CHECK:             vector.load %{{.+}} : memref<?x4352xbf16>, vector<8xbf16>
// CHECK:             vector.reduction <add>
// CHECK:           gpu.shuffle  xor %{{.+}}, %c16_i32
// CHECK:           scf.for
// CHECK:             vector.load %{{.+}} : memref<?x4352xbf16>, vector<8xbf16>
// CHECK:             vector.store %{{.+}} : memref<?x4352xbf16>, vector<8xbf16>
func.func @norm_long(%x: memref<?x4352xbf16>, %w: memref<4352xbf16>, %y: memref<?x4352xbf16>) {
  rat.rms_norm epsilon = 1.0e-06 ins(%x, %w : memref<?x4352xbf16>, memref<4352xbf16>) outs(%y : memref<?x4352xbf16>)
  return
}

// -----

// A row that is not a multiple of 32 lanes: scalar accesses and a tail.
// CHECK-LABEL: func.func @norm_ragged
// CHECK:         gpu.launch
// CHECK:           vector.load %{{.+}} : memref<?x40xf32>, vector<1xf32>
// CHECK:           scf.if
// CHECK:             memref.load
// CHECK-NOT:     rat.rms_norm
func.func @norm_ragged(%x: memref<?x40xf32>, %w: memref<40xf32>, %y: memref<?x40xf32>) {
  rat.rms_norm epsilon = 1.0e-06 ins(%x, %w : memref<?x40xf32>, memref<40xf32>) outs(%y : memref<?x40xf32>)
  return
}

// -----

// rope: a thread per 8 rotated pairs (row, i..i+7 < Dh/2), read and
// written with 16-byte vector accesses at i and i + 64 where the host finds
// the rows aligned; else one pair per thread. Position from the chunk.
// CHECK-LABEL: func.func @rope
// CHECK:         memref.extract_strided_metadata
// CHECK:         scf.if %{{.+}} {
// CHECK:           gpu.launch
// CHECK:             arith.divui %{{.+}}, %c8{{.*}} : index
// CHECK:             arith.remui %{{.+}}, %c8{{.*}} : index
// CHECK-COUNT-2:     vector.load %{{.+}} : memref<?x16x?x128xbf16>, vector<8xbf16>
// CHECK-COUNT-8:     math.cos
// CHECK-COUNT-2:     vector.store %{{.+}} : memref<?x16x?x128xbf16>, vector<8xbf16>
// CHECK:         } else {
// CHECK:           gpu.launch
// CHECK:             arith.remui %{{.+}}, %c64{{.*}} : index
// CHECK-NOT:         vector.load
// CHECK:             math.cos
// CHECK:             math.sin
// CHECK-COUNT-2:     memref.store
// CHECK-NOT:     rat.rope
func.func @rope(%x: memref<?x16x?x128xbf16>, %y: memref<?x16x?x128xbf16>) {
  rat.rope chunk_size = 16 base = 1.0e+04 ins(%x : memref<?x16x?x128xbf16>) outs(%y : memref<?x16x?x128xbf16>)
  return
}

// -----

// rope reading the heads through a transposed view of [B, T, H, Dh] (rows
// of stride H*Dh, as rat-permutation-copies-to-views leaves them): the same
// kernel, addressed through the view's strides (row -> (b, h, t) by the
// view's sizes); the host checks the view's dynamic stride for alignment.
// CHECK-LABEL: func.func @rope_strided
// CHECK-SAME:    %[[X:[a-zA-Z0-9_]+]]: memref<?x?x16x128xbf16>
// CHECK:         %[[V:[a-zA-Z0-9_]+]] = memref.transpose %[[X]]
// CHECK:         memref.extract_strided_metadata %[[V]]
// CHECK:         scf.if
// CHECK:           gpu.launch
// CHECK:             vector.load %[[V]][{{.+}}] {alignment = 16 : i64} : memref<?x16x?x128xbf16, strided<[?, 128, 2048, 1]>>, vector<8xbf16>
// CHECK:             vector.store %{{.+}} : memref<?x16x?x128xbf16>, vector<8xbf16>
// CHECK-NOT:     rat.rope
func.func @rope_strided(%x: memref<?x?x16x128xbf16>, %y: memref<?x16x?x128xbf16>) {
  %v = memref.transpose %x (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<?x?x16x128xbf16> to memref<?x16x?x128xbf16, strided<[?, 128, 2048, 1]>>
  rat.rope chunk_size = 16 base = 1.0e+04 ins(%v : memref<?x16x?x128xbf16, strided<[?, 128, 2048, 1]>>) outs(%y : memref<?x16x?x128xbf16>)
  return
}

// -----

// Rows whose last dimension is not contiguous: no row kernel.
// CHECK-LABEL: func.func @rope_column_stride
// CHECK-NOT:     gpu.launch
// CHECK:         rat.rope
func.func @rope_column_stride(%x: memref<?x?x128x16xbf16>, %y: memref<?x16x?x128xbf16>) {
  %v = memref.transpose %x (d0, d1, d2, d3) -> (d0, d3, d1, d2) : memref<?x?x128x16xbf16> to memref<?x16x?x128xbf16, strided<[?, 1, 2048, 16]>>
  rat.rope chunk_size = 16 base = 1.0e+04 ins(%v : memref<?x16x?x128xbf16, strided<[?, 1, 2048, 16]>>) outs(%y : memref<?x16x?x128xbf16>)
  return
}

// -----

// Inside a parallel loop (already a kernel's body): left alone.
// CHECK-LABEL: func.func @nested
// CHECK-NOT:     gpu.launch
// CHECK:         rat.rms_norm
func.func @nested(%x: memref<4x64xf32>, %w: memref<64xf32>, %y: memref<4x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%c1) step (%c1) {
    rat.rms_norm epsilon = 1.0e-06 ins(%x, %w : memref<4x64xf32>, memref<64xf32>) outs(%y : memref<4x64xf32>)
    scf.reduce
  }
  return
}

// -----

// sample: a block of 1024 threads per row, 8 loads in flight per thread.
// Step 1, the first maximum: one pass, butterfly shuffles. Step 2, the top-k
// key by radix select: 4 passes counting into a shared 256-bin histogram,
// each followed by one warp's suffix scan (shuffles down). Step 3: the
// candidates gathered with a shared counter, sorted by column, top-p and the
// Gumbel-max over them; Sampling.h's bisection over the row (32 steps) only
// when they do not fit.
// CHECK-LABEL: func.func @sample
// CHECK:         gpu.launch
// CHECK-SAME:      threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c1024
// CHECK-SAME:      memref<256xi32, #gpu.address_space<workgroup>>
// CHECK:           scf.for %{{.+}} step %c8192 iter_args
// CHECK-COUNT-8:     memref.load %{{.+}} : memref<?x32000xbf16>
// CHECK:           gpu.shuffle  xor
// CHECK:           gpu.barrier
// CHECK-COUNT-8:   memref.atomic_rmw addi {{.+}} memref<256xi32, #gpu.address_space<workgroup>>
// CHECK:           gpu.shuffle  down
// CHECK-COUNT-8:   memref.atomic_rmw addi {{.+}} memref<256xi32, #gpu.address_space<workgroup>>
// CHECK:           gpu.shuffle  down
// CHECK-COUNT-8:   memref.atomic_rmw addi {{.+}} memref<256xi32, #gpu.address_space<workgroup>>
// CHECK:           gpu.shuffle  down
// CHECK-COUNT-8:   memref.atomic_rmw addi {{.+}} memref<256xi32, #gpu.address_space<workgroup>>
// CHECK:           gpu.shuffle  down
// CHECK-NOT:       memref<256xi32
// CHECK-COUNT-8:   memref.atomic_rmw addi {{.+}} memref<9xi32, #gpu.address_space<workgroup>>
// CHECK:           scf.for
// CHECK:           math.exp
// CHECK:           scf.for
// CHECK:           math.log
// CHECK:           scf.for %{{.+}} = %{{.+}} to %c32{{(_[0-9]+)?}} step
// CHECK:           math.log
// CHECK:         gpu.terminator
// CHECK-NOT:     rat.sample
func.func @sample(%logits: memref<?x32000xbf16>, %t: memref<?xf32>, %k: memref<?xi32>, %p: memref<?xf32>, %seed: memref<?xi64>, %pos: memref<?xi32>, %out: memref<?xi32>) {
  rat.sample ins(%logits, %t, %k, %p, %seed, %pos : memref<?x32000xbf16>, memref<?xf32>, memref<?xi32>, memref<?xf32>, memref<?xi64>, memref<?xi32>) outs(%out : memref<?xi32>)
  return
}
