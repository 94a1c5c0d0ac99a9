//===- CudaTensorMap.cpp - TMA descriptors for compiled code ---*- C++ -*-===//
//
// mgpuTensorMapEncodeTiledMemref, the host call `nvgpu.tma.create.descriptor`
// lowers to (the Hopper GEMM kernels' TMA loads read the descriptor it
// returns): encodes a CUtensorMap with the driver's cuTensorMapEncodeTiled
// and keeps a device copy. Part of the mgpu* ABI (CudaAbi.cpp).
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Cuda.h"

#include "CudaState.h"

#include <array>
#include <string>

using namespace rat;
using namespace rat::cu;

namespace {
/// Bytes per element of a CUtensorMapDataType, or 0.
size_t tensorMapElementBytes(int64_t dataType) {
  switch (dataType) {
  case 0: // UINT8
    return 1;
  case 1: // UINT16
  case 6: // FLOAT16
  case 9: // BFLOAT16
    return 2;
  case 2:  // UINT32
  case 3:  // INT32
  case 7:  // FLOAT32
  case 10: // FLOAT32_FTZ
  case 11: // TFLOAT32
  case 12: // TFLOAT32_FTZ
    return 4;
  case 4: // UINT64
  case 5: // INT64
  case 8: // FLOAT64
    return 8;
  default:
    return 0;
  }
}

/// A device copy of `map` that kernels can read: outside a capture the
/// cached copy of the same bytes, or a new one; inside a capture always a
/// new one, recorded as an allocation of the capture (so that two captures
/// of a step agree on their roles), which the graph keeps.
DevicePtr deviceTensorMap(const std::array<uint8_t, 128> &map) {
  RuntimeState &s = state();
  const DriverApi &api = s.api;
  bool capturing = inCapture();
  if (!capturing) {
    std::lock_guard<std::mutex> lock(s.mutex);
    auto it = s.tensorMaps.find(map);
    if (it != s.tensorMaps.end())
      return it->second;
  }
  // Neither call is a stream operation; a thread-local capture forbids
  // them, relaxed mode allows them (the copy is no part of the graph).
  int mode = kStreamCaptureModeRelaxed;
  bool exchanged = capturing && api.cuThreadExchangeStreamCaptureMode &&
                   api.cuThreadExchangeStreamCaptureMode(&mode) == kSuccess;
  DevicePtr slot = 0;
  Result result = api.cuMemAlloc(&slot, map.size());
  if (result == kSuccess)
    result = api.cuMemcpyHtoD(slot, map.data(), map.size());
  if (exchanged)
    api.cuThreadExchangeStreamCaptureMode(&mode);
  if (result != kSuccess) {
    checkFatalOrCapture(result, "uploading a TMA descriptor");
    return 0;
  }
  std::lock_guard<std::mutex> lock(s.mutex);
  if (capturing)
    s.captureLog.allocations.push_back({static_cast<uintptr_t>(slot),
                                        map.size()});
  else
    s.tensorMaps.emplace(map, slot);
  return slot;
}
} // namespace

/// Encodes a TMA descriptor (CUtensorMap) of a ranked memref for the tiled
/// mode of cp.async.bulk.tensor and returns a device pointer to it (the
/// call that `nvgpu.tma.create.descriptor` lowers to). `boxDims` and the
/// memref's sizes and strides are outermost first; the driver takes them
/// innermost first. The enum arguments are the driver's.
extern "C" void *mgpuTensorMapEncodeTiledMemref(int64_t rank, void *descriptor,
                                                int64_t dataType,
                                                int64_t interleave,
                                                int64_t swizzle,
                                                int64_t l2Promotion,
                                                int64_t oobFill,
                                                int64_t *boxDims) {
  const DriverApi &api = requireContext();
  if (!api.cuTensorMapEncodeTiled)
    fatal("this CUDA driver has no cuTensorMapEncodeTiled (TMA needs CUDA "
          "12 or newer)");
  size_t elementBytes = tensorMapElementBytes(dataType);
  if (rank < 1 || rank > 5 || elementBytes == 0)
    fatal("mgpuTensorMapEncodeTiledMemref: bad rank " + std::to_string(rank) +
          " or data type " + std::to_string(dataType));
  // StridedMemRefType<T, rank>: base, data, offset, sizes[rank],
  // strides[rank].
  auto *fields = static_cast<int64_t *>(descriptor);
  auto *data = reinterpret_cast<char *>(fields[1]);
  int64_t offset = fields[2];
  const int64_t *sizes = fields + 3, *strides = fields + 3 + rank;
  uint64_t globalDim[5], globalStrides[4];
  uint32_t box[5], elementStrides[5];
  for (int64_t i = 0; i < rank; ++i) {
    int64_t d = rank - 1 - i;
    if (sizes[d] < 1 || boxDims[d] < 1 || boxDims[d] > 256)
      fatal("TMA descriptor: dimension " + std::to_string(d) + " has size " +
            std::to_string(sizes[d]) + " and box " +
            std::to_string(boxDims[d]) + " (need size >= 1, 1 <= box <= 256)");
    globalDim[i] = static_cast<uint64_t>(sizes[d]);
    box[i] = static_cast<uint32_t>(boxDims[d]);
    elementStrides[i] = 1;
    if (i > 0)
      globalStrides[i - 1] = static_cast<uint64_t>(strides[d]) * elementBytes;
  }
  if (strides[rank - 1] != 1)
    fatal("TMA descriptor: the innermost dimension is not contiguous");
  std::array<uint8_t, 128> map{};
  Result result = api.cuTensorMapEncodeTiled(
      map.data(), static_cast<int>(dataType), static_cast<uint32_t>(rank),
      data + offset * static_cast<int64_t>(elementBytes), globalDim,
      globalStrides, box, elementStrides, static_cast<int>(interleave),
      static_cast<int>(swizzle), static_cast<int>(l2Promotion),
      static_cast<int>(oobFill));
  if (result != kSuccess) {
    std::string dims;
    for (int64_t i = 0; i < rank; ++i)
      dims += (i ? "x" : "") + std::to_string(sizes[i]);
    fatal(callFailed("cuTensorMapEncodeTiled", result) + " (a " + dims +
          " buffer at " +
          std::to_string(reinterpret_cast<uintptr_t>(data)) +
          "; TMA needs a 16-byte-aligned address and row strides that are "
          "multiples of 16 bytes)");
  }
  return reinterpret_cast<void *>(deviceTensorMap(map));
}
