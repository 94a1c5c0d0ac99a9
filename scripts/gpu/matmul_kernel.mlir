// y = x @ w^T (bf16 in and out, f32 accumulation) as a rat.matmul whose
// kernel is chosen in the input: scripts/gpu/gemm_variants.sh substitutes
// @N@, @K@ and @KERNEL@ (a #rat.kernel or an array of them, see
// docs/Dialects/RatAttrs.md) to time kernel configurations against each
// other with scripts/gpu/gemm_check.py.
func.func @matmul(%x: tensor<?x?x@K@xbf16>, %w: tensor<@N@x@K@xbf16>) -> tensor<?x?x@N@xbf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %b = tensor.dim %x, %c0 : tensor<?x?x@K@xbf16>
  %t = tensor.dim %x, %c1 : tensor<?x?x@K@xbf16>
  %e = tensor.empty(%b, %t) : tensor<?x?x@N@xbf16>
  %y = rat.matmul ins(%x, %w : tensor<?x?x@K@xbf16>, tensor<@N@x@K@xbf16>) outs(%e : tensor<?x?x@N@xbf16>) {rat.kernel = @KERNEL@} -> tensor<?x?x@N@xbf16>
  return %y : tensor<?x?x@N@xbf16>
}
