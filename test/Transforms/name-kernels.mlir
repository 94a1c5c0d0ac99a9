// RUN: rat-opt %s --rat-name-kernels | FileCheck %s

// Each outlined kernel takes its module's (unique) name; launches follow.
// CHECK-LABEL: gpu.module @f_kernel
// CHECK:         gpu.func @f_kernel(
// CHECK-LABEL: gpu.module @f_kernel_0
// CHECK:         gpu.func @f_kernel_0(
// CHECK-LABEL: func.func @f
// CHECK:         gpu.launch_func @f_kernel::@f_kernel
// CHECK:         gpu.launch_func @f_kernel_0::@f_kernel_0
module attributes {gpu.container_module} {
  gpu.module @f_kernel {
    gpu.func @f_kernel(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @f_kernel_0 {
    gpu.func @f_kernel(%arg0: memref<4xf32>) kernel {
      gpu.return
    }
  }
  func.func @f(%m: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @f_kernel::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @f_kernel_0::@f_kernel blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    return
  }
}
