//===- CudaMemRefAlloc.cpp - Device memory of compiled code and session ---===//
//
// Host code compiled for the cuda target lowers memref.alloc/dealloc with
// `finalize-memref-to-llvm{use-generic-functions}` to the two functions
// below: every buffer of a CUDA model lives in device memory, from the
// caching allocator behind mgpuMemAlloc/mgpuMemFree (CachingAllocator.h): a
// freed buffer is reused for the next allocation of its size, without
// cuMemFree. They override the weak host versions of RatRuntimeSession
// (HostBackend.cpp); the session's own device buffers come from here too
// (allocateSessionBuffer), so the CUDA backend, which every CUDA link pulls
// in, always brings this object with it.
//
// Running out of device memory is `error: out of device memory allocating N
// bytes ...` (OutOfMemory.h): an exit from compiled code, an exception in
// the session.
//
//===----------------------------------------------------------------------===//

#include "CudaState.h"
#include "rat/Runtime/Error.h"
#include "rat/Runtime/OutOfMemory.h"

#include <cstddef>
#include <cstdint>

using namespace rat;
using namespace rat::cu;

extern "C" void *mgpuMemAlloc(uint64_t sizeBytes, void *stream,
                              bool isHostShared);
extern "C" void mgpuMemFree(void *ptr, void *stream);

extern "C" void *_mlir_memref_to_llvm_alloc(size_t sizeBytes) {
  // cuMemAlloc rejects zero bytes; an empty buffer still needs an address.
  return mgpuMemAlloc(sizeBytes ? sizeBytes : 1, /*stream=*/nullptr,
                      /*isHostShared=*/false);
}

extern "C" void _mlir_memref_to_llvm_free(void *ptr) {
  if (ptr)
    mgpuMemFree(ptr, /*stream=*/nullptr);
}

void *rat::cu::allocateSessionBuffer(size_t bytes) {
  if (bytes == 0)
    return nullptr;
  RuntimeState &s = state();
  if (void *block = s.pool.allocate(bytes))
    return block;
  if (s.blockSource.lastOutOfMemory)
    throw AllocationFailure(
        s.blockSource.lastError + "; " +
        std::to_string(s.pool.stats().totalBytes >> 20) +
        " MiB already allocated");
  throw RatError(s.blockSource.lastError + " (" + std::to_string(bytes) +
                 " bytes)");
}
