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
