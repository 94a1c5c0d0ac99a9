//===- CudaDriverLoader.cpp - libcuda loaded at run time ------------------===//
//
// Loads libcuda.so.1 with dlopen, resolves the driver entry points the
// runtime uses (CudaDriverApi.h), initialises the device and its primary
// context once per process and loads the registered GPU images. An executable
// on a machine without a driver gets a clear message here instead of failing
// to start.
//
//===----------------------------------------------------------------------===//

#include "CudaState.h"

#include "rat/Runtime/Error.h"
#include "rat/Runtime/GpuImage.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <limits>

using namespace rat;

namespace rat::cu {

namespace {

/// Whether this thread has made the primary context current.
thread_local bool contextIsCurrent = false;

struct SymbolSpec {
  void *slot;
  const char *names[2];
  bool required;
};

/// Loads libcuda and resolves the entry points; returns an error or "".
std::string loadDriver(RuntimeState &s) {
  const char *libraries[] = {"libcuda.so.1", "libcuda.so"};
  std::string dlError;
  for (const char *library : libraries) {
    s.library = ::dlopen(library, RTLD_NOW | RTLD_LOCAL);
    if (s.library)
      break;
    if (const char *text = ::dlerror(); text && dlError.empty())
      dlError = text;
  }
  if (!s.library)
    return "no CUDA driver: libcuda.so.1 not found (" + dlError + ")";

  DriverApi &api = s.api;
  // Where the driver exports a versioned symbol, cuda.h maps the plain name
  // to it (cuMemAlloc -> cuMemAlloc_v2); the unversioned one is the old ABI.
  const SymbolSpec symbols[] = {
      {&api.cuInit, {"cuInit"}, true},
      {&api.cuGetErrorString, {"cuGetErrorString"}, true},
      {&api.cuGetErrorName, {"cuGetErrorName"}, true},
      {&api.cuDeviceGetCount, {"cuDeviceGetCount"}, true},
      {&api.cuDeviceGet, {"cuDeviceGet"}, true},
      {&api.cuDeviceGetName, {"cuDeviceGetName"}, true},
      {&api.cuDeviceGetAttribute, {"cuDeviceGetAttribute"}, true},
      {&api.cuDeviceTotalMem, {"cuDeviceTotalMem_v2"}, true},
      {&api.cuDevicePrimaryCtxRetain, {"cuDevicePrimaryCtxRetain"}, true},
      {&api.cuCtxSetCurrent, {"cuCtxSetCurrent"}, true},
      {&api.cuCtxSynchronize, {"cuCtxSynchronize"}, true},
      {&api.cuModuleLoadData, {"cuModuleLoadData"}, true},
      {&api.cuModuleLoadDataEx, {"cuModuleLoadDataEx"}, true},
      {&api.cuModuleUnload, {"cuModuleUnload"}, true},
      {&api.cuModuleGetFunction, {"cuModuleGetFunction"}, true},
      {&api.cuFuncSetAttribute, {"cuFuncSetAttribute"}, true},
      {&api.cuLaunchKernel, {"cuLaunchKernel"}, true},
      {&api.cuStreamCreate, {"cuStreamCreate"}, true},
      {&api.cuStreamDestroy, {"cuStreamDestroy_v2"}, true},
      {&api.cuStreamSynchronize, {"cuStreamSynchronize"}, true},
      {&api.cuStreamWaitEvent, {"cuStreamWaitEvent"}, true},
      {&api.cuEventCreate, {"cuEventCreate"}, true},
      {&api.cuEventDestroy, {"cuEventDestroy_v2"}, true},
      {&api.cuEventSynchronize, {"cuEventSynchronize"}, true},
      {&api.cuEventRecord, {"cuEventRecord"}, true},
      {&api.cuEventElapsedTime,
       {"cuEventElapsedTime_v2", "cuEventElapsedTime"},
       true},
      {&api.cuMemAlloc, {"cuMemAlloc_v2"}, true},
      {&api.cuMemAllocManaged, {"cuMemAllocManaged"}, true},
      {&api.cuMemFree, {"cuMemFree_v2"}, true},
      {&api.cuMemcpy, {"cuMemcpy"}, true},
      {&api.cuMemcpyAsync, {"cuMemcpyAsync"}, true},
      {&api.cuMemcpyHtoD, {"cuMemcpyHtoD_v2"}, true},
      {&api.cuMemcpyDtoH, {"cuMemcpyDtoH_v2"}, true},
      {&api.cuMemsetD8, {"cuMemsetD8_v2"}, true},
      {&api.cuMemsetD16Async, {"cuMemsetD16Async"}, true},
      {&api.cuMemsetD32Async, {"cuMemsetD32Async"}, true},
      {&api.cuMemcpyHtoDAsync, {"cuMemcpyHtoDAsync_v2"}, true},
      {&api.cuMemcpyDtoHAsync, {"cuMemcpyDtoHAsync_v2"}, true},
      {&api.cuMemsetD8Async, {"cuMemsetD8Async"}, true},
      {&api.cuPointerGetAttribute, {"cuPointerGetAttribute"}, true},
      {&api.cuLaunchKernelEx, {"cuLaunchKernelEx"}, false},
      {&api.cuMemAllocAsync, {"cuMemAllocAsync"}, false},
      {&api.cuMemFreeAsync, {"cuMemFreeAsync"}, false},
      {&api.cuDeviceGetDefaultMemPool, {"cuDeviceGetDefaultMemPool"}, false},
      {&api.cuMemPoolSetAttribute, {"cuMemPoolSetAttribute"}, false},
      {&api.cuStreamBeginCapture, {"cuStreamBeginCapture_v2"}, false},
      {&api.cuStreamEndCapture, {"cuStreamEndCapture"}, false},
      {&api.cuGraphInstantiateWithFlags,
       {"cuGraphInstantiateWithFlags"},
       false},
      {&api.cuGraphLaunch, {"cuGraphLaunch"}, false},
      {&api.cuGraphExecDestroy, {"cuGraphExecDestroy"}, false},
      {&api.cuGraphDestroy, {"cuGraphDestroy"}, false},
      {&api.cuThreadExchangeStreamCaptureMode,
       {"cuThreadExchangeStreamCaptureMode"},
       false},
      {&api.cuFuncGetParamInfo, {"cuFuncGetParamInfo"}, false},
      {&api.cuStreamGetCaptureInfo, {"cuStreamGetCaptureInfo_v2"}, false},
      {&api.cuGraphExecKernelNodeSetParams,
       {"cuGraphExecKernelNodeSetParams_v2"},
       false},
      {&api.cuTensorMapEncodeTiled, {"cuTensorMapEncodeTiled"}, false},
  };
  for (const SymbolSpec &symbol : symbols) {
    void *address = nullptr;
    for (const char *name : symbol.names)
      if (name && !address)
        address = ::dlsym(s.library, name);
    if (!address && symbol.required)
      return std::string("unusable CUDA driver: libcuda.so.1 has no ") +
             symbol.names[0] + " (driver too old?)";
    // The slot is a function pointer; dlsym returns void *.
    std::memcpy(symbol.slot, &address, sizeof(address));
  }
  // CUDA 11 drivers only have the first version (a shorter parameter struct).
  if (!api.cuGraphExecKernelNodeSetParams) {
    void *address = ::dlsym(s.library, "cuGraphExecKernelNodeSetParams");
    std::memcpy(&api.cuGraphExecKernelNodeSetParamsV1, &address,
                sizeof(address));
  }
  return "";
}

/// Parses $RAT_DEVICE; returns false if it is set but not a number.
bool deviceFromEnvironment(int &device) {
  const char *text = std::getenv("RAT_DEVICE");
  device = 0;
  if (!text || !*text)
    return true;
  char *end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (*end || value < 0 || value > std::numeric_limits<int>::max())
    return false;
  device = static_cast<int>(value);
  return true;
}

/// Brings up the driver and the primary context; returns an error or "".
std::string initialize(RuntimeState &s) {
  if (std::string error = loadDriver(s); !error.empty())
    return error;
  DriverApi &api = s.api;
  if (Result result = api.cuInit(0); result != kSuccess)
    return (result == kErrorNoDevice ? "no CUDA device: " : "") +
           callFailed("cuInit", result);
  int count = 0;
  if (Result result = api.cuDeviceGetCount(&count); result != kSuccess)
    return callFailed("cuDeviceGetCount", result);
  if (count == 0)
    return "no CUDA device: the driver reports 0 devices";
  int ordinal = s.requestedDevice;
  if (ordinal < 0 && !deviceFromEnvironment(ordinal))
    return std::string("RAT_DEVICE='") + std::getenv("RAT_DEVICE") +
           "' is not a device number";
  if (ordinal >= count)
    return "CUDA device " + std::to_string(ordinal) + " does not exist (" +
           std::to_string(count) + " device" + (count == 1 ? "" : "s") + ")";
  s.deviceOrdinal = ordinal;
  if (Result result = api.cuDeviceGet(&s.device, ordinal); result != kSuccess)
    return callFailed("cuDeviceGet", result);
  if (Result result = api.cuDevicePrimaryCtxRetain(&s.context, s.device);
      result != kSuccess)
    return callFailed("cuDevicePrimaryCtxRetain", result);
  api.cuDeviceGetAttribute(&s.ccMajor, kDeviceAttributeComputeCapabilityMajor,
                           s.device);
  api.cuDeviceGetAttribute(&s.ccMinor, kDeviceAttributeComputeCapabilityMinor,
                           s.device);
  int optin = 0;
  if (api.cuDeviceGetAttribute(&optin,
                               kDeviceAttributeMaxSharedMemoryPerBlockOptin,
                               s.device) == kSuccess &&
      optin > 0)
    s.maxDynamicShared = optin;
  return "";
}

/// Initialises once per process; returns the (sticky) error or "".
const std::string &ensureInitialized() {
  RuntimeState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.initAttempted) {
    s.initAttempted = true;
    s.initError = initialize(s);
  }
  return s.initError;
}

} // namespace

std::string makeContextCurrent() {
  // Fast path for every call after the first in a thread.
  if (contextIsCurrent)
    return "";
  const std::string &error = ensureInitialized();
  if (!error.empty())
    return error;
  RuntimeState &s = state();
  if (Result result = s.api.cuCtxSetCurrent(s.context); result != kSuccess)
    return callFailed("cuCtxSetCurrent", result);
  contextIsCurrent = true;
  return "";
}

const DriverApi &requireContext() {
  if (std::string error = makeContextCurrent(); !error.empty())
    fatal(error);
  return state().api;
}

const DriverApi &requireContextOrThrow() {
  if (std::string error = makeContextCurrent(); !error.empty())
    throw RatError(error);
  return state().api;
}

const std::string &loadModuleLocked(RuntimeState &s, ModuleRecord &record) {
  if (record.loadAttempted)
    return record.error;
  record.loadAttempted = true;
  Result result;
  const char *call;
  char log[8192] = {0};
  if (record.isPtx) {
    call = "cuModuleLoadDataEx (PTX JIT)";
    int options[] = {kJitErrorLogBuffer, kJitErrorLogBufferSizeBytes,
                     kJitOptimizationLevel};
    int level = record.optLevel < 0   ? 0
                : record.optLevel > 4 ? 4
                                      : record.optLevel;
    void *values[] = {log, reinterpret_cast<void *>(sizeof(log)),
                      reinterpret_cast<void *>(static_cast<intptr_t>(level))};
    result = s.api.cuModuleLoadDataEx(&record.module, record.image, 3, options,
                                      values);
  } else {
    call = "cuModuleLoadData";
    result = s.api.cuModuleLoadData(&record.module, record.image);
  }
  if (result == kSuccess)
    return record.error;
  record.module = nullptr;
  record.error = callFailed(call, result);
  if (log[0])
    record.error += "\n" + std::string(log);
  if (result == kErrorNoBinaryForGpu || !record.isPtx) {
    // Say which GPU this is and which GPUs the image is for.
    char name[256] = {0};
    if (s.api.cuDeviceGetName(name, sizeof(name) - 1, s.device) != kSuccess)
      std::strcpy(name, "unknown GPU");
    std::string sm = std::to_string(s.ccMajor) + std::to_string(s.ccMinor);
    record.error += ": device " + std::to_string(s.deviceOrdinal) + " (" +
                    name + ") has compute capability " +
                    std::to_string(s.ccMajor) + "." +
                    std::to_string(s.ccMinor) + " (sm_" + sm +
                    "); the executable's GPU code is " +
                    describeGpuCode(listGpuCode(record.image,
                                                record.imageSize)) +
                    (result == kErrorNoBinaryForGpu
                         ? ", none of which runs on it"
                         : "") +
                    " (rebuild with rat-compile --chip for this GPU; a "
                    "list such as --chip sm_80,sm_90a puts several chips' "
                    "code in one executable)";
  }
  return record.error;
}

const char *loadAllModules() {
  RuntimeState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  for (ModuleRecord *record : s.modules)
    if (const std::string &error = loadModuleLocked(s, *record); !error.empty())
      return error.c_str();
  return nullptr;
}

} // namespace rat::cu
