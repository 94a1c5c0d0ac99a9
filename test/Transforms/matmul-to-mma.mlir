// RUN: rat-opt %s --rat-select-kernels=chip=sm_90 --rat-matmul-to-mma -split-input-file -verify-diagnostics | FileCheck %s
// RUN: rat-opt %s --rat-select-kernels="chip=sm_90 mma-tile-sizes=128,128,32 mma-warps=2,4 mma-stages=2" --rat-matmul-to-mma -split-input-file -verify-diagnostics | FileCheck %s --check-prefix=STATIC
// RUN: rat-opt %s --rat-matmul-to-mma -split-input-file | FileCheck %s --check-prefix=NODECISION

// The mma.sync kernels that rat-select-kernels picks on sm_90 (no wgmma).
// Without a decision rat-matmul-to-mma leaves the op to the loop lowering.
// NODECISION-NOT: gpu.launch

// bf16 projection on buffers: three launches (small-M 64x64 tiles, medium
// 128x128 tiles when they fill the SMs once, and the 128x256 default when
// it fills them twice, chosen on the host by the block count), cp.async
// staging, ldmatrix fragments, mma.sync m16n8k16 with f32 accumulators, a
// bf16 epilogue. The default tile needs dynamic shared memory
// (3 x (128 + 256) x 72 x 2 bytes); 128x128x32 with 2 stages is static.
// CHECK-LABEL: func.func @proj
// CHECK:         memref.collapse_shape %{{.+}} {{\[\[}}0, 1], [2]] : memref<?x?x64xbf16> into memref<?x64xbf16>
// CHECK:         scf.if
// CHECK:           scf.if
// CHECK:             scf.if
// CHECK:             gpu.launch
// CHECK-SAME:          threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c128
// CHECK-SAME:          dynamic_shared_memory_size %{{.+}}
// CHECK:               gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK:               nvgpu.device_async_copy
// CHECK:               nvgpu.device_async_create_group
// CHECK:               scf.for
// CHECK:                 nvgpu.device_async_wait %{{.+}} {numGroups = 1 : i32}
// CHECK:                 gpu.barrier
// CHECK:                 nvgpu.ldmatrix %{{.+}} {numTiles = 4 : i32, transpose = false} : memref<3x64x72xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
// CHECK:                 nvvm.mma.sync A[{{.+}}] B[{{.+}}] C[{{.+}}] {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>}
// CHECK:               arith.truncf %{{.+}} : vector<2xf32> to vector<2xbf16>
// CHECK:               vector.store
// CHECK:             } else {
// CHECK:               gpu.launch
// CHECK-SAME:            threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c256
// CHECK:                 nvgpu.ldmatrix %{{.+}} : memref<3x128x72xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
// CHECK:           } else {
// CHECK:             gpu.launch
// CHECK-SAME:          threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c256
// CHECK:               nvgpu.ldmatrix %{{.+}} : memref<3x256x72xbf16, #gpu.address_space<workgroup>> -> vector<4x2xbf16>
// CHECK-NOT:     rat.matmul
// STATIC-LABEL: func.func @proj
// STATIC:         } else {
// STATIC:           gpu.launch
// STATIC-SAME:        workgroup(%{{.+}} : memref<2x128x40xbf16, #gpu.address_space<workgroup>>, %{{.+}} : memref<2x128x40xbf16, #gpu.address_space<workgroup>>)
// STATIC:             nvgpu.device_async_wait %{{.+}} {numGroups = 0 : i32}
func.func @proj(%x: memref<?x?x64xbf16>, %w: memref<96x64xbf16>, %y: memref<?x?x96xbf16>) {
  rat.matmul ins(%x, %w : memref<?x?x64xbf16>, memref<96x64xbf16>) outs(%y : memref<?x?x96xbf16>)
  return
}

// -----

// K = 1024 (16 steps of 64): when the small tiles give fewer blocks than
// two waves, K is split over grid z (at most 16 / 4 = 4 slices, at least 4
// steps each); each slice stores f32 partial products into a [splits, M, N]
// buffer, and a second kernel sums them (4 columns per thread) into the
// bf16 result. Otherwise the small kernel runs unsplit.
// CHECK-LABEL: func.func @proj_split
// CHECK:         %[[WANT:.+]] = arith.minui %{{.+}}, %c4 : index
// CHECK:         %[[PER:.+]] = arith.ceildivui %c16{{.*}}, %[[WANT]] : index
// CHECK:         %[[SPLITS:.+]] = arith.ceildivui %c16{{.*}}, %[[PER]] : index
// CHECK:         scf.if
// CHECK:           %[[PART:.+]] = memref.alloc(%[[SPLITS]], %{{.+}}) : memref<?x?x2048xf32>
// CHECK:           gpu.launch blocks(%[[Z0:.+]], %{{.+}}, %[[Z:.+]]) in ({{.+}}, %{{.+}} = %[[SPLITS]])
// CHECK:             arith.muli %[[Z]], %[[PER]] : index
// CHECK:             scf.for
// CHECK:               nvvm.mma.sync
// CHECK:             vector.store %{{.+}}, %[[PART]][%[[Z]], %{{.+}}, %{{.+}}] : memref<?x?x2048xf32>, vector<2xf32>
// CHECK:           gpu.launch
// CHECK:             scf.for %{{.+}} = %{{.+}} to %[[SPLITS]]
// CHECK:               vector.load %[[PART]]
// CHECK:             arith.truncf %{{.+}} : vector<4xf32> to vector<4xbf16>
// CHECK:           memref.dealloc %[[PART]]
// CHECK:         } else {
// CHECK:           gpu.launch
// CHECK:             vector.store %{{.+}} : memref<?x2048xbf16>, vector<2xbf16>
func.func @proj_split(%x: memref<?x1024xbf16>, %w: memref<2048x1024xbf16>, %y: memref<?x2048xbf16>) {
  rat.matmul ins(%x, %w : memref<?x1024xbf16>, memref<2048x1024xbf16>) outs(%y : memref<?x2048xbf16>)
  return
}

// -----

// Left for rat-lower-to-loops (rat-select-kernels records no decision): f32
// operands, K not a multiple of the K tile, a strided buffer, a matmul inside
// a parallel loop (a kernel already).
// CHECK-LABEL: func.func @unsupported
// CHECK-NOT:     gpu.launch
// CHECK-COUNT-4: rat.matmul
func.func @unsupported(%a: memref<8x64xf32>, %wa: memref<96x64xf32>, %ya: memref<8x96xf32>,
                       %b: memref<8x48xbf16>, %wb: memref<96x48xbf16>, %yb: memref<8x96xbf16>,
                       %c: memref<8x64xbf16, strided<[128, 1]>>, %wc: memref<96x64xbf16>,
                       %d: memref<4x8x64xbf16>, %yd: memref<4x8x96xbf16>) {
  rat.matmul ins(%a, %wa : memref<8x64xf32>, memref<96x64xf32>) outs(%ya : memref<8x96xf32>)
  rat.matmul ins(%b, %wb : memref<8x48xbf16>, memref<96x48xbf16>) outs(%yb : memref<8x96xbf16>)
  rat.matmul ins(%c, %wc : memref<8x64xbf16, strided<[128, 1]>>, memref<96x64xbf16>) outs(%yb : memref<8x96xbf16>)
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    %di = memref.subview %d[%i, 0, 0] [1, 8, 64] [1, 1, 1] : memref<4x8x64xbf16> to memref<8x64xbf16, strided<[64, 1], offset: ?>>
    %yi = memref.subview %yd[%i, 0, 0] [1, 8, 96] [1, 1, 1] : memref<4x8x96xbf16> to memref<8x96xbf16, strided<[96, 1], offset: ?>>
    rat.matmul ins(%di, %wc : memref<8x64xbf16, strided<[64, 1], offset: ?>>, memref<96x64xbf16>) outs(%yi : memref<8x96xbf16, strided<[96, 1], offset: ?>>)
    scf.reduce
  }
  return
}
