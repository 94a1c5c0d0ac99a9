// RUN: rat-opt %s --rat-dedup-kernels | FileCheck %s

// Two kernels identical up to their names (and SSA numbering) merge; the
// one that differs (a different constant) stays. Launches follow.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK:         func.func @f
// CHECK:           gpu.launch_func  @k0::@k0
// CHECK:           gpu.launch_func  @k0::@k0
// CHECK:           gpu.launch_func  @k2::@k2
// CHECK:         gpu.module @k0
// CHECK-NOT:     gpu.module @k1
// CHECK:         gpu.module @k2
module attributes {gpu.container_module} {
  func.func @f(%a: memref<8xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @k0::@k0 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<8xf32>)
    gpu.launch_func @k1::@k1 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<8xf32>)
    gpu.launch_func @k2::@k2 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<8xf32>)
    return
  }
  gpu.module @k0 {
    gpu.func @k0(%arg0: memref<8xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = arith.constant 1.0 : f32
      memref.store %v, %arg0[%c0] : memref<8xf32>
      gpu.return
    }
  }
  gpu.module @k1 {
    gpu.func @k1(%x: memref<8xf32>) kernel {
      %zero = arith.constant 0 : index
      %one = arith.constant 1.0 : f32
      memref.store %one, %x[%zero] : memref<8xf32>
      gpu.return
    }
  }
  gpu.module @k2 {
    gpu.func @k2(%arg0: memref<8xf32>) kernel {
      %c0 = arith.constant 0 : index
      %v = arith.constant 2.0 : f32
      memref.store %v, %arg0[%c0] : memref<8xf32>
      gpu.return
    }
  }
}
