// RUN: rat-opt %s --pass-pipeline='builtin.module(func.func(rat-vectorize-elementwise{aligned-accesses=false}))' | FileCheck %s
// RUN: rat-opt %s --pass-pipeline='builtin.module(func.func(rat-vectorize-elementwise))' | FileCheck %s --check-prefix=ALIGNED

#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
#col = affine_map<(d0, d1) -> (d0)>
#tr = affine_map<(d0, d1) -> (d1, d0)>

// bf16 add of a broadcast row: W = 16 bytes / 2 = 8 lanes; the innermost
// loop runs over 64 / 8 = 8 iterations; one vector load per operand that the
// innermost loop indexes, the body once per lane, one vector store.
// CHECK-LABEL: func.func @add_row
// CHECK-DAG:     %[[C8:.*]] = arith.constant 8 : index
// CHECK:         scf.parallel (%[[I:.*]], %[[J:.*]]) = ({{.*}}) to ({{.*}}, %[[C8]])
// CHECK:           %[[J8:.*]] = arith.muli %[[J]], %[[C8]]
// CHECK:           vector.load %{{.*}}[%[[I]], %[[J8]]] : memref<?x64xbf16>, vector<8xbf16>
// CHECK:           vector.load %{{.*}}[%[[J8]]] : memref<64xbf16>, vector<8xbf16>
// CHECK-COUNT-8:   arith.addf {{.*}} : bf16
// CHECK:           vector.from_elements {{.*}} : vector<8xbf16>
// CHECK:           vector.store %{{.*}}, %{{.*}}[%[[I]], %[[J8]]] : memref<?x64xbf16>, vector<8xbf16>
// CHECK-NOT:     linalg.generic
// With aligned accesses: the same loop under a host check of the buffers'
// alignment, the generic as it was otherwise.
// ALIGNED-LABEL: func.func @add_row
// ALIGNED:         memref.extract_aligned_pointer_as_index
// ALIGNED:         scf.if
// ALIGNED:           vector.load {{.*}} {alignment = 16 : i64} : memref<?x64xbf16>, vector<8xbf16>
// ALIGNED:         } else {
// ALIGNED:           linalg.generic
func.func @add_row(%x: memref<?x64xbf16>, %b: memref<64xbf16>, %y: memref<?x64xbf16>) {
  linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : memref<?x64xbf16>, memref<64xbf16>) outs(%y : memref<?x64xbf16>) {
  ^bb0(%a: bf16, %c: bf16, %o: bf16):
    %s = arith.addf %a, %c : bf16
    linalg.yield %s : bf16
  }
  return
}

// f32 -> bf16 with a per-row scale that the innermost loop does not index:
// W = 16 / 4 = 4 (the widest element), the scale loaded once as a scalar.
// CHECK-LABEL: func.func @scale_cast
// CHECK:         scf.parallel
// CHECK:           vector.load {{.*}} : memref<8x32xf32>, vector<4xf32>
// CHECK:           memref.load {{.*}} : memref<8xf32>
// CHECK-COUNT-4:   arith.truncf {{.*}} : f32 to bf16
// CHECK:           vector.store {{.*}} : memref<8x32xbf16>, vector<4xbf16>
func.func @scale_cast(%x: memref<8x32xf32>, %s: memref<8xf32>, %y: memref<8x32xbf16>) {
  linalg.generic {indexing_maps = [#id2, #col, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : memref<8x32xf32>, memref<8xf32>) outs(%y : memref<8x32xbf16>) {
  ^bb0(%a: f32, %c: f32, %o: bf16):
    %m = arith.mulf %a, %c : f32
    %t = arith.truncf %m : f32 to bf16
    linalg.yield %t : bf16
  }
  return
}

// Not vectorized: an innermost extent that W does not divide, a transpose
// (the innermost loop is not the input's innermost dimension), a strided
// innermost dimension.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT:     vector.load
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT:     vector.load
func.func @left_alone(%a: memref<4x12xbf16>, %b: memref<4x12xbf16>,
                      %t: memref<16x16xbf16>, %u: memref<16x16xbf16>,
                      %s: memref<4x16xbf16, strided<[32, 2]>>, %v: memref<4x16xbf16>) {
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<4x12xbf16>) outs(%b : memref<4x12xbf16>) {
  ^bb0(%x: bf16, %o: bf16):
    %n = arith.negf %x : bf16
    linalg.yield %n : bf16
  }
  linalg.generic {indexing_maps = [#tr, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%t : memref<16x16xbf16>) outs(%u : memref<16x16xbf16>) {
  ^bb0(%x: bf16, %o: bf16):
    linalg.yield %x : bf16
  }
  linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%s : memref<4x16xbf16, strided<[32, 2]>>) outs(%v : memref<4x16xbf16>) {
  ^bb0(%x: bf16, %o: bf16):
    linalg.yield %x : bf16
  }
  return
}
