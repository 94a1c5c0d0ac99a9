// RUN: rat-opt %s --rat-apply-launch-bounds -split-input-file -verify-diagnostics | FileCheck %s

// A marked op asks for 3 blocks per SM: the kernel gets nvvm.minctasm and
// the marker is gone; an unmarked kernel is left alone.
// CHECK-LABEL: gpu.module @marked
// CHECK:         gpu.func @k() kernel attributes {known_block_size = array<i32: 128, 1, 1>, nvvm.minctasm = 3 : i32}
// CHECK-NOT:       rat.min_blocks_per_sm
// CHECK-LABEL: gpu.module @plain
// CHECK:         gpu.func @k() kernel attributes {known_block_size = array<i32: 64, 1, 1>} {
module attributes {gpu.container_module} {
  gpu.module @marked {
    gpu.func @k() kernel attributes {known_block_size = array<i32: 128, 1, 1>} {
      %c0 = arith.constant 0 : index
      %c4 = arith.constant 4 : index
      %c1 = arith.constant 1 : index
      scf.for %i = %c0 to %c4 step %c1 {
      } {rat.min_blocks_per_sm = 3 : i64}
      gpu.return
    }
  }
  gpu.module @plain {
    gpu.func @k() kernel attributes {known_block_size = array<i32: 64, 1, 1>} {
      gpu.return
    }
  }
}

// -----

// Blocks per SM mean nothing to ptxas without the block size.
module attributes {gpu.container_module} {
  gpu.module @unknown {
    // expected-error @+1 {{asks for 2 blocks per SM but has no known block size}}
    gpu.func @k() kernel {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      scf.for %i = %c0 to %c1 step %c1 {
      } {rat.min_blocks_per_sm = 2 : i64}
      gpu.return
    }
  }
}
