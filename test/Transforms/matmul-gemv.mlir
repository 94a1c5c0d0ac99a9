// RUN: rat-opt %s --rat-select-kernels --rat-matmul-to-mma -cse -canonicalize -split-input-file | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>

// A decode-step projection with its residual add: M = 1 takes the gemv
// kernel (the variant first in the list, chosen when M <= 1), larger M the
// tiled mma.sync one. The gemv kernel: a block of 8 warps per 4 rows of w
// (2048 / 4 = 512 blocks), each thread one 16-byte chunk of each w row and
// of x (K = 2048 = 8 x 256 threads, no loop), loads first; the warp sums by
// butterfly shuffles, the block's through shared memory ([warps, outputs]);
// thread t < 4 finishes output n0 + t of row t / 4 < M with the fused
// residual add (product rounded to bf16, as the unfused program stores it).
// CHECK-LABEL: func.func @residual
// CHECK-SAME:    (%[[X:.+]]: memref<?x2048xbf16>, %[[H:.+]]: memref<?x2048xbf16>, %[[W:.+]]: memref<2048x2048xbf16>, %[[Y:.+]]: memref<?x2048xbf16>)
// CHECK-NOT:     linalg.generic
// CHECK:         %[[M:.+]] = memref.dim %[[H]], %c0
// CHECK:         scf.if
// CHECK:           %[[MORE:.+]] = arith.cmpi ugt, %[[M]], %c1 : index
// CHECK:           scf.if %[[MORE]] {
// CHECK:             gpu.launch
// CHECK:               nvvm.mma.sync
// CHECK:           } else {
// CHECK:             gpu.launch blocks(%[[B:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c512, %{{.+}} = %c1, %{{.+}} = %c1) threads(%[[T:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c256, %{{.+}} = %c1, %{{.+}} = %c1) workgroup(%[[P:.+]] : memref<8x4xf32, #gpu.address_space<workgroup>>)
// CHECK:               %[[LANE:.+]] = arith.remui %[[T]], %c32
// CHECK:               %[[WARP:.+]] = arith.divui %[[T]], %c32
// CHECK:               %[[N0:.+]] = arith.muli %[[B]], %c4
// CHECK:               %[[N1:.+]] = arith.addi %[[N0]], %c1
// CHECK:               %[[N2:.+]] = arith.addi %[[N0]], %c2
// CHECK:               %[[N3:.+]] = arith.addi %[[N0]], %c3
// CHECK:               %[[COL:.+]] = arith.muli %[[T]], %c8
// CHECK-NEXT:          vector.load %[[W]][%[[N0]], %[[COL]]] {alignment = 16 : i64} : memref<2048x2048xbf16>, vector<8xbf16>
// CHECK-NEXT:          vector.load %[[W]][%[[N1]], %[[COL]]] {alignment = 16 : i64}
// CHECK-NEXT:          vector.load %[[W]][%[[N2]], %[[COL]]] {alignment = 16 : i64}
// CHECK-NEXT:          vector.load %[[W]][%[[N3]], %[[COL]]] {alignment = 16 : i64}
// CHECK-NEXT:          vector.load %[[H]][%c0, %[[COL]]] {alignment = 16 : i64} : memref<?x2048xbf16>, vector<8xbf16>
// CHECK-NOT:           scf.for
// CHECK-COUNT-32:      arith.addf {{.+}} fastmath<contract> : f32
// CHECK-COUNT-20:      gpu.shuffle  xor
// CHECK:               %[[LANE0:.+]] = arith.cmpi ult, %[[LANE]], %c1
// CHECK:               scf.if %[[LANE0]] {
// CHECK-COUNT-4:         memref.store %{{.+}}, %[[P]][%[[WARP]], %{{.+}}]
// CHECK:               }
// CHECK-NEXT:          gpu.barrier
// CHECK-NEXT:          %[[ROW:.+]] = arith.divui %[[T]], %c4
// CHECK-NEXT:          %[[R:.+]] = arith.remui %[[T]], %c4
// CHECK-NEXT:          %[[N:.+]] = arith.addi %[[N0]], %[[R]]
// CHECK-NEXT:          %[[OUT:.+]] = arith.cmpi ult, %[[T]], %c4
// CHECK-NEXT:          %[[INM:.+]] = arith.cmpi ult, %[[ROW]], %[[M]]
// CHECK-NEXT:          %[[FIN:.+]] = arith.andi %[[OUT]], %[[INM]]
// CHECK-NEXT:          scf.if %[[FIN]] {
// CHECK-COUNT-8:         memref.load %[[P]][%{{.+}}, %[[T]]]
// CHECK:                 %[[RES:.+]] = memref.load %[[X]][%[[ROW]], %[[N]]]
// CHECK-NEXT:            %[[PROD:.+]] = arith.truncf %{{.+}} : f32 to bf16
// CHECK-NEXT:            arith.extf %[[RES]]
// CHECK-NEXT:            arith.extf %[[PROD]]
// CHECK-NEXT:            arith.addf
// CHECK-NEXT:            %[[SUM:.+]] = arith.truncf
// CHECK-NEXT:            memref.store %[[SUM]], %[[Y]][%[[ROW]], %[[N]]] : memref<?x2048xbf16>
// CHECK-NOT:     linalg.generic
func.func @residual(%x: memref<?x2048xbf16>, %h: memref<?x2048xbf16>, %w: memref<2048x2048xbf16>, %y: memref<?x2048xbf16>) {
  rat.matmul ins(%h, %w : memref<?x2048xbf16>, memref<2048x2048xbf16>) outs(%y : memref<?x2048xbf16>)
    {rat.kernel = [#rat.kernel<family = gemv, tile = [1, 4], warps = [8]>, #rat.kernel<family = mma_sync, tile = [64, 64, 64], warps = [2, 2], stages = 3>]}
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : memref<?x2048xbf16>, memref<?x2048xbf16>) outs(%y : memref<?x2048xbf16>) {
  ^bb0(%a: bf16, %b: bf16, %o: bf16):
    %ae = arith.extf %a : bf16 to f32
    %be = arith.extf %b : bf16 to f32
    %s = arith.addf %ae, %be : f32
    %t = arith.truncf %s : f32 to bf16
    linalg.yield %t : bf16
  }
  return
}

// -----

// gemv for M <= 1, a gemv variant built for 8 rows (2 w rows per block, x
// rows past M read as row M - 1) for M <= 8 (written in the input: the
// default decision has only the one-row variant), then a tiled kernel.
// K = 8192: 4 chunks per thread, 2 per step for the 8-row kernel (20 loads
// in flight), all 4 at once for M = 1.
// CHECK-LABEL: func.func @fc2
// CHECK-SAME:    (%[[X:.+]]: memref<?x8192xbf16>, %[[W:.+]]: memref<2048x8192xbf16>
// CHECK:         %[[M:.+]] = memref.dim %[[X]], %c0
// CHECK:         arith.cmpi ugt, %[[M]], %c1 : index
// CHECK:         arith.cmpi ugt, %[[M]], %c8 : index
// CHECK:         nvvm.mma.sync
// The 8-row kernel.
// CHECK:         gpu.launch {{.+}} in (%{{.+}} = %c1024, %{{.+}} = %c1, %{{.+}} = %c1) threads({{.+}} = %c256, {{.+}} workgroup(%{{.+}} : memref<8x16xf32, #gpu.address_space<workgroup>>)
// CHECK:           %[[LAST:.+]] = arith.subi %[[M]], %c1
// CHECK-NEXT:      arith.minui %[[LAST]], %c1
// CHECK-COUNT-6:   arith.minui %[[LAST]], %c{{[2-7]}}
// CHECK:           scf.for %{{.+}} = %c0 to %c2 step %c1
// CHECK-COUNT-20:    vector.load {{.+}} {alignment = 16 : i64}
// CHECK-NOT:         vector.load
// CHECK:             scf.yield
// CHECK:         } else {
// The 1-row kernel.
// CHECK:         gpu.launch {{.+}} in (%{{.+}} = %c512, %{{.+}} = %c1, %{{.+}} = %c1) threads({{.+}} = %c256, {{.+}} workgroup(%{{.+}} : memref<8x4xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT:       scf.for
// CHECK-COUNT-20:  vector.load {{.+}} {alignment = 16 : i64}
// CHECK-NOT:       vector.load
// CHECK:           gpu.terminator
func.func @fc2(%x: memref<?x8192xbf16>, %w: memref<2048x8192xbf16>, %y: memref<?x2048xbf16>) {
  rat.matmul ins(%x, %w : memref<?x8192xbf16>, memref<2048x8192xbf16>) outs(%y : memref<?x2048xbf16>)
    {rat.kernel = [#rat.kernel<family = gemv, tile = [1, 4], warps = [8]>, #rat.kernel<family = gemv, tile = [8, 2], warps = [8]>, #rat.kernel<family = mma_sync, tile = [64, 64, 64], warps = [2, 2], stages = 3>]}
  return
}

// -----

// K = 72 (9 chunks): one warp, chunks past the 9th read chunk 0 and count
// as zeros; an f32 result is stored unrounded.
// CHECK-LABEL: func.func @ragged
// CHECK:         gpu.launch {{.+}} in (%{{.+}} = %c4, %{{.+}} = %c1, %{{.+}} = %c1) threads(%[[T:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %c32, {{.+}} workgroup(%{{.+}} : memref<1x4xf32, #gpu.address_space<workgroup>>)
// CHECK:           %[[VALID:.+]] = arith.cmpi ult, %[[T]], %c9 : index
// CHECK:           %[[CHUNK:.+]] = arith.select %[[VALID]], %[[T]], %c0 : index
// CHECK:           %[[COL:.+]] = arith.muli %[[CHUNK]], %c8
// CHECK-COUNT-5:   vector.load %{{.+}}[%{{.+}}, %[[COL]]]
// CHECK-COUNT-4:   arith.select %[[VALID]], %{{.+}}, %cst{{.*}} : vector<8xbf16>
// CHECK:           memref.store %{{.+}}, %{{.+}}[%{{.+}}, %{{.+}}] : memref<?x16xf32>
func.func @ragged(%x: memref<?x72xbf16>, %w: memref<16x72xbf16>, %y: memref<?x16xf32>) {
  rat.matmul ins(%x, %w : memref<?x72xbf16>, memref<16x72xbf16>) outs(%y : memref<?x16xf32>)
  return
}
