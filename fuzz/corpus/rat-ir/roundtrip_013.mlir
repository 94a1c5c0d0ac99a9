func.func @matmul(%x: tensor<?x?x64xbf16>, %w: tensor<96x64xbf16>, %init: tensor<?x?x96xf32>,
                  %a: memref<8x64xf16>, %b: memref<96x64xf16>, %c: memref<8x96xf16>) -> tensor<?x?x96xf32> {
  %0 = rat.matmul ins(%x, %w : tensor<?x?x64xbf16>, tensor<96x64xbf16>) outs(%init : tensor<?x?x96xf32>) -> tensor<?x?x96xf32>
  rat.matmul ins(%a, %b : memref<8x64xf16>, memref<96x64xf16>) outs(%c : memref<8x96xf16>)
  return %0 : tensor<?x?x96xf32>
}
