// RUN: rat-opt %s --rat-inplace-state | FileCheck %s

// The scan state is written into its argument: the result goes and the
// argument becomes state_inout. The fresh output buffer stays a result, and
// a state returned in a new buffer keeps its result.
// CHECK-LABEL: func.func @decode
// CHECK-SAME:    %{{.+}}: memref<?x8xf32> {rat.name = "s", rat.role = "state_inout"}
// CHECK-SAME:    %{{.+}}: memref<?x8xf32> {rat.name = "t", rat.role = "state"}
// CHECK-SAME:    -> (memref<?x8xf32> {rat.name = "y", rat.role = "output"}, memref<?x8xf32> {rat.name = "t", rat.role = "state"})
// CHECK:         return %{{.+}}, %{{.+}} : memref<?x8xf32>, memref<?x8xf32>
func.func @decode(%x: memref<?x8xf32> {rat.role = "input", rat.name = "x"},
                  %s: memref<?x8xf32> {rat.role = "state", rat.name = "s"},
                  %t: memref<?x8xf32> {rat.role = "state", rat.name = "t"},
                  %pos: index {rat.role = "index", rat.name = "position"})
    -> (memref<?x8xf32> {rat.role = "output", rat.name = "y"},
        memref<?x8xf32> {rat.role = "state", rat.name = "s"},
        memref<?x8xf32> {rat.role = "state", rat.name = "t"}) {
  rat.chunk_scan_step chunk_size = 4 ins(%x, %x : memref<?x8xf32>, memref<?x8xf32>) position(%pos) outs(%s : memref<?x8xf32>)
  %c0 = arith.constant 0 : index
  %b = memref.dim %x, %c0 : memref<?x8xf32>
  %y = memref.alloc(%b) : memref<?x8xf32>
  %t2 = memref.alloc(%b) : memref<?x8xf32>
  return %y, %s, %t2 : memref<?x8xf32>, memref<?x8xf32>, memref<?x8xf32>
}

// A result that is an argument of another name is not a state update.
// CHECK-LABEL: func.func @renamed
// CHECK-SAME:    -> (memref<4xf32> {rat.name = "b", rat.role = "state"})
func.func @renamed(%a: memref<4xf32> {rat.role = "state", rat.name = "a"})
    -> (memref<4xf32> {rat.role = "state", rat.name = "b"}) {
  return %a : memref<4xf32>
}
