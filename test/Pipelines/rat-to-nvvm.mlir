// REQUIRES: cuda-toolkit
// RUN: rat-opt %s --rat-to-nvvm="format=isa chip=sm_90 features=+ptx80" | FileCheck %s
// RUN: rat-opt %s --rat-graph-to-tiled=gpu=true --rat-tiled-to-loops=gpu=true --rat-loops-to-kernels | FileCheck %s --check-prefix=KERNELS

// The chunk scan becomes one kernel with one thread per (batch, chunk,
// channel); the host launches it and no rat, scf or memref op remains.
// KERNELS-LABEL: func.func @scan
// KERNELS:         gpu.launch_func @scan_kernel::@scan_kernel blocks in (%{{.+}}, %{{.+}}, %{{.+}}) threads in (%{{.+}}, %{{.+}}, %{{.+}})
// KERNELS-LABEL: gpu.module @scan_kernel
// KERNELS:         gpu.func @scan_kernel(
// KERNELS-SAME:      kernel
// KERNELS:           gpu.block_id x
// KERNELS:           gpu.thread_id x
// KERNELS:           scf.for
// KERNELS:           arith.subf

// CHECK-NOT:     rat.
// CHECK-LABEL: llvm.func @scan(
// CHECK:         gpu.launch_func @kernels::@scan_kernel
// CHECK-LABEL: llvm.func @_mlir_ciface_scan(
// CHECK:       gpu.binary @kernels
// CHECK-SAME:    #nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">
// CHECK-SAME:    .target sm_90
// CHECK-SAME:    .visible .entry scan_kernel(
// CHECK-SAME:    ld.global
// CHECK-SAME:    st.global
func.func @scan(%g: tensor<2x37x24xf32>, %x: tensor<2x37x24xf32>) -> tensor<2x37x24xf32> {
  %e = tensor.empty() : tensor<2x37x24xf32>
  %0 = rat.chunk_scan chunk_size = 3 ins(%g, %x : tensor<2x37x24xf32>, tensor<2x37x24xf32>) outs(%e : tensor<2x37x24xf32>) -> tensor<2x37x24xf32>
  return %0 : tensor<2x37x24xf32>
}
