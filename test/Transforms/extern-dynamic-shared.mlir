// RUN: rat-opt %s --pass-pipeline='builtin.module(gpu.module(rat-extern-dynamic-shared))' | FileCheck %s

// The zero-sized shared-memory global of gpu.dynamic_shared_memory becomes
// an external declaration aligned to 1024 bytes (NVPTX then prints
// `.extern .shared .align 1024 .b8 name[]`); static shared arrays without
// an alignment (workgroup attributions) get the 16 bytes LLVM assumes of
// them; other globals are untouched.
// CHECK-LABEL: gpu.module @kernels
// CHECK:         llvm.mlir.global external @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 1024 : i64} : !llvm.array<0 x i8>
// CHECK:         llvm.mlir.global internal @__mbarrier() {addr_space = 3 : i32, alignment = 8 : i64} : !llvm.array<4 x i64>
// CHECK:         llvm.mlir.global internal @__wg_kernel_0() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<1024 x i32>
// CHECK:         llvm.mlir.global internal @table() {addr_space = 1 : i32} : !llvm.array<0 x i8>
gpu.module @kernels {
  llvm.mlir.global internal @__dynamic_shmem__0() {addr_space = 3 : i32, alignment = 16 : i64, dso_local} : !llvm.array<0 x i8>
  llvm.mlir.global internal @__mbarrier() {addr_space = 3 : i32, alignment = 8 : i64} : !llvm.array<4 x i64>
  llvm.mlir.global internal @__wg_kernel_0() {addr_space = 3 : i32} : !llvm.array<1024 x i32>
  llvm.mlir.global internal @table() {addr_space = 1 : i32} : !llvm.array<0 x i8>
}
