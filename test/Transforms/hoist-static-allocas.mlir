// RUN: rat-opt %s --rat-hoist-static-allocas | FileCheck %s

// A scratch buffer allocated in a loop moves to the function entry; the
// emptied alloca scope is inlined. A scope that still holds a dynamically
// sized buffer becomes a stack save/restore around its body.
// CHECK-LABEL: func.func @hoist
// CHECK-NEXT:    %[[ACC:.+]] = memref.alloca() : memref<128xf32>
// CHECK:         scf.for
// CHECK-NOT:       memref.alloca_scope
// CHECK:           memref.store %{{.+}}, %[[ACC]]
// CHECK:           %[[SP:.+]] = llvm.intr.stacksave : !llvm.ptr
// CHECK:           %[[DYN:.+]] = memref.alloca(%{{.+}}) : memref<?xf32>
// CHECK:           memref.store %{{.+}}, %[[DYN]]
// CHECK:           llvm.intr.stackrestore %[[SP]] : !llvm.ptr
func.func @hoist(%out: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 0.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    memref.alloca_scope {
      %acc = memref.alloca() : memref<128xf32>
      memref.store %f, %acc[%c0] : memref<128xf32>
      %v = memref.load %acc[%c0] : memref<128xf32>
      memref.store %v, %out[%i] : memref<?xf32>
    }
    memref.alloca_scope {
      %buf = memref.alloca(%i) : memref<?xf32>
      memref.store %f, %buf[%c0] : memref<?xf32>
    }
  }
  return
}
