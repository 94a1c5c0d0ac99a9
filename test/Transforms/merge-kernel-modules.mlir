// RUN: rat-opt %s --rat-merge-kernel-modules -split-input-file -verify-diagnostics | FileCheck %s

// Every kernel moves into one gpu.module @kernels and every launch follows;
// a symbol two modules both define (@table) is renamed with its uses.
// CHECK-LABEL: func.func @entry
// CHECK:         gpu.launch_func @kernels::@first
// CHECK:         gpu.launch_func @kernels::@second
// CHECK:         gpu.launch_func @kernels::@first
// CHECK-NOT:   gpu.module @first
// CHECK:       gpu.module @kernels {
// CHECK:         memref.global "private" constant @table : memref<4xf32> = dense<1.000000e+00>
// CHECK:         gpu.func @first(
// CHECK:           memref.get_global @table :
// CHECK:         memref.global "private" constant @[[T2:table_[0-9]+]] : memref<4xf32> = dense<2.000000e+00>
// CHECK:         gpu.func @second(
// CHECK:           memref.get_global @[[T2]] :
// CHECK-NOT:   gpu.module
module attributes {gpu.container_module} {
  func.func @entry(%m: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @first::@first blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @second::@second blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @first::@first blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%m : memref<4xf32>)
    return
  }
  gpu.module @first {
    memref.global "private" constant @table : memref<4xf32> = dense<1.0>
    gpu.func @first(%m: memref<4xf32>) kernel {
      %t = memref.get_global @table : memref<4xf32>
      memref.copy %t, %m : memref<4xf32> to memref<4xf32>
      gpu.return
    }
  }
  gpu.module @second {
    memref.global "private" constant @table : memref<4xf32> = dense<2.0>
    gpu.func @second(%m: memref<4xf32>) kernel {
      %t = memref.get_global @table : memref<4xf32>
      memref.copy %t, %m : memref<4xf32> to memref<4xf32>
      gpu.return
    }
  }
}

// -----

// A host symbol named `kernels` keeps its name; the merged module gets
// another.
// CHECK-LABEL: func.func @kernels
// CHECK:         gpu.launch_func @[[MOD:kernels_[0-9]+]]::@only
// CHECK:       gpu.module @[[MOD]] {
// CHECK:         gpu.func @only(
module attributes {gpu.container_module} {
  func.func @kernels() {
    %c1 = arith.constant 1 : index
    gpu.launch_func @only::@only blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1)
    return
  }
  gpu.module @only {
    gpu.func @only() kernel {
      gpu.return
    }
  }
}

// -----

// Modules compiled for different targets are not merged.
module attributes {gpu.container_module} {
  gpu.module @a [#nvvm.target<chip = "sm_80">] {
    gpu.func @a() kernel {
      gpu.return
    }
  }
  // expected-error @+1 {{rat-merge-kernel-modules: gpu.module @b has other targets or another offloading handler than @a; merge the modules before nvvm-attach-target}}
  gpu.module @b [#nvvm.target<chip = "sm_90a">] {
    gpu.func @b() kernel {
      gpu.return
    }
  }
}
