// RUN: rat-opt %s -rat-expose-entry-points | FileCheck %s

// Public definitions get a C interface; private functions and external
// declarations do not.

// CHECK-LABEL: func.func @forward(
// CHECK-SAME:    attributes {llvm.emit_c_interface}
func.func @forward(%x: memref<2x8xf32>) -> memref<2x8xf32> {
  %y = call @helper(%x) : (memref<2x8xf32>) -> memref<2x8xf32>
  return %y : memref<2x8xf32>
}

// CHECK-LABEL: func.func @decode_step(
// CHECK-SAME:    attributes {llvm.emit_c_interface, rat.keep}
func.func @decode_step(%pos: index) attributes {rat.keep} {
  return
}

// CHECK-LABEL: func.func private @helper(
// CHECK-NOT:     llvm.emit_c_interface
// CHECK:         return
func.func private @helper(%x: memref<2x8xf32>) -> memref<2x8xf32> {
  return %x : memref<2x8xf32>
}

// External declarations (always private) are left alone.
// CHECK-LABEL: func.func private @external(
// CHECK-NOT:     llvm.emit_c_interface
// CHECK:         }
func.func private @external(memref<2x8xf32>)
