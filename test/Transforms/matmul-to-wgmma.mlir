// RUN: rat-opt %s --rat-select-kernels --rat-matmul-to-mma -split-input-file | FileCheck %s

// sm_90a (the default chip): many rows take the warp-specialised wgmma
// kernel, fewer the mma.sync variants, chosen on the host by the block
// count. Host: TMA descriptors of x (64-row boxes) and w (256-row boxes),
// 128-byte swizzle, passed to the kernel as i64. Kernel: 3 warpgroups,
// dynamic shared memory for 4 stages of 48 KiB, full/empty mbarrier rings,
// the producer (setmaxnreg down) issuing TMA loads after waiting on "empty",
// the consumers (setmaxnreg up) waiting on "full", 4 wgmma m64n256k16 per
// 64-wide K step between fence and commit, wait_group 1 before handing the
// previous buffer back, and the f32 staging epilogue behind named barriers.
// CHECK-LABEL: func.func @proj
// CHECK:         scf.if
// CHECK:         } else {
// CHECK:           nvgpu.tma.create.descriptor %{{.+}} box[%c64{{.*}}, %c64{{.*}}] : memref<*xbf16> -> <tensor = memref<64x64xbf16, #gpu.address_space<workgroup>>, swizzle = swizzle_128b
// CHECK:           llvm.ptrtoint
// CHECK:           nvgpu.tma.create.descriptor %{{.+}} box[%c256{{.*}}, %c64{{.*}}] : memref<*xbf16> -> <tensor = memref<256x64xbf16, #gpu.address_space<workgroup>>, swizzle = swizzle_128b
// CHECK:           gpu.launch
// CHECK-SAME:        threads(%{{.+}}, %{{.+}}, %{{.+}}) in (%{{.+}} = %c384
// CHECK-SAME:        dynamic_shared_memory_size %c197632_i32
// CHECK:             llvm.inttoptr
// CHECK:             nvgpu.mbarrier.create -> <memorySpace = #gpu.address_space<workgroup>, num_barriers = 4>
// CHECK:             nvgpu.mbarrier.init
// CHECK:             nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK:             nvvm.setmaxregister  increase 232
// CHECK:             scf.for
// CHECK:               scf.for
// CHECK:                 nvgpu.mbarrier.try_wait.parity
// CHECK:                 nvvm.wgmma.fence.aligned
// CHECK-COUNT-4:         nvvm.wgmma.mma_async {{.+}}, <m = 64, n = 256, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// CHECK:                 nvvm.wgmma.commit.group.sync.aligned
// CHECK:                 nvvm.wgmma.wait.group.sync.aligned 1
// CHECK:                 nvgpu.mbarrier.arrive
// CHECK:               nvvm.wgmma.wait.group.sync.aligned 0
// CHECK:               nvvm.barrier id = %{{.+}} number_of_threads = %{{.+}}
// CHECK:               vector.store %{{.+}} : memref<128x264xf32, #gpu.address_space<workgroup>>, vector<2xf32>
// CHECK:               vector.load %{{.+}} : memref<128x264xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK:               arith.truncf %{{.+}} : vector<8xf32> to vector<8xbf16>
// CHECK:               vector.store %{{.+}} {alignment = 16 : i64} : memref<?x6656xbf16>, vector<8xbf16>
// CHECK:             nvvm.setmaxregister  decrease 40
// CHECK:               nvgpu.mbarrier.try_wait.parity
// CHECK:               nvgpu.mbarrier.arrive.expect_tx %{{.+}}, %c49152
// CHECK-COUNT-3:       nvgpu.tma.async.load
// CHECK-NOT:     rat.matmul
func.func @proj(%x: memref<?x?x2048xbf16>, %w: memref<6656x2048xbf16>, %y: memref<?x?x6656xbf16>) {
  rat.matmul ins(%x, %w : memref<?x?x2048xbf16>, memref<6656x2048xbf16>) outs(%y : memref<?x?x6656xbf16>)
  return
}

// -----

// A persistent variant written in the input: a grid of at most 132 blocks
// loops over the tiles; the producer runs ahead into the next tile, and the
// consumers store straight from the accumulators (no staging, no named
// barrier), after handing the tile's last buffer back.
// CHECK-LABEL: func.func @persistent
// CHECK:         %[[TILES:.+]] = arith.muli %{{.+}}, %c26{{.*}} : index
// CHECK:         %[[GRID:.+]] = arith.minui %[[TILES]], %c132{{.*}} : index
// CHECK:         gpu.launch blocks(%[[B:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %[[GRID]],
// CHECK-SAME:      dynamic_shared_memory_size %c197632_i32
// CHECK:           scf.for %{{.+}} = %[[B]] to %[[TILES]] step %[[GRID]]
// CHECK:             nvvm.wgmma.wait.group.sync.aligned 0
// CHECK-NOT:         nvvm.barrier id
// CHECK:             vector.store %{{.+}} : memref<?x6656xbf16>, vector<2xbf16>
// CHECK:           nvvm.setmaxregister  decrease 40
// CHECK:             scf.for %{{.+}} = %[[B]] to %[[TILES]] step %[[GRID]]
func.func @persistent(%x: memref<?x2048xbf16>, %w: memref<6656x2048xbf16>, %y: memref<?x6656xbf16>) {
  rat.matmul ins(%x, %w : memref<?x2048xbf16>, memref<6656x2048xbf16>) outs(%y : memref<?x6656xbf16>)
      {rat.kernel = #rat.kernel<family = wgmma, tile = [128, 256, 64], warpgroups = 2, stages = 4, group_m = 8, blocks = 132>}
  return
}
