func.func @chunk_scan_step_no_rewrite(%g: tensor<?x16xf32>, %x: tensor<?x16xf32>, %s: tensor<?x16xf32>, %pos: index) -> tensor<?x16xf32> {
  %0 = rat.chunk_scan_step chunk_size = 2 ins(%g, %x : tensor<?x16xf32>, tensor<?x16xf32>) position(%pos) outs(%s : tensor<?x16xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}
