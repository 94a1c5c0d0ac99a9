// y = x @ w^T in bf16 with f32 accumulation, written the way the importer
// writes projections (fill + contraction generic + cast). Used by
// scripts/gpu/matmul_check.py to check and time rat-matmul-to-mma kernels.
#x = affine_map<(b, t, n, k) -> (b, t, k)>
#w = affine_map<(b, t, n, k) -> (n, k)>
#y = affine_map<(b, t, n, k) -> (b, t, n)>
#id = affine_map<(b, t, n) -> (b, t, n)>
func.func @matmul(%x: tensor<?x?x2048xbf16>, %w: tensor<6656x2048xbf16>) -> tensor<?x?x6656xbf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %x, %c0 : tensor<?x?x2048xbf16>
  %t = tensor.dim %x, %c1 : tensor<?x?x2048xbf16>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%b, %t) : tensor<?x?x6656xf32>
  %acc0 = linalg.fill ins(%zero : f32) outs(%e : tensor<?x?x6656xf32>) -> tensor<?x?x6656xf32>
  %acc = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x?x2048xbf16>, tensor<6656x2048xbf16>) outs(%acc0 : tensor<?x?x6656xf32>) {
  ^bb0(%a: bf16, %bw: bf16, %o: f32):
    %ae = arith.extf %a : bf16 to f32
    %be = arith.extf %bw : bf16 to f32
    %p = arith.mulf %ae, %be : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<?x?x6656xf32>
  %e2 = tensor.empty(%b, %t) : tensor<?x?x6656xbf16>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%acc : tensor<?x?x6656xf32>) outs(%e2 : tensor<?x?x6656xbf16>) {
  ^bb0(%in: f32, %o: bf16):
    %r = arith.truncf %in : f32 to bf16
    linalg.yield %r : bf16
  } -> tensor<?x?x6656xbf16>
  return %y : tensor<?x?x6656xbf16>
}
