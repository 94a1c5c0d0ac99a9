// RUN: rat-opt %s --rat-select-kernels --rat-chunk-attention-to-mma -split-input-file | FileCheck %s
// RUN: rat-opt %s --rat-select-kernels --rat-chunk-attention-to-mma -split-input-file --mlir-print-ir-after=rat-select-kernels 2>&1 >/dev/null | FileCheck %s --check-prefix=SELECT
// RUN: rat-opt %s --rat-select-kernels=chip=sm_90 --rat-chunk-attention-to-mma -split-input-file | FileCheck %s --check-prefix=SM90

// sm_90a (the default chip): the chunk attention with head size 128 takes
// the wgmma kernel: 128 queries per block (2 consumer warpgroups), 128
// states per step, 2 stages. Host: a 4-D tensor map of q (box 128 rows x 64
// columns) and 5-D ones of the [B, H, T / L, L, D] views of k and v (box
// 128 chunks x 1 row x 64 columns: the chunk-final rows), 128-byte swizzle.
// Kernel: 3 warpgroups, 160 KiB + 1 KiB of dynamic shared memory, the
// producer issuing the Q loads once and per step the keys and the values,
// each after waiting on its own "empty" mbarrier and completing on its own
// "full" one (at row L - 1 = 15 of each chunk); the consumers take turns
// (named barriers) to issue, per step, 8 wgmma m64n128k16 for S from shared
// memory (K-major) and 8 wgmma m64n128k16 for the last step's P V (P in
// registers, V transposed, inline PTX), then wait for S alone and run the
// mask (only in steps that need it) and the softmax while P V runs; the
// keys are handed back after S, the values after P V; the own-token term
// from q (shared) and k, v (global); O / l staged as pairs in the
// warpgroup's rows of the Q tile, then stored as 16-byte vectors along
// whole rows.
// SELECT: rat.chunk_attention {{.+}} {rat.kernel = #rat.kernel<family = attention_mma, tile = [128, 128], warpgroups = 2, stages = 2>}
// CHECK-LABEL: func.func @attention
// CHECK:         nvgpu.tma.create.descriptor %{{.+}} box[%{{.+}}, %{{.+}}, %c128{{.*}}, %c64{{.*}}] : memref<*xbf16> -> <tensor = memref<1x1x128x64xbf16, #gpu.address_space<workgroup>>, swizzle = swizzle_128b
// CHECK:         memref.reinterpret_cast %{{.+}} to offset: [%{{.+}}], sizes: [%{{.+}}, %{{.+}}, %{{.+}}, 16, 128], strides: [%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, 1]
// CHECK:         nvgpu.tma.create.descriptor %{{.+}} box[%{{.+}}, %{{.+}}, %c128{{.*}}, %{{.+}}, %c64{{.*}}] : memref<*xbf16> -> <tensor = memref<1x1x128x1x64xbf16, #gpu.address_space<workgroup>>, swizzle = swizzle_128b
// CHECK:         memref.reinterpret_cast
// CHECK:         nvgpu.tma.create.descriptor
// CHECK:         gpu.launch
// CHECK-SAME:      threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c384
// CHECK-SAME:      dynamic_shared_memory_size %c164864_i32
// CHECK:           nvgpu.mbarrier.create -> <memorySpace = #gpu.address_space<workgroup>>
// CHECK-COUNT-4:   nvgpu.mbarrier.create -> <memorySpace = #gpu.address_space<workgroup>, num_barriers = 2>
// CHECK:           nvvm.fence.proxy
// CHECK:           nvvm.setmaxregister  increase 240
// CHECK:           nvgpu.mbarrier.try_wait.parity
// The first step: the second warpgroup lets the first go first; S alone.
// CHECK:           scf.if
// CHECK:             scf.if
// CHECK:               nvvm.barrier.arrive id = %{{.+}} number_of_threads = %c256_i32
// CHECK:             nvgpu.mbarrier.try_wait.parity
// CHECK:             nvvm.barrier id = %{{.+}} number_of_threads = %c256_i32
// CHECK:             nvvm.wgmma.fence.aligned
// CHECK-COUNT-8:     nvvm.wgmma.mma_async {{.+}}, <m = 64, n = 128, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// CHECK:             nvvm.wgmma.commit.group.sync.aligned
// CHECK:             nvvm.barrier.arrive
// CHECK:             nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:             nvgpu.mbarrier.arrive
// CHECK:             scf.if
// CHECK:               arith.select
// CHECK:             gpu.shuffle  xor
// CHECK:             math.exp2
// Steps 1 ..: on its turn, S of this step and P V of the last one in
// flight; the softmax between waiting for S and for P V; then O rescaled.
// CHECK:           scf.for
// CHECK:             nvgpu.mbarrier.try_wait.parity
// CHECK:             nvvm.barrier id
// CHECK:             nvvm.wgmma.fence.aligned
// CHECK-COUNT-8:     nvvm.wgmma.mma_async {{.+}}, <m = 64, n = 128, k = 16>
// CHECK:             nvvm.wgmma.commit.group.sync.aligned
// CHECK:             nvgpu.mbarrier.try_wait.parity
// CHECK:             nvvm.wgmma.fence.aligned
// CHECK-COUNT-8:     llvm.inline_asm has_side_effects asm_dialect = att "{{.+}}wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16 {{.+}}}, {$128, $129, $130, $131}, $132, p, 1, 1, 1;
// CHECK:             nvvm.wgmma.commit.group.sync.aligned
// CHECK:             nvvm.barrier.arrive
// CHECK:             nvvm.wgmma.wait.group.sync.aligned 1
// CHECK:             nvgpu.mbarrier.arrive
// CHECK:             scf.if
// CHECK:               arith.select
// CHECK:             gpu.shuffle  xor
// CHECK:             math.exp2
// CHECK:             nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:             nvgpu.mbarrier.arrive
// CHECK:             arith.mulf
// The last step's P V; the first warpgroup takes the second's last turn.
// CHECK:           scf.if
// CHECK:             nvgpu.mbarrier.try_wait.parity
// CHECK-COUNT-8:     llvm.inline_asm
// CHECK:             nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:             nvgpu.mbarrier.arrive
// CHECK:             scf.if
// CHECK:               nvvm.barrier id = %c1_i32{{.*}} number_of_threads = %c256_i32
// CHECK:           vector.load %{{.+}} {alignment = 16 : i64} : memref<16384xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// CHECK:           vector.load %{{.+}} : memref<?x16x?x128xbf16>, vector<8xbf16>
// CHECK:           nvvm.bar.warp.sync
// CHECK:           vector.load %{{.+}} : memref<?x16x?x128xbf16>, vector<2xbf16>
// CHECK:           vector.store %{{.+}} : memref<16384xbf16, #gpu.address_space<workgroup>>, vector<2xbf16>
// CHECK:           nvvm.bar.warp.sync
// CHECK-COUNT-8:   vector.store %{{.+}} {alignment = 16 : i64} : memref<?x16x?x128xbf16>, vector<8xbf16>
// CHECK:         } else {
// CHECK:           nvvm.setmaxregister  decrease 24
// CHECK:           nvgpu.mbarrier.arrive.expect_tx %{{.+}}, %c32768
// CHECK-COUNT-2:   nvgpu.tma.async.load
// CHECK:           scf.for
// CHECK:             nvgpu.mbarrier.try_wait.parity
// CHECK:             nvgpu.mbarrier.arrive.expect_tx
// CHECK:             nvgpu.tma.async.load %{{.+}}[%{{.+}}, %c15{{.*}}, %{{.+}}, %{{.+}}, %{{.+}}]
// CHECK:             nvgpu.tma.async.load
// CHECK:             nvgpu.mbarrier.try_wait.parity
// CHECK:             nvgpu.mbarrier.arrive.expect_tx
// CHECK-COUNT-2:     nvgpu.tma.async.load
// CHECK-NOT:     rat.chunk_attention
// SM90-LABEL: func.func @attention
// SM90-NOT:     wgmma
// SM90:         nvvm.mma.sync
func.func @attention(%q: memref<?x2x?x128xbf16>, %k: memref<?x16x?x128xbf16>, %v: memref<?x16x?x128xbf16>, %o: memref<?x16x?x128xbf16>) {
  rat.chunk_attention chunk_size = 16 ins(%q, %k, %v : memref<?x2x?x128xbf16>, memref<?x16x?x128xbf16>, memref<?x16x?x128xbf16>) outs(%o : memref<?x16x?x128xbf16>)
  return
}

// -----

// Head size 64, f16, a strided value view (the value heads read in place):
// m64n64 products of 4 k-slices for S; the 5-D map of v is a view of the
// transposed buffer's strides. Head size 32 (and window attention) keep the
// mma.sync kernel.
// SELECT: rat.chunk_attention {{.+}} {rat.kernel = #rat.kernel<family = attention_mma, tile = [128, 128], warpgroups = 2, stages = 2>}
// SELECT: rat.chunk_attention {{.+}} {rat.kernel = #rat.kernel<family = attention_mma>}
// SELECT: rat.window_attention {{.+}} {rat.kernel = #rat.kernel<family = attention_mma>}
// CHECK-LABEL: func.func @head64
// CHECK:         memref.transpose
// CHECK:         memref.reinterpret_cast %{{.+}} to offset: [%{{.+}}], sizes: [%{{.+}}, %{{.+}}, %{{.+}}, 8, 64], strides: [%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, 1] : memref<f16> to memref<?x?x?x8x64xf16
// CHECK:         gpu.launch
// CHECK-SAME:      dynamic_shared_memory_size %c82944_i32
// CHECK-COUNT-4:     nvvm.wgmma.mma_async {{.+}}, <m = 64, n = 128, k = 16>, D[<f32>, <one>], A[<f16>, <one>, <row>], B[<f16>, <one>, <col>]
// CHECK-COUNT-8:     llvm.inline_asm {{.+}}wgmma.mma_async.sync.aligned.m64n64k16.f32.f16.f16
// CHECK:         gpu.launch
// CHECK-NOT:       wgmma
// CHECK:           nvvm.mma.sync
// CHECK:         gpu.launch
// CHECK-NOT:       wgmma
// CHECK:           nvvm.mma.sync
func.func @head64(%q: memref<?x4x?x64xf16>, %k: memref<?x4x?x64xf16>, %vs: memref<?x?x4x64xf16>, %o: memref<?x4x?x64xf16>,
                  %q2: memref<?x4x?x32xf16>, %o2: memref<?x4x?x32xf16>, %o3: memref<?x4x?x64xf16>) {
  %v = memref.transpose %vs (d0, d1, d2, d3) -> (d0, d2, d1, d3) : memref<?x?x4x64xf16> to memref<?x4x?x64xf16, strided<[?, 64, 256, 1]>>
  rat.chunk_attention chunk_size = 8 ins(%q, %k, %v : memref<?x4x?x64xf16>, memref<?x4x?x64xf16>, memref<?x4x?x64xf16, strided<[?, 64, 256, 1]>>) outs(%o : memref<?x4x?x64xf16>)
  rat.chunk_attention chunk_size = 8 ins(%q2, %q2, %q2 : memref<?x4x?x32xf16>, memref<?x4x?x32xf16>, memref<?x4x?x32xf16>) outs(%o2 : memref<?x4x?x32xf16>)
  rat.window_attention window = 16 ins(%q, %k, %k : memref<?x4x?x64xf16>, memref<?x4x?x64xf16>, memref<?x4x?x64xf16>) outs(%o3 : memref<?x4x?x64xf16>)
  return
}

// -----

// The layer's output gate with the head merge after the attention,
// sigmoid(z) * o into [B, T, H, Dv], is the wgmma kernel's epilogue
// (findAttentionConsumer): the kernel goes where the generic was, the
// attention output buffer is gone, and each thread stores 8 elements of a
// row: o from the staged tile (16 bytes of shared memory), z as a 16-byte
// vector when the host's check of its strides allows (8 scalar loads and
// stores otherwise), the gate's body, one 16-byte store; the loads of a
// warp's 16 rows come before its stores.
// CHECK-LABEL: func.func @gated
// CHECK-NOT:     memref.alloc{{.+}}memref<?x16x?x128xbf16>
// CHECK:         %[[G:.+]] = memref.alloc({{.+}}) : memref<?x?x16x128xbf16>
// CHECK-NOT:     linalg.generic
// CHECK:         memref.extract_aligned_pointer_as_index %{{.+}} : memref<?x?x16x128xbf16, strided<[?, 6656, 128, 1]>>
// CHECK:         gpu.launch
// CHECK:           nvvm.bar.warp.sync
// CHECK-COUNT-32:  vector.store %{{.+}} {alignment = 4 : i64} : memref<16384xbf16, #gpu.address_space<workgroup>>, vector<2xbf16>
// CHECK:           nvvm.bar.warp.sync
// CHECK:           scf.if
// CHECK-COUNT-8:     vector.load %{{.+}} {alignment = 16 : i64} : memref<?x?x16x128xbf16, strided<[?, 6656, 128, 1]>>, vector<8xbf16>
// CHECK:             scf.if
// CHECK-COUNT-8:       math.exp
// CHECK:               vector.store %{{.+}}, %[[G]][{{.+}}] {alignment = 16 : i64} : memref<?x?x16x128xbf16>, vector<8xbf16>
// CHECK:           } else {
// CHECK-COUNT-64:    memref.load %{{.+}} : memref<?x?x16x128xbf16, strided<[?, 6656, 128, 1]>>
// CHECK:             scf.if
// CHECK-COUNT-8:       memref.store %{{.+}}, %[[G]]
// CHECK-NOT:     linalg.generic
// CHECK:         return %[[G]]
func.func @gated(%q: memref<?x2x?x128xbf16>, %k: memref<?x16x?x128xbf16>, %v: memref<?x16x?x128xbf16>, %z: memref<?x?x16x128xbf16, strided<[?, 6656, 128, 1]>>) -> memref<?x?x16x128xbf16> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %one = arith.constant 1.0 : f32
  %b = memref.dim %q, %c0 : memref<?x2x?x128xbf16>
  %t = memref.dim %q, %c2 : memref<?x2x?x128xbf16>
  %o = memref.alloc(%b, %t) : memref<?x16x?x128xbf16>
  rat.chunk_attention chunk_size = 16 ins(%q, %k, %v : memref<?x2x?x128xbf16>, memref<?x16x?x128xbf16>, memref<?x16x?x128xbf16>) outs(%o : memref<?x16x?x128xbf16>)
  %g = memref.alloc(%b, %t) : memref<?x?x16x128xbf16>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%z, %o : memref<?x?x16x128xbf16, strided<[?, 6656, 128, 1]>>, memref<?x16x?x128xbf16>) outs(%g : memref<?x?x16x128xbf16>) {
  ^bb0(%zi: bf16, %oi: bf16, %out: bf16):
    %0 = arith.extf %zi : bf16 to f32
    %1 = arith.negf %0 : f32
    %2 = math.exp %1 : f32
    %3 = arith.addf %2, %one : f32
    %4 = arith.divf %one, %3 : f32
    %5 = arith.extf %oi : bf16 to f32
    %6 = arith.mulf %4, %5 : f32
    %7 = arith.truncf %6 : f32 to bf16
    linalg.yield %7 : bf16
  }
  memref.dealloc %o : memref<?x16x?x128xbf16>
  return %g : memref<?x?x16x128xbf16>
}

// -----

// Not fused: the attention output is also returned (read after the
// consumer), so the kernel stores it (16-byte vectors of the staged tile)
// and the generic stays.
// CHECK-LABEL: func.func @observed
// CHECK:         gpu.launch
// CHECK:           vector.load %{{.+}} {alignment = 16 : i64} : memref<16384xbf16, #gpu.address_space<workgroup>>, vector<8xbf16>
// CHECK:           vector.store %{{.+}} {alignment = 16 : i64} : memref<?x16x?x128xbf16>, vector<8xbf16>
// CHECK-NOT:       math.exp
// CHECK:         linalg.generic
// CHECK:           math.exp
func.func @observed(%q: memref<?x2x?x128xbf16>, %k: memref<?x16x?x128xbf16>, %v: memref<?x16x?x128xbf16>, %z: memref<?x?x16x128xbf16>) -> (memref<?x?x16x128xbf16>, memref<?x16x?x128xbf16>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %b = memref.dim %q, %c0 : memref<?x2x?x128xbf16>
  %t = memref.dim %q, %c2 : memref<?x2x?x128xbf16>
  %o = memref.alloc(%b, %t) : memref<?x16x?x128xbf16>
  rat.chunk_attention chunk_size = 16 ins(%q, %k, %v : memref<?x2x?x128xbf16>, memref<?x16x?x128xbf16>, memref<?x16x?x128xbf16>) outs(%o : memref<?x16x?x128xbf16>)
  %g = memref.alloc(%b, %t) : memref<?x?x16x128xbf16>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d2, d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%z, %o : memref<?x?x16x128xbf16>, memref<?x16x?x128xbf16>) outs(%g : memref<?x?x16x128xbf16>) {
  ^bb0(%zi: bf16, %oi: bf16, %out: bf16):
    %0 = arith.extf %zi : bf16 to f32
    %1 = math.exp %0 : f32
    %5 = arith.extf %oi : bf16 to f32
    %6 = arith.mulf %1, %5 : f32
    %7 = arith.truncf %6 : f32 to bf16
    linalg.yield %7 : bf16
  }
  return %g, %o : memref<?x?x16x128xbf16>, memref<?x16x?x128xbf16>
}
