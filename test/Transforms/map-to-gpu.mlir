// RUN: rat-opt %s --rat-map-to-gpu="block-size=128" -split-input-file | FileCheck %s

// A 2-D parallel loop becomes one 1-D launch: trip counts multiplied on the
// host, 128 threads per block, ids delinearised innermost-first.
// CHECK-LABEL: func.func @map_2d
// CHECK-SAME:    (%[[A:.+]]: memref<?x37xf32>, %[[B:.+]]: memref<?x37xf32>)
// CHECK:         arith.ceildivsi
// CHECK:         %[[TRIP1:.+]] = arith.ceildivsi
// CHECK:         %[[TOTAL:.+]] = arith.muli %{{.+}}, %[[TRIP1]] : index
// CHECK:         %[[C128:.+]] = arith.constant 128 : index
// CHECK:         %[[GRID:.+]] = arith.ceildivsi %[[TOTAL]], %[[C128]] : index
// CHECK:         %[[NONEMPTY:.+]] = arith.cmpi sgt, %[[TOTAL]], %{{.+}} : index
// CHECK:         scf.if %[[NONEMPTY]] {
// CHECK:           gpu.launch blocks(%[[BX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %[[GRID]], %{{.+}} = %{{.+}}, %{{.+}} = %{{.+}}) threads(%[[TX:.+]], %{{.+}}, %{{.+}}) in (%{{.+}} = %[[C128]],
// CHECK:             %[[BASE:.+]] = arith.muli %[[BX]], %[[C128]] : index
// CHECK:             %[[ID:.+]] = arith.addi %[[BASE]], %[[TX]] : index
// CHECK:             %[[IN:.+]] = arith.cmpi slt, %[[ID]], %[[TOTAL]] : index
// CHECK:             scf.if %[[IN]] {
// CHECK:               %[[J:.+]] = arith.remui %[[ID]], %[[TRIP1]] : index
// CHECK:               %[[I:.+]] = arith.divui %[[ID]], %[[TRIP1]] : index
// CHECK:               memref.load %[[A]]
// CHECK:               math.exp
// CHECK:               memref.store
// CHECK:             gpu.terminator
// CHECK-NOT:     scf.parallel
func.func @map_2d(%a: memref<?x37xf32>, %b: memref<?x37xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c37 = arith.constant 37 : index
  %n = memref.dim %a, %c0 : memref<?x37xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c37) step (%c1, %c1) {
    %v = memref.load %a[%i, %j] : memref<?x37xf32>
    %e = math.exp %v : f32
    memref.store %e, %b[%i, %j] : memref<?x37xf32>
    scf.reduce
  }
  return
}

// -----

// A host memref.copy between device buffers becomes a copy kernel.
// CHECK-LABEL: func.func @copy
// CHECK-NOT:     memref.copy
// CHECK:         gpu.launch
// CHECK:           %[[V:.+]] = memref.load %{{.+}}[%{{.+}}, %{{.+}}] : memref<4x?xf32>
// CHECK:           memref.store %[[V]], %{{.+}}[%{{.+}}, %{{.+}}] : memref<4x?xf32>
func.func @copy(%a: memref<4x?xf32>, %b: memref<4x?xf32>) {
  memref.copy %a, %b : memref<4x?xf32> to memref<4x?xf32>
  return
}

// -----

// Inside a mapped loop, nested parallel loops run sequentially, a bounded
// allocation becomes a stack buffer (no device heap) and its dealloc goes.
// CHECK-LABEL: func.func @nested
// CHECK:         gpu.launch
// CHECK-NOT:       memref.alloc(
// CHECK:           %[[BUF:.+]] = memref.alloca(%{{.+}}) : memref<?xf32>
// CHECK:           scf.for
// CHECK-NOT:       scf.parallel
// CHECK-NOT:       memref.dealloc
// CHECK:           gpu.terminator
func.func @nested(%a: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %n = memref.dim %a, %c0 : memref<?x?xf32>
  %m = memref.dim %a, %c1 : memref<?x?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %len = affine.min affine_map<(d0) -> (16, d0)>(%m)
    %buf = memref.alloc(%len) : memref<?xf32>
    scf.parallel (%j) = (%c0) to (%len) step (%c1) {
      %v = memref.load %a[%i, %j] : memref<?x?xf32>
      memref.store %v, %buf[%j] : memref<?xf32>
      scf.reduce
    }
    memref.dealloc %buf : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// Statically sized scratch buffers in alloca scopes move to the kernel entry
// and the emptied scopes are inlined.
// CHECK-LABEL: func.func @scratch
// CHECK:         gpu.launch
// CHECK-NEXT:      %[[ACC:.+]] = memref.alloca() : memref<8xf32>
// CHECK-NOT:       memref.alloca_scope
// CHECK:           memref.store %{{.+}}, %[[ACC]]
func.func @scratch(%a: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 0.0 : f32
  %n = memref.dim %a, %c0 : memref<?xf32>
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.alloca_scope {
      %acc = memref.alloca() : memref<8xf32>
      memref.store %f, %acc[%c0] : memref<8xf32>
      %v = memref.load %acc[%c0] : memref<8xf32>
      memref.store %v, %a[%i] : memref<?xf32>
    }
    scf.reduce
  }
  return
}

