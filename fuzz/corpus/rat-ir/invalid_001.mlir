func.func @dps_no_destination(%x: tensor<2x8x16xf32>, %w: tensor<16xf32>) {
  "rat.rms_norm"(%x, %w) <{epsilon = 1.0e-05 : f64}> : (tensor<2x8x16xf32>, tensor<16xf32>) -> ()
  return
}
