// RUN: rat-opt %s --rat-select-kernels --rat-step-ops-to-gpu -split-input-file | FileCheck %s

// Decode attention step: a block of 4 warps per (head, batch); cache row c
// written first, states j = warp (mod 4) with vector rows per lane, warp
// sums by shuffles, warp 0 adds the own state, partials merged in shared
// memory.
// CHECK-LABEL: func.func @step
// CHECK-NOT:     arith.divui
// CHECK:         gpu.launch
// CHECK-SAME:      workgroup(%{{.+}} : memref<4x130xf32, #gpu.address_space<workgroup>>)
// CHECK:           arith.divui %{{.+}}, %c16
// CHECK:           scf.for
// CHECK:             memref.store
// CHECK:           scf.for %{{.+}} = %{{.+}} to %{{.+}} step %c4
// CHECK:             vector.load %{{.+}} : memref<?x16x256x128xbf16>, vector<4xbf16>
// CHECK:             gpu.shuffle  xor
// CHECK:             math.exp2
// CHECK:           gpu.barrier
// CHECK:           vector.store %{{.+}} : memref<?x16x128xbf16>, vector<4xbf16>
// CHECK-NOT:     rat.chunk_attention_step
func.func @step(%q: memref<?x2x128xbf16>, %k: memref<?x16x128xbf16>, %v: memref<?x16x128xbf16>, %pos: index,
                %o: memref<?x16x128xbf16>, %kc: memref<?x16x256x128xbf16>, %vc: memref<?x16x256x128xbf16>) {
  rat.chunk_attention_step chunk_size = 16 ins(%q, %k, %v : memref<?x2x128xbf16>, memref<?x16x128xbf16>, memref<?x16x128xbf16>) position(%pos) outs(%o, %kc, %vc : memref<?x16x128xbf16>, memref<?x16x256x128xbf16>, memref<?x16x256x128xbf16>)
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

// Window step (ring cache): the position arithmetic (ring row p mod R, the
// window start max(0, p - W)) happens in the kernel, so the launch takes the
// position itself (a replayed CUDA graph patches it).
// CHECK-LABEL: func.func @window_step
// CHECK-NOT:     arith.remui
// CHECK:         gpu.launch
// CHECK:           arith.remui %{{.+}}, %{{.+}} : index
// CHECK:           arith.select
// CHECK:           scf.for
// CHECK:           scf.for
// CHECK:             arith.remui
// CHECK:             vector.load %{{.+}} : memref<?x16x1025x128xbf16>, vector<4xbf16>
// CHECK-NOT:     rat.window_attention_step
func.func @window_step(%q: memref<?x16x128xbf16>, %k: memref<?x16x128xbf16>, %v: memref<?x16x128xbf16>, %pos: index,
                       %o: memref<?x16x128xbf16>, %kc: memref<?x16x1025x128xbf16>, %vc: memref<?x16x1025x128xbf16>) {
  rat.window_attention_step window = 1024 ins(%q, %k, %v : memref<?x16x128xbf16>, memref<?x16x128xbf16>, memref<?x16x128xbf16>) position(%pos) outs(%o, %kc, %vc : memref<?x16x128xbf16>, memref<?x16x1025x128xbf16>, memref<?x16x1025x128xbf16>)
  return
}
