// RUN: rat-opt %s --rat-launch-to-loops -split-input-file -verify-diagnostics | FileCheck %s

// Blocks then threads as host loops; ids and sizes become the loop
// variables and launch operands; each thread's body in an alloca scope.
// CHECK-LABEL: func.func @emulate
// CHECK-SAME:    (%[[M:.+]]: memref<?xf32>, %[[GX:.+]]: index)
// CHECK-DAG:     %[[C0:.+]] = arith.constant 0 : index
// CHECK-DAG:     %[[C1:.+]] = arith.constant 1 : index
// CHECK-DAG:     %[[C64:.+]] = arith.constant 64 : index
// CHECK:         scf.for %{{.+}} = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK:           scf.for %{{.+}} = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK:             scf.for %[[BX:.+]] = %[[C0]] to %[[GX]] step %[[C1]]
// CHECK:               scf.for %{{.+}} = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK:                 scf.for %{{.+}} = %[[C0]] to %[[C1]] step %[[C1]]
// CHECK:                   scf.for %[[TX:.+]] = %[[C0]] to %[[C64]] step %[[C1]]
// CHECK:                     memref.alloca_scope
// CHECK:                       %[[BASE:.+]] = arith.muli %[[BX]], %[[C64]] : index
// CHECK:                       %[[ID:.+]] = arith.addi %[[BASE]], %[[TX]] : index
// CHECK:                       memref.store %{{.+}}, %[[M]][%[[ID]]]
// CHECK-NOT:     gpu.launch
func.func @emulate(%m: memref<?xf32>, %gx: index) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%sx = %gx, %sy = %c1, %sz = %c1) threads(%tx, %ty, %tz) in (%nx = %c64, %ny = %c1, %nz = %c1) {
    %base = arith.muli %bx, %nx : index
    %id = arith.addi %base, %tx : index
    memref.store %f, %m[%id] : memref<?xf32>
    gpu.terminator
  }
  return
}

// -----

// Threads that synchronise cannot be emulated one after the other.
func.func @barrier() {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%sx = %c1, %sy = %c1, %sz = %c1) threads(%tx, %ty, %tz) in (%nx = %c1, %ny = %c1, %nz = %c1) {
    // expected-error @+1 {{rat-launch-to-loops: threads that synchronise cannot run one after the other}}
    gpu.barrier
    gpu.terminator
  }
  return
}
