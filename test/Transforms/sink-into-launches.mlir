// RUN: rat-opt %s --rat-sink-into-launches | FileCheck %s
// The same IR as upstream's pass (the pass only makes it linear-time):
// RUN: rat-opt %s --rat-sink-into-launches > %t.rat
// RUN: rat-opt %s --gpu-launch-sink-index-computations > %t.upstream
// RUN: diff %t.rat %t.upstream

// Constants and a dim/cmpi/select chain used in two launches are cloned into
// each, each clone after the values it needs (upstream's order: the walk of
// the uses from the launch; the shared constant stays for its
// use outside); values that are not cheap to recompute (the load, the
// index_cast) stay values defined above, and the launch's own grid operands
// keep the originals.
// CHECK-LABEL: func.func @f
// CHECK:         %[[C1:.*]] = arith.constant 1 : index
// CHECK:         %[[C0:.*]] = arith.constant 0 : index
// CHECK:         %[[L:.*]] = memref.load
// CHECK:         %[[I:.*]] = arith.index_cast
// CHECK:         gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %[[C1]],
// CHECK-NEXT:      %[[K0:.*]] = arith.constant 0 : index
// CHECK-NEXT:      %[[D:.*]] = memref.dim %{{.*}}, %[[K0]]
// CHECK-NEXT:      %[[K1:.*]] = arith.constant 1 : index
// CHECK-NEXT:      %[[P:.*]] = arith.cmpi ult, %[[D]], %[[K1]]
// CHECK-NEXT:      %[[S:.*]] = arith.select %[[P]], %[[K0]], %[[K1]]
// CHECK-NEXT:      memref.store %[[L]], %{{.*}}[%[[S]]]
// CHECK-NEXT:      memref.store %[[L]], %{{.*}}[%[[K0]]]
// CHECK-NEXT:      memref.store %[[I]], %{{.*}}[%[[K0]]]
// CHECK:         gpu.launch
// CHECK-NEXT:      arith.constant 0 : index
// CHECK-NEXT:      memref.store
// CHECK:         memref.store %{{.*}}, %{{.*}}[%[[C1]]]
func.func @f(%a: memref<?xf32>, %b: memref<4xi32>) {
  %c1 = arith.constant 1 : index
  %c0 = arith.constant 0 : index
  %l = memref.load %a[%c0] : memref<?xf32>
  %d = memref.dim %a, %c0 : memref<?xf32>
  %p = arith.cmpi ult, %d, %c1 : index
  %s = arith.select %p, %c0, %c1 : index
  %i = arith.index_cast %d : index to i32
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1) {
    memref.store %l, %a[%s] : memref<?xf32>
    memref.store %l, %a[%c0] : memref<?xf32>
    memref.store %i, %b[%c0] : memref<4xi32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%x = %c1, %y = %c1, %z = %c1)
             threads(%tx, %ty, %tz) in (%u = %c1, %v = %c1, %w = %c1) {
    memref.store %l, %a[%c0] : memref<?xf32>
    gpu.terminator
  }
  memref.store %l, %a[%c1] : memref<?xf32>
  return
}
