//===- MemRefCopy.cpp - strided memref copy for compiled code -*- C++ -*-===//
//
// `memrefCopy`, which MLIR's memref-to-LLVM lowering calls for copies between
// non-contiguous memrefs (upstream it lives in libmlir_c_runner_utils; the
// executables carry their own so they need no MLIR library at run time).
//
// In a CUDA executable the buffers of compiled code are device memory: each
// contiguous run is then copied by rat_cuda_device_copy (RatCudaRuntime),
// ordered on the runtime's stream like the kernels around it. The reference
// is weak, so CPU executables, which do not link RatCudaRuntime, copy with
// memcpy as before.
//
//===----------------------------------------------------------------------===//

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

// Weak: null unless RatCudaRuntime is linked in. Copies `bytes` with the CUDA
// driver, stream-ordered, if `dst` or `src` is device memory; returns false
// (and does nothing) if both are host memory. Only this file may see the weak
// declaration (see Device.cpp).
extern "C" __attribute__((weak)) bool
rat_cuda_device_copy(void *dst, const void *src, size_t bytes);

namespace {
/// The descriptor of a ranked memref of any element type.
struct StridedDescriptor {
  char *allocated;
  char *aligned;
  int64_t offset;
  int64_t sizesAndStrides[]; // sizes[rank], then strides[rank]
};
/// An unranked memref: its rank and a pointer to the ranked descriptor.
struct UnrankedDescriptor {
  int64_t rank;
  StridedDescriptor *descriptor;
};
} // namespace

extern "C" void memrefCopy(int64_t elemSize, UnrankedDescriptor *srcArg,
                           UnrankedDescriptor *dstArg) {
  int64_t rank = srcArg->rank;
  StridedDescriptor *src = srcArg->descriptor, *dst = dstArg->descriptor;
  const int64_t *sizes = src->sizesAndStrides;
  const int64_t *srcStrides = src->sizesAndStrides + rank;
  const int64_t *dstStrides = dst->sizesAndStrides + rank;
  char *srcPtr = src->aligned + src->offset * elemSize;
  char *dstPtr = dst->aligned + dst->offset * elemSize;
  for (int64_t d = 0; d < rank; ++d)
    if (sizes[d] == 0)
      return;
  auto copyRun = [](char *to, const char *from, size_t bytes) {
    if (!rat_cuda_device_copy || !rat_cuda_device_copy(to, from, bytes))
      std::memcpy(to, from, bytes);
  };
  if (rank == 0) {
    copyRun(dstPtr, srcPtr, elemSize);
    return;
  }
  // Odometer over the index space; the innermost dimension is copied in one
  // memcpy when both sides are contiguous there.
  std::vector<int64_t> index(rank, 0);
  bool innerContiguous = srcStrides[rank - 1] == 1 && dstStrides[rank - 1] == 1;
  int64_t innerCount = innerContiguous ? sizes[rank - 1] : 1;
  int64_t srcOff = 0, dstOff = 0;
  while (true) {
    copyRun(dstPtr + dstOff * elemSize, srcPtr + srcOff * elemSize,
            innerCount * elemSize);
    int64_t d = rank - 1;
    if (innerContiguous) {
      if (rank == 1)
        return;
      d = rank - 2;
    }
    for (; d >= 0; --d) {
      if (++index[d] < sizes[d]) {
        srcOff += srcStrides[d];
        dstOff += dstStrides[d];
        break;
      }
      srcOff -= srcStrides[d] * (sizes[d] - 1);
      dstOff -= dstStrides[d] * (sizes[d] - 1);
      index[d] = 0;
    }
    if (d < 0)
      return;
  }
}
