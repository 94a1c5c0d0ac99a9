func.func @chunk_scan_step(%g: tensor<?x256xf32>, %x: tensor<?x256xf32>, %s: tensor<?x256xf32>, %pos: index) -> tensor<?x256xf32> {
  %0 = rat.chunk_scan_step chunk_size = 16 ins(%g, %x : tensor<?x256xf32>, tensor<?x256xf32>) position(%pos) outs(%s : tensor<?x256xf32>) -> tensor<?x256xf32>
  return %0 : tensor<?x256xf32>
}
