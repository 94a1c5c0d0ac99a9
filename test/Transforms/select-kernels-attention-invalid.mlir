// RUN: rat-opt %s --rat-select-kernels -split-input-file -verify-diagnostics

// The wgmma attention configurations (sm_90a, the default chip) that a
// rat.kernel in the input may ask for, and why not.

func.func @tile(%q: tensor<1x2x8x64xbf16>, %o: tensor<1x2x8x64xbf16>) -> tensor<1x2x8x64xbf16> {
  // expected-error @+1 {{cannot honour rat.kernel: attention_mma: the wgmma attention kernel needs tile = [64 x warpgroups queries, states]}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %q, %q : tensor<1x2x8x64xbf16>, tensor<1x2x8x64xbf16>, tensor<1x2x8x64xbf16>) outs(%o : tensor<1x2x8x64xbf16>)
         {rat.kernel = #rat.kernel<family = attention_mma, tile = [64, 128], warpgroups = 2, stages = 2>} -> tensor<1x2x8x64xbf16>
  return %0 : tensor<1x2x8x64xbf16>
}

// -----

func.func @states(%q: tensor<1x2x8x64xbf16>, %o: tensor<1x2x8x64xbf16>) -> tensor<1x2x8x64xbf16> {
  // expected-error @+1 {{cannot honour rat.kernel: attention_mma: the wgmma attention kernel takes a multiple of 16 states per step, at most 128 (its registers)}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %q, %q : tensor<1x2x8x64xbf16>, tensor<1x2x8x64xbf16>, tensor<1x2x8x64xbf16>) outs(%o : tensor<1x2x8x64xbf16>)
         {rat.kernel = #rat.kernel<family = attention_mma, tile = [64, 256], warpgroups = 1, stages = 2>} -> tensor<1x2x8x64xbf16>
  return %0 : tensor<1x2x8x64xbf16>
}

// -----

func.func @head_size(%q: tensor<1x2x8x32xbf16>, %o: tensor<1x2x8x32xbf16>) -> tensor<1x2x8x32xbf16> {
  // expected-error @+1 {{cannot honour rat.kernel: attention_mma: the wgmma attention kernel takes head sizes 64 or 128}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %q, %q : tensor<1x2x8x32xbf16>, tensor<1x2x8x32xbf16>, tensor<1x2x8x32xbf16>) outs(%o : tensor<1x2x8x32xbf16>)
         {rat.kernel = #rat.kernel<family = attention_mma, tile = [128, 128], warpgroups = 2, stages = 2>} -> tensor<1x2x8x32xbf16>
  return %0 : tensor<1x2x8x32xbf16>
}

// -----

func.func @shared_memory(%q: tensor<1x2x8x128xbf16>, %o: tensor<1x2x8x128xbf16>) -> tensor<1x2x8x128xbf16> {
  // expected-error @+1 {{cannot honour rat.kernel: attention_mma: shared memory (295936 bytes) exceeds the chip's 232448 bytes per block}}
  %0 = rat.chunk_attention chunk_size = 4 ins(%q, %q, %q : tensor<1x2x8x128xbf16>, tensor<1x2x8x128xbf16>, tensor<1x2x8x128xbf16>) outs(%o : tensor<1x2x8x128xbf16>)
         {rat.kernel = #rat.kernel<family = attention_mma, tile = [128, 128], warpgroups = 2, stages = 4>} -> tensor<1x2x8x128xbf16>
  return %0 : tensor<1x2x8x128xbf16>
}

// -----

func.func @window(%q: tensor<1x2x8x64xbf16>, %o: tensor<1x2x8x64xbf16>) -> tensor<1x2x8x64xbf16> {
  // expected-error @+1 {{cannot honour rat.kernel: the wgmma attention kernel takes rat.chunk_attention only}}
  %0 = rat.window_attention window = 4 ins(%q, %q, %q : tensor<1x2x8x64xbf16>, tensor<1x2x8x64xbf16>, tensor<1x2x8x64xbf16>) outs(%o : tensor<1x2x8x64xbf16>)
         {rat.kernel = #rat.kernel<family = attention_mma, tile = [128, 128], warpgroups = 2, stages = 2>} -> tensor<1x2x8x64xbf16>
  return %0 : tensor<1x2x8x64xbf16>
}
