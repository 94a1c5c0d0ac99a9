//===- CudaAbi.cpp - mgpu* functions called by compiled code --------------===//
//
// The ABI of MLIR 22's gpu-to-llvm lowering (declared in rat/Runtime/Cuda.h):
// module registration, launches, streams, events, memory and copies, on the
// driver loaded by CudaDriverLoader.cpp. Compiled code cannot handle errors:
// these functions print `rat runtime: <call> failed: <reason>` and exit, except
// during a capture, where a failure only spoils the capture.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Cuda.h"

#include "CudaState.h"

#include <cstdio>

using namespace rat;
using namespace rat::cu;

extern "C" void *mgpuModuleLoad(void *data, size_t gpuBlobSize) {
  auto *record = new ModuleRecord;
  record->image = data;
  record->imageSize = gpuBlobSize;
  RuntimeState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.modules.push_back(record);
  return record;
}

extern "C" void *mgpuModuleLoadJIT(void *data, int optLevel) {
  auto *record = static_cast<ModuleRecord *>(mgpuModuleLoad(data, 0));
  record->isPtx = true;
  record->optLevel = optLevel;
  return record;
}

extern "C" void mgpuModuleUnload(void *module) {
  if (!module)
    return;
  auto *record = static_cast<ModuleRecord *>(module);
  RuntimeState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  // At exit the driver may be gone already: unloading is best effort.
  if (record->module && s.api.cuModuleUnload)
    (void)s.api.cuModuleUnload(record->module);
  for (auto &[name, function] : record->functions) {
    s.kernelNames.erase(function);
    s.dynamicSharedLimits.erase(function);
  }
  for (size_t i = 0; i < s.modules.size(); ++i) {
    if (s.modules[i] == record) {
      s.modules.erase(s.modules.begin() + static_cast<ptrdiff_t>(i));
      break;
    }
  }
  delete record;
}

extern "C" void *mgpuModuleGetFunction(void *module, const char *name) {
  if (!module)
    fatal(std::string("mgpuModuleGetFunction('") + name +
          "'): the GPU module failed to register");
  const DriverApi &api = requireContext();
  auto *record = static_cast<ModuleRecord *>(module);
  RuntimeState &s = state();
  std::string error;
  {
    std::lock_guard<std::mutex> lock(s.mutex);
    error = loadModuleLocked(s, *record);
    if (error.empty()) {
      auto it = record->functions.find(name);
      if (it != record->functions.end())
        return it->second;
      Function function = nullptr;
      Result result = api.cuModuleGetFunction(&function, record->module, name);
      if (result == kSuccess) {
        record->functions.emplace(name, function);
        s.kernelNames[function] = name;
        return function;
      }
      error = callFailed("cuModuleGetFunction", result) + " (kernel '" + name +
              "')";
    }
  }
  fatal(error);
}

extern "C" void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                                 intptr_t gridZ, intptr_t blockX,
                                 intptr_t blockY, intptr_t blockZ, int32_t smem,
                                 void *stream, void **params, void **extra,
                                 size_t paramsCount) {
  const DriverApi &api = requireContext();
  launch(api, static_cast<Function>(function), /*cluster=*/nullptr, gridX,
         gridY, gridZ, blockX, blockY, blockZ, smem, stream, params, extra,
         paramsCount);
}

extern "C" void mgpuLaunchClusterKernel(void *function, intptr_t clusterX,
                                        intptr_t clusterY, intptr_t clusterZ,
                                        intptr_t gridX, intptr_t gridY,
                                        intptr_t gridZ, intptr_t blockX,
                                        intptr_t blockY, intptr_t blockZ,
                                        int32_t smem, void *stream,
                                        void **params, void **extra) {
  const DriverApi &api = requireContext();
  auto kernel = static_cast<Function>(function);
  if (!api.cuLaunchKernelEx)
    fatal("cluster launch needs cuLaunchKernelEx (CUDA 12 driver) (kernel '" +
          kernelName(kernel) + "')");
  unsigned cluster[3] = {launchDim(clusterX, "cluster size", kernel),
                         launchDim(clusterY, "cluster size", kernel),
                         launchDim(clusterZ, "cluster size", kernel)};
  launch(api, kernel, cluster, gridX, gridY, gridZ, blockX, blockY, blockZ,
         smem, stream, params, extra, /*paramsCount=*/0);
}

extern "C" void *mgpuStreamCreate() {
  const DriverApi &api = requireContext();
  if (Stream stream = state().streamOverride.load())
    return stream;
  Stream stream = nullptr;
  checkFatal(api.cuStreamCreate(&stream, kStreamNonBlocking), "cuStreamCreate");
  return stream;
}

extern "C" void mgpuStreamDestroy(void *stream) {
  const DriverApi &api = requireContext();
  if (isOverride(stream))
    return;
  checkFatal(api.cuStreamDestroy(asStream(stream)), "cuStreamDestroy");
}

extern "C" void mgpuStreamSynchronize(void *stream) {
  const DriverApi &api = requireContext();
  // The owner of an override stream synchronises it (it may be capturing).
  if (isOverride(stream))
    return;
  Stream target = asStream(stream);
  if (Stream override = state().streamOverride.load()) {
    noteUncapturable("a stream synchronisation (mgpuStreamSynchronize)");
    if (inCapture()) {
      captureFail("the step synchronises a stream (mgpuStreamSynchronize)");
      return;
    }
    // Work for the null stream went to the override (effectiveStream).
    if (!target)
      target = override;
  }
  Result result = api.cuStreamSynchronize(target);
  if (result != kSuccess)
    fatal(callFailed("cuStreamSynchronize", result) + lastWorkDescription());
}

extern "C" void mgpuStreamWaitEvent(void *stream, void *event) {
  const DriverApi &api = requireContext();
  checkFatalOrCapture(api.cuStreamWaitEvent(effectiveStream(stream),
                                            static_cast<Event>(event), 0),
                      "cuStreamWaitEvent");
}

extern "C" void *mgpuEventCreate() {
  const DriverApi &api = requireContext();
  Event event = nullptr;
  checkFatal(api.cuEventCreate(&event, kEventDisableTiming), "cuEventCreate");
  return event;
}

extern "C" void mgpuEventDestroy(void *event) {
  const DriverApi &api = requireContext();
  checkFatal(api.cuEventDestroy(static_cast<Event>(event)), "cuEventDestroy");
}

extern "C" void mgpuEventSynchronize(void *event) {
  const DriverApi &api = requireContext();
  noteUncapturable("an event synchronisation (mgpuEventSynchronize)");
  if (inCapture()) {
    captureFail("the step synchronises an event (mgpuEventSynchronize)");
    return;
  }
  checkFatal(api.cuEventSynchronize(static_cast<Event>(event)),
             "cuEventSynchronize");
}

extern "C" void mgpuEventRecord(void *event, void *stream) {
  const DriverApi &api = requireContext();
  checkFatalOrCapture(
      api.cuEventRecord(static_cast<Event>(event), effectiveStream(stream)),
      "cuEventRecord");
}

extern "C" void *mgpuMemAlloc(uint64_t sizeBytes, void *stream,
                              bool isHostShared) {
  const DriverApi &api = requireContext();
  if (sizeBytes == 0)
    return nullptr;
  if (!isHostShared) {
    // Device memory comes from the caching allocator, whatever the stream:
    // its blocks are reused in stream order (see mgpuMemFree).
    (void)stream;
    return poolAllocate(sizeBytes);
  }
  noteUncapturable("a managed allocation (mgpuMemAlloc host_shared)");
  int mode = kStreamCaptureModeRelaxed;
  bool exchanged = false;
  if (inCapture()) {
    captureFail("the step allocates managed memory");
    exchanged = api.cuThreadExchangeStreamCaptureMode &&
                api.cuThreadExchangeStreamCaptureMode(&mode) == kSuccess;
  }
  DevicePtr pointer = 0;
  Result result = api.cuMemAllocManaged(&pointer, sizeBytes, kMemAttachGlobal);
  if (exchanged)
    api.cuThreadExchangeStreamCaptureMode(&mode);
  if (result != kSuccess)
    fatal(callFailed("cuMemAllocManaged", result) + " (" +
          std::to_string(sizeBytes) + " bytes)");
  return reinterpret_cast<void *>(pointer);
}

extern "C" void mgpuMemFree(void *ptr, void *stream) {
  if (!ptr)
    return;
  const DriverApi &api = requireContext();
  RuntimeState &s = state();
  if (stream && !isOverride(stream)) {
    // Work on that stream may still use the block: wait for it before the
    // block can be handed out again.
    noteUncapturable("a free on a stream other than the runtime's");
    if (inCapture()) {
      captureFail("the step frees memory on a stream other than the "
                  "runtime's");
      return;
    }
    checkFatal(api.cuStreamSynchronize(asStream(stream)),
               "cuStreamSynchronize");
  }
  if (s.pool.deallocate(ptr))
    return;
  // Not from the caching allocator (managed memory).
  if (inCapture()) {
    captureFail("the step frees memory with cuMemFree");
    return;
  }
  checkFatal(api.cuMemFree(asDevicePtr(ptr)), "cuMemFree");
}

extern "C" void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                           void *stream) {
  if (sizeBytes == 0)
    return;
  const DriverApi &api = requireContext();
  if (state().streamOverride.load() &&
      (isHostPointer(api, dst) || isHostPointer(api, src))) {
    noteUncapturable("a copy between host and device memory (mgpuMemcpy)");
    if (inCapture()) {
      captureFail("the step copies between host and device memory "
                  "(mgpuMemcpy)");
      return;
    }
  } else if (inCapture()) {
    if (!isOverride(effectiveStream(stream))) {
      captureFail("the step copies on a stream other than the runtime's");
      return;
    }
    recordOperation("memcpy", {reinterpret_cast<uintptr_t>(dst),
                               reinterpret_cast<uintptr_t>(src), sizeBytes});
  }
  checkFatalOrCapture(api.cuMemcpyAsync(asDevicePtr(dst), asDevicePtr(src),
                                        sizeBytes, effectiveStream(stream)),
                      "cuMemcpyAsync");
}

/// mgpuMemset32/16: the driver's `set` (cuMemsetD32Async or
/// cuMemsetD16Async) on the effective stream; during a capture the memset is
/// recorded as `kind`.
template <typename Value, typename SetFn>
static void memsetOnStream(const char *kind, const char *call,
                           SetFn DriverApi::*set, void *dst, Value value,
                           size_t count, void *stream) {
  if (count == 0)
    return;
  const DriverApi &api = requireContext();
  if (inCapture()) {
    if (!isOverride(effectiveStream(stream))) {
      captureFail("the step sets memory on a stream other than the "
                  "runtime's");
      return;
    }
    recordOperation(kind, {reinterpret_cast<uintptr_t>(dst), value, count});
  }
  checkFatalOrCapture(
      (api.*set)(asDevicePtr(dst), value, count, effectiveStream(stream)),
      call);
}

extern "C" void mgpuMemset32(void *dst, unsigned int value, size_t count,
                             void *stream) {
  memsetOnStream("memset32", "cuMemsetD32Async", &DriverApi::cuMemsetD32Async,
                 dst, value, count, stream);
}

extern "C" void mgpuMemset16(void *dst, unsigned short value, size_t count,
                             void *stream) {
  memsetOnStream("memset16", "cuMemsetD16Async", &DriverApi::cuMemsetD16Async,
                 dst, value, count, stream);
}

/// For memrefCopy (MemRefCopy.cpp): copies one contiguous run with the
/// driver, on the stream compiled code uses, if either side is device memory;
/// false if both are host memory (or there is no usable driver).
extern "C" bool rat_cuda_device_copy(void *dst, const void *src, size_t bytes) {
  if (!makeContextCurrent().empty())
    return false;
  const DriverApi &api = state().api;
  bool hostDst = isHostPointer(api, dst), hostSrc = isHostPointer(api, src);
  if (hostDst && hostSrc)
    return false;
  if (bytes == 0)
    return true;
  if (hostDst || hostSrc) {
    noteUncapturable("a strided copy between host and device memory "
                     "(memrefCopy)");
    if (inCapture()) {
      captureFail("the step copies between host and device memory "
                  "(memrefCopy)");
      return true;
    }
  } else if (inCapture()) {
    recordOperation("memrefCopy", {reinterpret_cast<uintptr_t>(dst),
                                   reinterpret_cast<uintptr_t>(src), bytes});
  }
  checkFatalOrCapture(api.cuMemcpyAsync(asDevicePtr(dst), asDevicePtr(src),
                                        bytes, effectiveStream(nullptr)),
                      "cuMemcpyAsync (memrefCopy)");
  // A copy into host memory must be complete when memrefCopy returns.
  if (hostDst && !inCapture())
    checkFatal(api.cuStreamSynchronize(effectiveStream(nullptr)),
               "cuStreamSynchronize");
  return true;
}

extern "C" void mgpuSetDefaultDevice(int32_t device) {
  RuntimeState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.initAttempted && device != s.deviceOrdinal) {
    std::fprintf(stderr,
                 "rat runtime: mgpuSetDefaultDevice(%d) ignored: the CUDA "
                 "context already lives on device %d\n",
                 device, s.deviceOrdinal);
    return;
  }
  s.requestedDevice = device;
}

extern "C" const char *rat_runtime_check_gpu(void) {
  if (std::string error = makeContextCurrent(); !error.empty()) {
    // makeContextCurrent may fail after initialisation (cuCtxSetCurrent);
    // keep the message alive in the never-destroyed state.
    RuntimeState &s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    if (s.initError.empty())
      s.initError = error;
    return s.initError.c_str();
  }
  return loadAllModules();
}
