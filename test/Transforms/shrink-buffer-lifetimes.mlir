// RUN: rat-opt %s --rat-shrink-buffer-lifetimes | FileCheck %s

// Deallocs at the end of the block move up to just after the last use of
// the buffer or of a view of it (the use inside the scf.if counts as the
// scf.if); a buffer returned through an alias keeps its place.
// CHECK-LABEL: func.func @lifetimes
// CHECK:         %[[A:.+]] = memref.alloc
// CHECK:         %[[B:.+]] = memref.alloc
// CHECK:         linalg.copy ins(%arg0 : memref<8xf32>) outs(%[[A]] : memref<8xf32>)
// CHECK:         %[[V:.+]] = memref.expand_shape %[[A]]
// CHECK:         scf.if %arg2 {
// CHECK:           memref.load %[[V]]
// CHECK:         }
// CHECK-NEXT:    memref.dealloc %[[A]]
// CHECK:         linalg.copy ins(%arg0 : memref<8xf32>) outs(%[[B]] : memref<8xf32>)
// CHECK-NEXT:    memref.dealloc %[[B]]
// CHECK:         %[[C:.+]] = memref.alloc
// CHECK:         linalg.copy ins(%arg0 : memref<8xf32>) outs(%[[C]] : memref<8xf32>)
// CHECK:         %[[CV:.+]] = memref.cast %[[C]]
// CHECK:         return %[[CV]]
func.func @lifetimes(%arg0: memref<8xf32>, %arg1: memref<8xf32>, %arg2: i1) -> memref<?xf32> {
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  linalg.copy ins(%arg0 : memref<8xf32>) outs(%a : memref<8xf32>)
  %v = memref.expand_shape %a [[0, 1]] output_shape [2, 4] : memref<8xf32> into memref<2x4xf32>
  scf.if %arg2 {
    %c0 = arith.constant 0 : index
    %x = memref.load %v[%c0, %c0] : memref<2x4xf32>
    memref.store %x, %arg1[%c0] : memref<8xf32>
  }
  linalg.copy ins(%arg0 : memref<8xf32>) outs(%b : memref<8xf32>)
  %c = memref.alloc() : memref<8xf32>
  linalg.copy ins(%arg0 : memref<8xf32>) outs(%c : memref<8xf32>)
  %cv = memref.cast %c : memref<8xf32> to memref<?xf32>
  linalg.copy ins(%arg0 : memref<8xf32>) outs(%arg1 : memref<8xf32>)
  memref.dealloc %a : memref<8xf32>
  memref.dealloc %b : memref<8xf32>
  return %cv : memref<?xf32>
}
