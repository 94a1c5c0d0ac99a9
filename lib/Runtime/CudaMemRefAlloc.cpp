//===- CudaMemRefAlloc.cpp - device memory for compiled host code -*- C++
//-*-===//
//
// Host code compiled for the cuda target lowers memref.alloc/dealloc with
// `finalize-memref-to-llvm{use-generic-functions}` to these two functions:
// every buffer of a CUDA model lives in device memory, from the caching
// allocator behind mgpuMemAlloc/mgpuMemFree (CachingAllocator.h): a freed
// buffer is reused for the next allocation of its size, without cuMemFree.
//
//===----------------------------------------------------------------------===//

#include <cstddef>
#include <cstdint>

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
