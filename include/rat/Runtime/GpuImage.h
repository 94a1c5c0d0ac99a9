//===- GpuImage.h - What GPU code an embedded image holds -------*- C++ -*-===//
//
// Compiled code registers its kernels as one image per gpu.binary: a fatbin
// (a cubin per chip and maybe PTX), a cubin, or PTX text. The runtime reads
// the image's headers to say which GPUs it runs on: in -v output, and in the
// error when the driver finds nothing for the GPU
// (CUDA_ERROR_NO_BINARY_FOR_GPU). The fatbin layout is NVIDIA's (the
// `fatbinary` tool's output): a 16-byte header (magic 0xBA55ED50, version,
// header size, size of the entries), then entries with a header of their
// own (kind 1 = PTX, 2 = cubin; the architecture, e.g. 90, at byte 28; flags
// at byte 40, bit 20 = architecture-specific, `sm_90a`).
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_GPUIMAGE_H
#define RAT_RUNTIME_GPUIMAGE_H

#include <cstddef>
#include <string>
#include <vector>

namespace rat {

/// One piece of GPU code: a cubin for sm_XY, or PTX for compute_XY.
struct GpuCode {
  enum class Kind { Cubin, Ptx };
  Kind kind = Kind::Cubin;
  /// Compute capability, major * 10 + minor (80, 90, 100).
  int arch = 0;
  /// sm_90a: runs on compute capability 9.0 only, PTX included.
  bool archSpecific = false;

  /// `cubin sm_90a`, `PTX compute_80`.
  std::string name() const;
  /// Whether the driver can run this on a GPU of compute capability
  /// `major`.`minor`: a cubin of the same major version and an equal or
  /// lower minor one (an architecture-specific cubin: the same version), or
  /// PTX of an equal or lower version, which the driver JIT-compiles.
  bool runsOn(int major, int minor) const;
};

/// The GPU code in an image: a fatbin's entries, a cubin or PTX text (a
/// NUL-terminated string; `size` may then be 0). Empty when the image is
/// none of those or its headers do not fit in `size`.
std::vector<GpuCode> listGpuCode(const void *image, size_t size);

/// The code of `code` the driver runs on a GPU of compute capability
/// `major`.`minor` (the cubin of the highest architecture that runs there,
/// else the PTX of the highest), or null.
const GpuCode *selectGpuCode(const std::vector<GpuCode> &code, int major,
                             int minor);

/// `cubin sm_80, cubin sm_90a, PTX compute_80`, or `no GPU code the runtime
/// recognises`.
std::string describeGpuCode(const std::vector<GpuCode> &code);

} // namespace rat

#endif // RAT_RUNTIME_GPUIMAGE_H
