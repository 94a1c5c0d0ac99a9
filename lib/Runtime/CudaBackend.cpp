//===- CudaBackend.cpp - The CUDA DeviceBackend of the generic main -------===//
//
// Device memory from the caching allocator, copies ordered on the process
// stream, CUDA-event timers. Defines rat_cuda_backend and rat_cuda_execution
// in one object: the session references both weakly and a CUDA link forces
// rat_cuda_backend (--undefined), so a CUDA executable always has both.
//
//===----------------------------------------------------------------------===//

#include "CudaState.h"
#include "rat/Runtime/Cuda.h"
#include "rat/Runtime/DeviceBackend.h"
#include "rat/Runtime/Error.h"

using namespace rat;
using namespace rat::cu;

namespace {

/// Times work with CUDA events on the stream compiled code uses (the
/// override, else the legacy default stream).
class CudaTimer final : public DeviceTimer {
public:
  CudaTimer()
      : startEvent(cuda::createTimingEvent()),
        stopEvent(cuda::createTimingEvent()) {}
  ~CudaTimer() override {
    // Destructors must not throw; a failure here only leaks an event.
    try {
      cuda::destroyEvent(startEvent);
      cuda::destroyEvent(stopEvent);
    } catch (const RatError &) {
    }
  }
  void start() override {
    cuda::recordEvent(startEvent, state().streamOverride.load());
  }
  double stopMs() override {
    cuda::recordEvent(stopEvent, state().streamOverride.load());
    return cuda::elapsedMs(startEvent, stopEvent);
  }

private:
  void *startEvent;
  void *stopEvent;
};

/// Tensors of the generic main. Memory comes from the caching allocator
/// (results of compiled code are its blocks too); copies are ordered on the
/// stream override when there is one (always in the generic main), so no
/// copy races the compiled code's kernels.
class CudaBackend final : public DeviceBackend {
public:
  const char *targetName() const override { return "cuda"; }
  void initialize(int device) override {
    if (device >= 0)
      mgpuSetDefaultDevice(device);
    cuda::checkGpu();
  }
  std::string deviceDescription() override { return cuda::deviceDescription(); }
  std::string kernelCodeDescription() override {
    return cuda::kernelCodeDescription();
  }
  bool isHostMemory() const override { return false; }
  void *allocate(size_t bytes) override {
    requireContextOrThrow();
    return allocateSessionBuffer(bytes);
  }
  void deallocate(void *pointer) override { cuda::deviceFree(pointer); }
  void copyToDevice(void *destination, const void *source,
                    size_t bytes) override {
    if (!bytes)
      return;
    const DriverApi &api = requireContextOrThrow();
    // From pageable memory the data is staged before this returns.
    checkOrThrow(api.cuMemcpyHtoDAsync(asDevicePtr(destination), source, bytes,
                                       stream()),
                 "cuMemcpyHtoDAsync");
  }
  void copyToHost(void *destination, const void *source,
                  size_t bytes) override {
    if (!bytes)
      return;
    const DriverApi &api = requireContextOrThrow();
    Stream target = stream();
    checkOrThrow(
        api.cuMemcpyDtoHAsync(destination, asDevicePtr(source), bytes, target),
        "cuMemcpyDtoHAsync");
    synchronizeOrThrow(api, target);
  }
  void copyOnDevice(void *destination, const void *source,
                    size_t bytes) override {
    if (!bytes)
      return;
    const DriverApi &api = requireContextOrThrow();
    checkOrThrow(api.cuMemcpyAsync(asDevicePtr(destination),
                                   asDevicePtr(source), bytes, stream()),
                 "cuMemcpyAsync");
  }
  void fillZero(void *destination, size_t bytes) override {
    if (!bytes)
      return;
    const DriverApi &api = requireContextOrThrow();
    checkOrThrow(
        api.cuMemsetD8Async(asDevicePtr(destination), 0, bytes, stream()),
        "cuMemsetD8Async");
  }
  void synchronize() override {
    const DriverApi &api = requireContextOrThrow();
    synchronizeOrThrow(api, nullptr);
  }
  std::unique_ptr<DeviceTimer> createTimer() override {
    return std::make_unique<CudaTimer>();
  }

private:
  static Stream stream() { return state().streamOverride.load(); }
};

} // namespace

extern "C" rat::DeviceExecution *rat_cuda_execution(void) {
  return cudaExecution();
}

extern "C" rat::DeviceBackend *rat_cuda_backend(void) {
  static CudaBackend *backend = new CudaBackend;
  return backend;
}
