// Every rat op with every dimension dynamic that its verifier allows
// (batch, heads, groups, tokens, widths, cache rows), for dynamic_shapes.test.
// The grouped attention ops have dynamic query/key head counts: their tiles
// read group h mod G with G known only at run time.
func.func @ops(%x: tensor<?x?x?xf32> {rat.name = "x"},
               %w: tensor<?xf32> {rat.name = "w"},
               %gate: tensor<?x?x?xf32> {rat.name = "gate"},
               %r: tensor<?x?x?x16xf32> {rat.name = "r"},
               %q: tensor<?x?x?x16xf32> {rat.name = "q"},
               %k: tensor<?x?x?x16xf32> {rat.name = "k"},
               %v: tensor<?x?x?x?xf32> {rat.name = "v"},
               %gs: tensor<?x?xf32> {rat.name = "gs"},
               %xs: tensor<?x?xf32> {rat.name = "xs"},
               %ss: tensor<?x?xf32> {rat.name = "ss"},
               %qt: tensor<?x?x16xf32> {rat.name = "qt"},
               %kt: tensor<?x?x16xf32> {rat.name = "kt"},
               %vt: tensor<?x?x?xf32> {rat.name = "vt"},
               %kc: tensor<?x?x?x16xf32> {rat.name = "kc"},
               %vc: tensor<?x?x?x?xf32> {rat.name = "vc"},
               %offset: index {rat.name = "offset"},
               %pos: index {rat.name = "pos"})
    -> (tensor<?x?x?xf32> {rat.name = "norm"},
        tensor<?x?x?x16xf32> {rat.name = "rope"},
        tensor<?x?x?xf32> {rat.name = "scan"},
        tensor<?x?x?x?xf32> {rat.name = "chunk_attention"},
        tensor<?x?x?x?xf32> {rat.name = "window_attention"},
        tensor<?x?xf32> {rat.name = "scan_step"},
        tensor<?x?x?xf32> {rat.name = "chunk_step"},
        tensor<?x?x?x16xf32> {rat.name = "chunk_step_kc"},
        tensor<?x?x?x?xf32> {rat.name = "chunk_step_vc"},
        tensor<?x?x?xf32> {rat.name = "window_step"},
        tensor<?x?x?x16xf32> {rat.name = "window_step_kc"},
        tensor<?x?x?x?xf32> {rat.name = "window_step_vc"}) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %b = tensor.dim %x, %c0 : tensor<?x?x?xf32>
  %t = tensor.dim %x, %c1 : tensor<?x?x?xf32>
  %d = tensor.dim %x, %c2 : tensor<?x?x?xf32>
  %e0 = tensor.empty(%b, %t, %d) : tensor<?x?x?xf32>
  %norm = rat.rms_norm epsilon = 1.0e-06 ins(%x, %w : tensor<?x?x?xf32>, tensor<?xf32>)
            outs(%e0 : tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %rb = tensor.dim %r, %c0 : tensor<?x?x?x16xf32>
  %rh = tensor.dim %r, %c1 : tensor<?x?x?x16xf32>
  %rt = tensor.dim %r, %c2 : tensor<?x?x?x16xf32>
  %e1 = tensor.empty(%rb, %rh, %rt) : tensor<?x?x?x16xf32>
  %rope = rat.rope chunk_size = 3 base = 10000.0 ins(%r : tensor<?x?x?x16xf32>) offset(%offset)
            outs(%e1 : tensor<?x?x?x16xf32>) -> tensor<?x?x?x16xf32>
  %e2 = tensor.empty(%b, %t, %d) : tensor<?x?x?xf32>
  %scan = rat.chunk_scan chunk_size = 4 ins(%gate, %x : tensor<?x?x?xf32>, tensor<?x?x?xf32>)
            outs(%e2 : tensor<?x?x?xf32>) -> tensor<?x?x?xf32>
  %vb = tensor.dim %v, %c0 : tensor<?x?x?x?xf32>
  %vh = tensor.dim %v, %c1 : tensor<?x?x?x?xf32>
  %tq = tensor.dim %q, %c2 : tensor<?x?x?x16xf32>
  %vd = tensor.dim %v, %c3 : tensor<?x?x?x?xf32>
  %e3 = tensor.empty(%vb, %vh, %tq, %vd) : tensor<?x?x?x?xf32>
  %ca = rat.chunk_attention chunk_size = 4 ins(%q, %k, %v : tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x?xf32>)
            outs(%e3 : tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  %e4 = tensor.empty(%vb, %vh, %tq, %vd) : tensor<?x?x?x?xf32>
  %wa = rat.window_attention window = 3 ins(%q, %k, %v : tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x?xf32>)
            outs(%e4 : tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32>
  %ss2 = rat.chunk_scan_step chunk_size = 4 ins(%gs, %xs : tensor<?x?xf32>, tensor<?x?xf32>) position(%pos)
            outs(%ss : tensor<?x?xf32>) -> tensor<?x?xf32>
  %sb = tensor.dim %vt, %c0 : tensor<?x?x?xf32>
  %sh = tensor.dim %vt, %c1 : tensor<?x?x?xf32>
  %sd = tensor.dim %vt, %c2 : tensor<?x?x?xf32>
  %e5 = tensor.empty(%sb, %sh, %sd) : tensor<?x?x?xf32>
  %cs:3 = rat.chunk_attention_step chunk_size = 4 ins(%qt, %kt, %vt : tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x?xf32>) position(%pos)
            outs(%e5, %kc, %vc : tensor<?x?x?xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x?xf32>)
            -> tensor<?x?x?xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x?xf32>
  %e6 = tensor.empty(%sb, %sh, %sd) : tensor<?x?x?xf32>
  %ws:3 = rat.window_attention_step window = 2 ins(%qt, %kt, %vt : tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x?xf32>) position(%pos)
            outs(%e6, %kc, %vc : tensor<?x?x?xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x?xf32>)
            -> tensor<?x?x?xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x?xf32>
  return %norm, %rope, %scan, %ca, %wa, %ss2, %cs#0, %cs#1, %cs#2, %ws#0, %ws#1, %ws#2
    : tensor<?x?x?xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>,
      tensor<?x?xf32>, tensor<?x?x?xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x?xf32>,
      tensor<?x?x?xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x?xf32>
}
