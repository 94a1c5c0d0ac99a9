// RUN: rat-opt %s --rat-select-kernels --rat-matmul-to-mma -split-input-file | FileCheck %s

// Epilogue fusion when bufferization shares the product's buffer with other
// values of a decode step (isUnreadAfter): the buffer is read before the
// matmul (through a view) and overwritten after the consumer, so the
// product the fused kernel never stores is read by nothing.

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// out_proj + residual add, then the next norm writes the shared buffer:
// the add is applied by the kernels (tensor cores and gemv) and its loop
// is gone.
// CHECK-LABEL: func.func @residual_shared
// CHECK-SAME:    (%[[X:[^:]+]]: memref<?x1x2048xbf16>
// CHECK:         linalg.copy
// CHECK:         %[[XR:.+]] = memref.collapse_shape %[[X]]
// CHECK-NOT:     linalg.generic
// CHECK:         gpu.launch
// CHECK:           memref.load %[[XR]]
// The gemv variant (M = 1), last: the sums, then the residual.
// CHECK:         gpu.launch
// CHECK:           gpu.shuffle  xor
// CHECK:           memref.load %[[XR]]
// CHECK-NOT:     linalg.generic
// CHECK:         rat.rms_norm
// CHECK-NOT:     linalg.generic
func.func @residual_shared(%x: memref<?x1x2048xbf16>, %h: memref<?x1x2048xbf16>, %w: memref<2048x2048xbf16>, %g: memref<2048xbf16>, %sink: memref<?x2048xbf16>, %y: memref<?x1x2048xbf16>) {
  %c0 = arith.constant 0 : index
  %d = memref.dim %x, %c0 : memref<?x1x2048xbf16>
  %p = memref.alloc(%d) : memref<?x1x2048xbf16>
  %v = memref.collapse_shape %p [[0], [1, 2]] : memref<?x1x2048xbf16> into memref<?x2048xbf16>
  linalg.copy ins(%v : memref<?x2048xbf16>) outs(%sink : memref<?x2048xbf16>)
  rat.matmul ins(%h, %w : memref<?x1x2048xbf16>, memref<2048x2048xbf16>) outs(%p : memref<?x1x2048xbf16>)
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %p : memref<?x1x2048xbf16>, memref<?x1x2048xbf16>) outs(%y : memref<?x1x2048xbf16>) {
  ^bb0(%a: bf16, %b: bf16, %o: bf16):
    %s = arith.addf %a, %b : bf16
    linalg.yield %s : bf16
  }
  rat.rms_norm epsilon = 1.0e-06 ins(%y, %g : memref<?x1x2048xbf16>, memref<2048xbf16>) outs(%p : memref<?x1x2048xbf16>)
  linalg.copy ins(%v : memref<?x2048xbf16>) outs(%sink : memref<?x2048xbf16>)
  memref.dealloc %p : memref<?x1x2048xbf16>
  return
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// Not fused: the first op after the consumer that touches the shared
// buffer reads it through a view.
// CHECK-LABEL: func.func @read_through_view
// CHECK:         gpu.launch
// CHECK:         linalg.generic
// CHECK:         linalg.copy
func.func @read_through_view(%x: memref<?x1x2048xbf16>, %h: memref<?x1x2048xbf16>, %w: memref<2048x2048xbf16>, %sink: memref<?x2048xbf16>, %y: memref<?x1x2048xbf16>) {
  %c0 = arith.constant 0 : index
  %d = memref.dim %x, %c0 : memref<?x1x2048xbf16>
  %p = memref.alloc(%d) : memref<?x1x2048xbf16>
  %v = memref.collapse_shape %p [[0], [1, 2]] : memref<?x1x2048xbf16> into memref<?x2048xbf16>
  rat.matmul ins(%h, %w : memref<?x1x2048xbf16>, memref<2048x2048xbf16>) outs(%p : memref<?x1x2048xbf16>)
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %p : memref<?x1x2048xbf16>, memref<?x1x2048xbf16>) outs(%y : memref<?x1x2048xbf16>) {
  ^bb0(%a: bf16, %b: bf16, %o: bf16):
    %s = arith.addf %a, %b : bf16
    linalg.yield %s : bf16
  }
  linalg.copy ins(%v : memref<?x2048xbf16>) outs(%sink : memref<?x2048xbf16>)
  memref.dealloc %p : memref<?x1x2048xbf16>
  return
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// Not fused: the buffer comes from outside the loop, whose next iteration
// reads it (the copy) before anything in the body writes it.
// CHECK-LABEL: func.func @loop_carried
// CHECK:         scf.for
// CHECK:           linalg.copy
// CHECK:           gpu.launch
// CHECK:           linalg.generic
func.func @loop_carried(%x: memref<?x1x2048xbf16>, %h: memref<?x1x2048xbf16>, %w: memref<2048x2048xbf16>, %sink: memref<?x2048xbf16>, %y: memref<?x1x2048xbf16>, %steps: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d = memref.dim %x, %c0 : memref<?x1x2048xbf16>
  %p = memref.alloc(%d) : memref<?x1x2048xbf16>
  %v = memref.collapse_shape %p [[0], [1, 2]] : memref<?x1x2048xbf16> into memref<?x2048xbf16>
  scf.for %i = %c0 to %steps step %c1 {
    linalg.copy ins(%v : memref<?x2048xbf16>) outs(%sink : memref<?x2048xbf16>)
    rat.matmul ins(%h, %w : memref<?x1x2048xbf16>, memref<2048x2048xbf16>) outs(%p : memref<?x1x2048xbf16>)
    linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
        ins(%x, %p : memref<?x1x2048xbf16>, memref<?x1x2048xbf16>) outs(%y : memref<?x1x2048xbf16>) {
    ^bb0(%a: bf16, %b: bf16, %o: bf16):
      %s = arith.addf %a, %b : bf16
      linalg.yield %s : bf16
    }
  }
  memref.dealloc %p : memref<?x1x2048xbf16>
  return
}
