//===- CudaState.cpp - Process state and errors of the CUDA runtime -------===//
//
// The never-destroyed process state, error reporting, the bookkeeping of
// stream captures and the device memory blocks of the caching allocator
// (CudaState.h says why the state is never destroyed).
//
//===----------------------------------------------------------------------===//

#include "CudaState.h"

#include "rat/Runtime/Error.h"
#include "rat/Runtime/OutOfMemory.h"

#include <cstdio>
#include <cstdlib>

using namespace rat;

namespace rat::cu {

RuntimeState &state() {
  static RuntimeState *instance = new RuntimeState;
  return *instance;
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

std::string errorText(Result result) {
  const DriverApi &api = state().api;
  const char *text = nullptr;
  const char *name = nullptr;
  if (api.cuGetErrorString)
    api.cuGetErrorString(result, &text);
  if (api.cuGetErrorName)
    api.cuGetErrorName(result, &name);
  std::string message = text ? text : "unknown CUDA error";
  message += name ? std::string(" (") + name + ")"
                  : " (CUresult " + std::to_string(result) + ")";
  return message;
}

std::string callFailed(const char *call, Result result) {
  return std::string(call) + " failed: " + errorText(result);
}

[[noreturn]] void fatal(const std::string &message) {
  std::fprintf(stderr, "rat runtime: %s\n", message.c_str());
  std::fflush(stderr);
  std::exit(1);
}

void checkFatal(Result result, const char *call) {
  if (result != kSuccess)
    fatal(callFailed(call, result));
}

std::string kernelName(Function function) {
  RuntimeState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  auto it = s.kernelNames.find(function);
  return it == s.kernelNames.end() ? std::string() : it->second;
}

void checkLaunch(Result result, const char *call, Function function) {
  if (result == kSuccess)
    return;
  std::string name = kernelName(function);
  fatal(callFailed(call, result) + " (kernel '" +
        (name.empty() ? "<unknown>" : name) + "')");
}

void checkOrThrow(Result result, const char *call) {
  if (result != kSuccess)
    throw RatError(callFailed(call, result));
}

//===----------------------------------------------------------------------===//
// Streams and capture bookkeeping
//===----------------------------------------------------------------------===//

bool isOverride(void *stream) {
  return stream && stream == state().streamOverride.load();
}

Stream effectiveStream(void *stream) {
  return stream ? asStream(stream) : state().streamOverride.load();
}

bool inCapture() {
  RuntimeState &s = state();
  return s.capturing.load(std::memory_order_acquire) &&
         s.captureThread == std::this_thread::get_id();
}

void captureFail(const std::string &why) {
  RuntimeState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.captureError.empty())
    s.captureError = why;
}

void noteUncapturable(const char *what) {
  RuntimeState &s = state();
  if (!s.streamOverride.load())
    return;
  std::lock_guard<std::mutex> lock(s.mutex);
  s.uncapturable.fetch_add(1);
  if (s.firstUncapturable.empty())
    s.firstUncapturable = what;
}

void checkFatalOrCapture(Result result, const char *call) {
  if (result == kSuccess)
    return;
  if (inCapture()) {
    captureFail(callFailed(call, result));
    return;
  }
  fatal(callFailed(call, result));
}

bool isHostPointer(const DriverApi &api, const void *pointer) {
  unsigned type = 0;
  if (api.cuPointerGetAttribute(&type, kPointerAttributeMemoryType,
                                asDevicePtr(pointer)) != kSuccess)
    return true; // unregistered host memory
  return type == kMemoryTypeHost;
}

void noteKernelLaunched(Function kernel) {
  RuntimeState &s = state();
  s.lastLaunched.store(kernel);
  s.lastWorkIsGraph.store(false);
}

std::string lastWorkDescription() {
  RuntimeState &s = state();
  if (s.lastWorkIsGraph.load()) {
    std::lock_guard<std::mutex> lock(s.mutex);
    return " (after launching " + s.lastGraphLabel + ")";
  }
  if (Function last = s.lastLaunched.load()) {
    std::string name = kernelName(last);
    if (!name.empty())
      return " (after launching kernel '" + name + "')";
  }
  return "";
}

void recordOperation(const char *kind, std::vector<uint64_t> operands) {
  RuntimeState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.captureLog.operations.push_back({kind, std::move(operands)});
}

void synchronizeOrThrow(const DriverApi &api, Stream stream) {
  Result result =
      stream ? api.cuStreamSynchronize(stream) : api.cuCtxSynchronize();
  if (result != kSuccess)
    throw RatError(
        callFailed(stream ? "cuStreamSynchronize" : "cuCtxSynchronize",
                   result) +
        lastWorkDescription());
}

//===----------------------------------------------------------------------===//
// Device memory
//===----------------------------------------------------------------------===//

void *poolAllocate(size_t bytes) {
  RuntimeState &s = state();
  if (void *block = s.pool.allocate(bytes))
    return block;
  // The allocator's lock is released: exiting may run its exit handler.
  std::string held = std::to_string(s.pool.stats().totalBytes >> 20) +
                     " MiB already allocated";
  if (s.blockSource.lastOutOfMemory)
    exitOutOfMemory(MemorySpace::Device, bytes, "a buffer of compiled code",
                    s.blockSource.lastError + "; " + held);
  fatal(s.blockSource.lastError + " (" + std::to_string(bytes) + " bytes; " +
        held + ")");
}

void *CudaBlockSource::allocateBlock(size_t bytes) {
  const DriverApi &api = state().api;
  // cuMemAlloc is no stream operation, but a thread-local capture forbids
  // it; relaxed mode allows it (the block is not part of the graph).
  int mode = kStreamCaptureModeRelaxed;
  bool exchanged = inCapture() && api.cuThreadExchangeStreamCaptureMode &&
                   api.cuThreadExchangeStreamCaptureMode(&mode) == kSuccess;
  DevicePtr pointer = 0;
  bool refused = allocationRefusedForTest(bytes);
  Result result = refused ? kErrorOutOfMemory : api.cuMemAlloc(&pointer, bytes);
  if (exchanged)
    api.cuThreadExchangeStreamCaptureMode(&mode);
  lastOutOfMemory = result == kErrorOutOfMemory;
  if (result != kSuccess) {
    lastError = refused ? "refused by RAT_TEST_ALLOC_LIMIT"
                        : callFailed("cuMemAlloc", result);
    return nullptr;
  }
  return reinterpret_cast<void *>(pointer);
}

void CudaBlockSource::releaseBlock(void *block, size_t) {
  // At exit the driver may be gone already: best effort.
  const DriverApi &api = state().api;
  if (api.cuMemFree)
    (void)api.cuMemFree(asDevicePtr(block));
}

bool CudaBlockSource::prepareToRelease() {
  if (inCapture())
    return false;
  RuntimeState &s = state();
  Stream stream = s.streamOverride.load();
  return (stream ? s.api.cuStreamSynchronize(stream)
                 : s.api.cuCtxSynchronize()) == kSuccess;
}

namespace {
/// Returns the device memory still held at exit (normally only cached
/// blocks: the generic main releases the rest itself). Runs after the
/// driver's own exit handlers, whose failures are then ignored.
struct ReleaseDeviceMemoryAtExit {
  ~ReleaseDeviceMemoryAtExit() {
    RuntimeState &s = state();
    if (s.api.cuMemFree && s.context)
      s.pool.releaseAll();
  }
} releaseDeviceMemoryAtExit;
} // namespace

} // namespace rat::cu
