//===- HostBackend.cpp - The DeviceBackend of the cpu target --------------===//

#include "rat/Runtime/Device.h"
#include "rat/Runtime/OutOfMemory.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

using namespace rat;

namespace {

class HostTimer final : public DeviceTimer {
public:
  void start() override { begin = std::chrono::steady_clock::now(); }
  double stopMs() override {
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now() - begin)
        .count();
  }

private:
  std::chrono::steady_clock::time_point begin;
};

/// Tensors of the CPU target live in ordinary heap memory; results of
/// compiled CPU code come from malloc, so deallocate() is free().
class HostBackend final : public DeviceBackend {
public:
  const char *targetName() const override { return "cpu"; }
  void initialize(int) override {}
  std::string deviceDescription() override { return "host CPU"; }
  bool isHostMemory() const override { return true; }
  void *allocate(size_t bytes) override {
    if (bytes == 0)
      return nullptr;
    constexpr size_t alignment = 64;
    if (bytes > std::numeric_limits<size_t>::max() - alignment ||
        allocationRefusedForTest(bytes))
      throw std::bad_alloc();
    void *pointer = std::aligned_alloc(alignment, (bytes + alignment - 1) /
                                                      alignment * alignment);
    if (!pointer)
      throw std::bad_alloc();
    return pointer;
  }
  void deallocate(void *pointer) override { std::free(pointer); }
  void copyToDevice(void *destination, const void *source,
                    size_t bytes) override {
    if (bytes)
      std::memcpy(destination, source, bytes);
  }
  void copyToHost(void *destination, const void *source,
                  size_t bytes) override {
    if (bytes)
      std::memcpy(destination, source, bytes);
  }
  void copyOnDevice(void *destination, const void *source,
                    size_t bytes) override {
    if (bytes)
      std::memmove(destination, source, bytes);
  }
  void fillZero(void *destination, size_t bytes) override {
    if (bytes)
      std::memset(destination, 0, bytes);
  }
  void synchronize() override {}
  std::unique_ptr<DeviceTimer> createTimer() override {
    return std::make_unique<HostTimer>();
  }
};

} // namespace

DeviceBackend &rat::hostBackend() {
  static HostBackend backend;
  return backend;
}

//===----------------------------------------------------------------------===//
// Buffers of compiled CPU code
//===----------------------------------------------------------------------===//

// Host code lowers memref.alloc/dealloc with
// `finalize-memref-to-llvm{use-generic-functions}` to these two functions
// (plain malloc would hand compiled code a null pointer to write through when
// memory runs out). Weak: a CUDA executable also links RatCudaRuntime, whose
// strong definitions (CudaMemRefAlloc.cpp) put every buffer in device memory.

extern "C" __attribute__((weak)) void *_mlir_memref_to_llvm_alloc(size_t bytes) {
  // malloc(0) may return null; an empty buffer still needs an address.
  void *pointer =
      allocationRefusedForTest(bytes) ? nullptr : std::malloc(bytes ? bytes : 1);
  if (!pointer)
    exitOutOfMemory(MemorySpace::Host, bytes, "a buffer of compiled code");
  return pointer;
}

extern "C" __attribute__((weak)) void _mlir_memref_to_llvm_free(void *pointer) {
  std::free(pointer);
}
