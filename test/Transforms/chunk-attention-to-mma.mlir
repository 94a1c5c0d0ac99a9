// RUN: rat-opt %s --rat-select-kernels=chip=sm_80 --rat-chunk-attention-to-mma -split-input-file | FileCheck %s

// The mma.sync kernel (sm_80 and later; on sm_90a the chunk attention takes
// the wgmma kernel where its head sizes allow: chunk-attention-to-wgmma.mlir).

// bf16 chunk attention on buffers: one launch, blocks of 128 threads over
// (query tiles of 64, heads, batch); Q, keys and values in shared memory
// (cp.async groups), Q K^T and P V on mma.sync, ldmatrix.trans for V, quad
// shuffles for the online softmax, exp2 with the scale folded into an fma.
// Software pipeline: Q and the first step's keys and values are staged
// before the loop; each step stages the next step's keys once Q K^T is done
// and its values once P V is done. The loop asks for 3 blocks per SM.
// CHECK-LABEL: func.func @attention
// CHECK:         gpu.launch
// CHECK-SAME:      threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c128
// CHECK-SAME:      workgroup(%{{.+}} : memref<64x136xbf16, #gpu.address_space<workgroup>>, %{{.+}} : memref<64x136xbf16, #gpu.address_space<workgroup>>, %{{.+}} : memref<64x136xbf16, #gpu.address_space<workgroup>>)
// CHECK-COUNT-3:   nvgpu.device_async_create_group
// CHECK:           scf.for
// CHECK:             nvgpu.device_async_wait %{{.+}} {numGroups = 1 : i32}
// CHECK:             nvgpu.ldmatrix %{{.+}} {numTiles = 4 : i32, transpose = false}
// CHECK:             nvvm.mma.sync
// CHECK:             gpu.barrier
// CHECK:             nvgpu.device_async_create_group
// CHECK:             gpu.shuffle  xor
// CHECK:             math.fma
// CHECK:             math.exp2
// CHECK:             nvgpu.device_async_wait %{{.+}} {numGroups = 1 : i32}
// CHECK:             nvgpu.ldmatrix %{{.+}} {numTiles = 4 : i32, transpose = true}
// CHECK:             nvvm.mma.sync
// CHECK:             gpu.barrier
// CHECK:             nvgpu.device_async_create_group
// CHECK:             scf.yield
// CHECK:           } {rat.min_blocks_per_sm = 3 : i64}
// The own-token step stages nothing more; its values' wait drains all.
// CHECK:           nvgpu.device_async_wait %{{.+}} {numGroups = 1 : i32}
// CHECK:           nvvm.mma.sync
// CHECK-NOT:       nvgpu.device_async_create_group
// CHECK:           nvgpu.device_async_wait %{{.+}} {numGroups = 0 : i32}
// CHECK:           nvgpu.ldmatrix %{{.+}} {numTiles = 4 : i32, transpose = true}
// CHECK:           vector.store
// CHECK-NOT:     rat.chunk_attention
func.func @attention(%q: memref<?x2x?x128xbf16>, %k: memref<?x16x?x128xbf16>, %v: memref<?x16x?x128xbf16>, %o: memref<?x16x?x128xbf16>) {
  rat.chunk_attention chunk_size = 16 ins(%q, %k, %v : memref<?x2x?x128xbf16>, memref<?x16x?x128xbf16>, memref<?x16x?x128xbf16>) outs(%o : memref<?x16x?x128xbf16>)
  return
}

// -----

// Left to the loop lowering: f32, a head size that is not a multiple of 16.
// CHECK-LABEL: func.func @unsupported
// CHECK-NOT:     gpu.launch
// CHECK-COUNT-2: rat.chunk_attention
func.func @unsupported(%q: memref<1x2x8x64xf32>, %k: memref<1x2x8x64xf32>, %v: memref<1x2x8x64xf32>, %o: memref<1x2x8x64xf32>,
                       %qb: memref<1x2x8x40xbf16>, %kb: memref<1x2x8x40xbf16>, %vb: memref<1x2x8x40xbf16>, %ob: memref<1x2x8x40xbf16>) {
  rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : memref<1x2x8x64xf32>, memref<1x2x8x64xf32>, memref<1x2x8x64xf32>) outs(%o : memref<1x2x8x64xf32>)
  rat.chunk_attention chunk_size = 4 ins(%qb, %kb, %vb : memref<1x2x8x40xbf16>, memref<1x2x8x40xbf16>, memref<1x2x8x40xbf16>) outs(%ob : memref<1x2x8x40xbf16>)
  return
}

// -----

// Sliding-window attention (window 1024) takes the same kernel: key rows
// are consecutive tokens, the loop starts at the 64-aligned first key of
// the tile's window (max(0, s0 - W) rounded down), runs to the last
// query's position + 1 (at most the key count), and the mask keeps
// s - W <= j <= s; no separate own-token term (the window contains it).
// CHECK-LABEL: func.func @window
// CHECK:         gpu.launch
// CHECK-SAME:      threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c128
// CHECK:           %[[KEYS:.+]] = memref.dim %{{.+}}, %c2{{.*}} : memref<?x4x?x64xbf16>
// CHECK:           %[[END:.+]] = arith.minui %{{.+}}, %[[KEYS]] : index
// CHECK:           arith.cmpi ult, %{{.+}}, %c1024
// CHECK:           arith.subi %{{.+}}, %c1024
// CHECK:           scf.for %{{.+}} = %{{.+}} to %[[END]] step %c64
// CHECK:             nvvm.mma.sync
// CHECK:             arith.addi %{{.+}}, %c1025
// CHECK:             math.exp2
// CHECK:             nvgpu.ldmatrix %{{.+}} {numTiles = 4 : i32, transpose = true}
// CHECK:           arith.divf
// CHECK:           vector.store
// CHECK-NOT:       memref.load
// CHECK-NOT:     rat.window_attention
func.func @window(%q: memref<?x4x?x64xbf16>, %k: memref<?x4x?x64xbf16>, %v: memref<?x4x?x64xbf16>, %o: memref<?x4x?x64xbf16>) {
  rat.window_attention window = 1024 ins(%q, %k, %v : memref<?x4x?x64xbf16>, memref<?x4x?x64xbf16>, memref<?x4x?x64xbf16>) outs(%o : memref<?x4x?x64xbf16>)
  return
}

// -----

// The value heads as a transposed view of the value scan's [B, T, H, Dv]
// buffer (rows of stride H*Dv = 2048): the kernel's copies address the view
// through its strides. A view of a buffer with dynamic strides, whose rows
// may not be 16-byte aligned, is left to the loop lowering.
// CHECK-LABEL: func.func @value_view
// CHECK:         %[[VIEW:.+]] = memref.transpose
// CHECK:         gpu.launch
// CHECK:           nvgpu.device_async_copy %[[VIEW]][%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}], %{{.+}}[%{{.+}}, %{{.+}}], 8, %{{.+}} : memref<?x16x?x128xbf16, strided<[?, 128, 2048, 1]>> to memref<64x136xbf16, #gpu.address_space<workgroup>>
// CHECK-NOT:     gpu.launch
// CHECK:         rat.chunk_attention {{.+}} memref<?x16x?x128xbf16, strided<[?, ?, ?, 1]>>
func.func @value_view(%q: memref<?x16x?x128xbf16>, %k: memref<?x16x?x128xbf16>, %vs: memref<?x?x16x128xbf16>, %o: memref<?x16x?x128xbf16>,
                      %vd: memref<?x?x16x128xbf16, strided<[?, ?, ?, 1]>>, %o2: memref<?x16x?x128xbf16>) {
  %v = memref.transpose %vs (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<?x?x16x128xbf16> to memref<?x16x?x128xbf16, strided<[?, 128, 2048, 1]>>
  rat.chunk_attention chunk_size = 16 ins(%q, %k, %v : memref<?x16x?x128xbf16>, memref<?x16x?x128xbf16>, memref<?x16x?x128xbf16, strided<[?, 128, 2048, 1]>>) outs(%o : memref<?x16x?x128xbf16>)
  %w = memref.transpose %vd (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<?x?x16x128xbf16, strided<[?, ?, ?, 1]>> to memref<?x16x?x128xbf16, strided<[?, ?, ?, 1]>>
  rat.chunk_attention chunk_size = 16 ins(%q, %k, %w : memref<?x16x?x128xbf16>, memref<?x16x?x128xbf16>, memref<?x16x?x128xbf16, strided<[?, ?, ?, 1]>>) outs(%o2 : memref<?x16x?x128xbf16>)
  return
}
