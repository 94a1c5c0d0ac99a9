// RUN: rat-opt %s --rat-form-matmul -split-input-file | FileCheck %s

// fill(0) + x @ W^T contraction + truncf: one rat.matmul into the bf16
// destination; the f32 accumulator disappears.
#x = affine_map<(b, t, n, k) -> (b, t, k)>
#w = affine_map<(b, t, n, k) -> (n, k)>
#y = affine_map<(b, t, n, k) -> (b, t, n)>
#id = affine_map<(b, t, n) -> (b, t, n)>
// CHECK-LABEL: func.func @proj_cast
// CHECK-SAME:    (%[[X:.+]]: tensor<?x?x64xbf16>, %[[W:.+]]: tensor<96x64xbf16>, %[[INIT:.+]]: tensor<?x?x96xbf16>
// CHECK-NOT:     linalg.generic
// CHECK:         %[[R:.+]] = rat.matmul ins(%[[X]], %[[W]] : tensor<?x?x64xbf16>, tensor<96x64xbf16>) outs(%[[INIT]] : tensor<?x?x96xbf16>) -> tensor<?x?x96xbf16>
// CHECK:         return %[[R]]
func.func @proj_cast(%x: tensor<?x?x64xbf16>, %w: tensor<96x64xbf16>, %init: tensor<?x?x96xbf16>, %acc0: tensor<?x?x96xf32>) -> tensor<?x?x96xbf16> {
  %zero = arith.constant 0.0 : f32
  %acc = linalg.fill ins(%zero : f32) outs(%acc0 : tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  %r = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x?x64xbf16>, tensor<96x64xbf16>) outs(%acc : tensor<?x?x96xf32>) {
  ^bb0(%a: bf16, %b: bf16, %o: f32):
    %ae = arith.extf %a : bf16 to f32
    %be = arith.extf %b : bf16 to f32
    %p = arith.mulf %ae, %be : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x?x96xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%r : tensor<?x?x96xf32>) outs(%init : tensor<?x?x96xbf16>) {
  ^bb0(%in: f32, %o: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<?x?x96xbf16>
  return %y : tensor<?x?x96xbf16>
}

// -----

// f32 operands without a cast, multiply operands swapped: the matmul writes
// (overwrites) the destination the fill wrote, so the fill goes.
#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (n, k)>
#y = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @proj_f32
// CHECK-SAME:    %{{.+}}: tensor<96x64xf32>, %[[ACC:.+]]: tensor<8x96xf32>)
// CHECK-NOT:     linalg.fill
// CHECK:         rat.matmul ins(%{{.+}}, %{{.+}} : tensor<8x64xf32>, tensor<96x64xf32>) outs(%[[ACC]] : tensor<8x96xf32>)
func.func @proj_f32(%x: tensor<8x64xf32>, %w: tensor<96x64xf32>, %acc0: tensor<8x96xf32>) -> tensor<8x96xf32> {
  %zero = arith.constant 0.0 : f32
  %acc = linalg.fill ins(%zero : f32) outs(%acc0 : tensor<8x96xf32>) -> tensor<8x96xf32>
  %r = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<8x64xf32>, tensor<96x64xf32>) outs(%acc : tensor<8x96xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %b, %a : f32
    %s = arith.addf %p, %o : f32
    linalg.yield %s : f32
  } -> tensor<8x96xf32>
  return %r : tensor<8x96xf32>
}

// -----

// Not matched: the accumulator starts at 1, and W is [K, N] (x @ W).
#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (n, k)>
#wkn = affine_map<(m, n, k) -> (k, n)>
#y = affine_map<(m, n, k) -> (m, n)>
// CHECK-LABEL: func.func @not_matched
// CHECK-NOT:     rat.matmul
// CHECK-COUNT-2: linalg.generic
func.func @not_matched(%x: tensor<8x64xf32>, %w: tensor<96x64xf32>, %wt: tensor<64x96xf32>, %acc0: tensor<8x96xf32>) -> (tensor<8x96xf32>, tensor<8x96xf32>) {
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  %acc1 = linalg.fill ins(%one : f32) outs(%acc0 : tensor<8x96xf32>) -> tensor<8x96xf32>
  %r = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<8x64xf32>, tensor<96x64xf32>) outs(%acc1 : tensor<8x96xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x96xf32>
  %acc2 = linalg.fill ins(%zero : f32) outs(%acc0 : tensor<8x96xf32>) -> tensor<8x96xf32>
  %r2 = linalg.generic {indexing_maps = [#x, #wkn, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %wt : tensor<8x64xf32>, tensor<64x96xf32>) outs(%acc2 : tensor<8x96xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x96xf32>
  return %r, %r2 : tensor<8x96xf32>, tensor<8x96xf32>
}
