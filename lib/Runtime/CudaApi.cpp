//===- CudaApi.cpp - The host-side C++ API of rat/Runtime/Cuda.h ----------===//
//
// rat::cuda::* for the generic main's backend, tools and tests: the same
// driver and context as the mgpu* functions, but errors throw RatError.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Cuda.h"

#include "CudaState.h"
#include "rat/Runtime/Error.h"
#include "rat/Runtime/GpuImage.h"

using namespace rat;
using namespace rat::cu;

void rat::cuda::checkGpu() {
  if (const char *error = rat_runtime_check_gpu())
    throw RatError(error);
}

std::string rat::cuda::deviceDescription() {
  const DriverApi &api = requireContextOrThrow();
  RuntimeState &s = state();
  char name[256] = {0};
  checkOrThrow(api.cuDeviceGetName(name, sizeof(name) - 1, s.device),
               "cuDeviceGetName");
  size_t memory = 0;
  checkOrThrow(api.cuDeviceTotalMem(&memory, s.device), "cuDeviceTotalMem");
  return std::string(name) + " (device " + std::to_string(s.deviceOrdinal) +
         ", sm_" + std::to_string(s.ccMajor) + std::to_string(s.ccMinor) +
         ", " + std::to_string(memory >> 30) + " GiB)";
}

std::string rat::cuda::kernelCodeDescription() {
  requireContextOrThrow();
  RuntimeState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  std::string text;
  for (ModuleRecord *record : s.modules) {
    std::vector<GpuCode> code = listGpuCode(record->image, record->imageSize);
    const GpuCode *used = selectGpuCode(code, s.ccMajor, s.ccMinor);
    if (!text.empty())
      text += "; ";
    if (!used)
      text += "no code for this GPU";
    else if (used->kind == GpuCode::Kind::Ptx)
      text += used->name() + ", JIT-compiled by the driver";
    else
      text += used->name();
    text += " (of " + describeGpuCode(code) + ")";
  }
  return text.empty() ? "" : "kernels: " + text;
}

void *rat::cuda::deviceAlloc(size_t bytes) {
  const DriverApi &api = requireContextOrThrow();
  if (bytes == 0)
    return nullptr;
  DevicePtr pointer = 0;
  if (Result result = api.cuMemAlloc(&pointer, bytes); result != kSuccess)
    throw RatError(callFailed("cuMemAlloc", result) + " (" +
                   std::to_string(bytes) + " bytes)");
  return reinterpret_cast<void *>(pointer);
}

void rat::cuda::deviceFree(void *pointer) {
  if (!pointer)
    return;
  const DriverApi &api = requireContextOrThrow();
  // Also accepts buffers of compiled code (caching allocator).
  if (state().pool.deallocate(pointer))
    return;
  checkOrThrow(api.cuMemFree(asDevicePtr(pointer)), "cuMemFree");
}

void rat::cuda::copyHostToDevice(void *device, const void *host, size_t bytes) {
  if (!bytes)
    return;
  const DriverApi &api = requireContextOrThrow();
  checkOrThrow(api.cuMemcpyHtoD(asDevicePtr(device), host, bytes),
               "cuMemcpyHtoD");
}

void rat::cuda::copyDeviceToHost(void *host, const void *device, size_t bytes) {
  if (!bytes)
    return;
  const DriverApi &api = requireContextOrThrow();
  checkOrThrow(api.cuMemcpyDtoH(host, asDevicePtr(device), bytes),
               "cuMemcpyDtoH");
}

void rat::cuda::copy(void *destination, const void *source, size_t bytes) {
  if (!bytes)
    return;
  const DriverApi &api = requireContextOrThrow();
  checkOrThrow(
      api.cuMemcpy(asDevicePtr(destination), asDevicePtr(source), bytes),
      "cuMemcpy");
}

void rat::cuda::memsetZero(void *device, size_t bytes) {
  if (!bytes)
    return;
  const DriverApi &api = requireContextOrThrow();
  checkOrThrow(api.cuMemsetD8(asDevicePtr(device), 0, bytes), "cuMemsetD8");
}

void rat::cuda::synchronize() {
  const DriverApi &api = requireContextOrThrow();
  checkOrThrow(api.cuCtxSynchronize(), "cuCtxSynchronize");
}

void *rat::cuda::createTimingEvent() {
  const DriverApi &api = requireContextOrThrow();
  Event event = nullptr;
  checkOrThrow(api.cuEventCreate(&event, kEventDefault), "cuEventCreate");
  return event;
}

void rat::cuda::destroyEvent(void *event) {
  const DriverApi &api = requireContextOrThrow();
  checkOrThrow(api.cuEventDestroy(static_cast<Event>(event)), "cuEventDestroy");
}

void rat::cuda::recordEvent(void *event, void *stream) {
  const DriverApi &api = requireContextOrThrow();
  checkOrThrow(api.cuEventRecord(static_cast<Event>(event), asStream(stream)),
               "cuEventRecord");
}

float rat::cuda::elapsedMs(void *start, void *end) {
  const DriverApi &api = requireContextOrThrow();
  checkOrThrow(api.cuEventSynchronize(static_cast<Event>(end)),
               "cuEventSynchronize");
  float milliseconds = 0;
  checkOrThrow(api.cuEventElapsedTime(&milliseconds, static_cast<Event>(start),
                                      static_cast<Event>(end)),
               "cuEventElapsedTime");
  return milliseconds;
}

void rat::cuda::setStreamOverride(void *stream) {
  state().streamOverride.store(asStream(stream));
}

void *rat::cuda::createStream() {
  const DriverApi &api = requireContextOrThrow();
  Stream stream = nullptr;
  checkOrThrow(api.cuStreamCreate(&stream, kStreamNonBlocking),
               "cuStreamCreate");
  return stream;
}

void rat::cuda::destroyStream(void *stream) {
  const DriverApi &api = requireContextOrThrow();
  checkOrThrow(api.cuStreamDestroy(asStream(stream)), "cuStreamDestroy");
}

/// Graph entry points are optional in DriverApi; require them here.
static const DriverApi &requireGraphApi() {
  const DriverApi &api = requireContextOrThrow();
  if (!api.cuStreamBeginCapture || !api.cuStreamEndCapture ||
      !api.cuGraphInstantiateWithFlags || !api.cuGraphLaunch ||
      !api.cuGraphExecDestroy || !api.cuGraphDestroy)
    throw RatError("CUDA graphs need a newer driver (cuGraphInstantiateWith"
                   "Flags and cuStreamBeginCapture_v2 are missing)");
  return api;
}

void rat::cuda::beginCapture(void *stream) {
  const DriverApi &api = requireGraphApi();
  checkOrThrow(
      api.cuStreamBeginCapture(asStream(stream), kStreamCaptureModeThreadLocal),
      "cuStreamBeginCapture");
}

void *rat::cuda::endCaptureAndInstantiate(void *stream) {
  const DriverApi &api = requireGraphApi();
  Graph graph = nullptr;
  checkOrThrow(api.cuStreamEndCapture(asStream(stream), &graph),
               "cuStreamEndCapture");
  GraphExec exec = nullptr;
  Result result = api.cuGraphInstantiateWithFlags(&exec, graph, 0);
  api.cuGraphDestroy(graph);
  checkOrThrow(result, "cuGraphInstantiateWithFlags");
  return exec;
}

void rat::cuda::launchGraph(void *graphExec, void *stream) {
  const DriverApi &api = requireGraphApi();
  checkOrThrow(
      api.cuGraphLaunch(static_cast<GraphExec>(graphExec), asStream(stream)),
      "cuGraphLaunch");
}

void rat::cuda::destroyGraphExec(void *graphExec) {
  const DriverApi &api = requireGraphApi();
  checkOrThrow(api.cuGraphExecDestroy(static_cast<GraphExec>(graphExec)),
               "cuGraphExecDestroy");
}
