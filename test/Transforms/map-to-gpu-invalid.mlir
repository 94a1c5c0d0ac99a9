// RUN: rat-opt %s --rat-map-to-gpu -split-input-file -verify-diagnostics

// An allocation whose size has no bound cannot live on a thread's stack.
func.func @unbounded(%a: memref<?xf32>, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    // expected-error @+1 {{rat-map-to-gpu: a kernel allocates a buffer whose size has no constant bound}}
    %buf = memref.alloc(%k) : memref<?xf32>
    memref.dealloc %buf : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

func.func @too_big(%a: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    // expected-error @+1 {{rat-map-to-gpu: a kernel allocates up to 65536 bytes per thread (limit 16384): use smaller tiles}}
    %buf = memref.alloc() : memref<16384xf32>
    memref.dealloc %buf : memref<16384xf32>
    scf.reduce
  }
  return
}

// -----

// CUDA blocks hold 1 to 1024 threads: other block sizes are refused before
// anything is mapped (a block of 0 threads would launch nothing).
// RUN: not rat-opt %s --rat-map-to-gpu=block-size=0 -split-input-file 2>&1 | FileCheck %s --check-prefix=BLOCK0
// RUN: not rat-opt %s --rat-map-to-gpu=block-size=1025 -split-input-file 2>&1 | FileCheck %s --check-prefix=BLOCK1025
// BLOCK0: error: rat-map-to-gpu: block-size must be between 1 and 1024 (threads per block), got 0
// BLOCK1025: error: rat-map-to-gpu: block-size must be between 1 and 1024 (threads per block), got 1025
func.func @block_size(%a: memref<?xf32>) {
  return
}
