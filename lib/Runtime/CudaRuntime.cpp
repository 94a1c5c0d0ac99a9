//===- CudaRuntime.cpp - mgpu* functions on the CUDA driver API -----------===//
//
// The host half of compiled CUDA models: the functions MLIR's gpu-to-llvm
// lowering calls, the C++ API of rat/Runtime/Cuda.h and the CUDA
// DeviceBackend of the generic main.
//
// Lifetime rules shape this file. Modules are registered by global
// constructors (priority 123) that run before this file's own static
// initialisers, and unregistered by global destructors that run after its
// static destructors and possibly after the driver shut down. So all state
// lives in a heap object that is created on first use and never destroyed,
// and mgpuModuleLoad only records the image: the driver is initialised and
// the image loaded by rat_runtime_check_gpu() (called first thing in main,
// after --device is known) or lazily on first use.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Cuda.h"

#include "CudaDriverApi.h"
#include "rat/Runtime/DeviceBackend.h"
#include "rat/Runtime/Error.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <limits>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

using namespace rat;
using namespace rat::cu;

namespace {

/// Dynamic shared memory a kernel may use without opting in.
constexpr int32_t kDefaultDynamicSharedLimit = 48 * 1024;

/// A registered GPU image and, once loaded, its module.
struct ModuleRecord {
  const void *image = nullptr;
  size_t imageSize = 0;
  bool isPtx = false;
  int optLevel = 2;
  bool loadAttempted = false;
  Module module = nullptr;
  std::string error;
  std::unordered_map<std::string, Function> functions;
};

/// Process-wide runtime state. Created on first use and intentionally never
/// destroyed (see the file comment).
struct RuntimeState {
  /// Guards everything below except `api` (written once, under the lock,
  /// before any thread can see a current context) and `streamOverride`.
  /// Never call fatal() while holding it: exit() runs the global destructors,
  /// whose mgpuModuleUnload takes it again.
  std::mutex mutex;
  DriverApi api{};
  void *library = nullptr;
  bool initAttempted = false;
  std::string initError;
  /// Device requested by mgpuSetDefaultDevice; -1 means $RAT_DEVICE or 0.
  int requestedDevice = -1;
  int deviceOrdinal = 0;
  Device device = 0;
  Context context = nullptr;
  int ccMajor = 0, ccMinor = 0;
  int maxDynamicShared = kDefaultDynamicSharedLimit;
  bool memoryPools = false;
  std::vector<ModuleRecord *> modules;
  std::unordered_map<Function, std::string> kernelNames;
  std::unordered_map<Function, int32_t> dynamicSharedLimits;
  std::atomic<Stream> streamOverride{nullptr};
  /// The kernel launched last: a kernel's fault surfaces at the next
  /// synchronisation, whose error then names it.
  std::atomic<Function> lastLaunched{nullptr};
};

RuntimeState &state() {
  static RuntimeState *instance = new RuntimeState;
  return *instance;
}

/// Whether this thread has made the primary context current.
thread_local bool contextIsCurrent = false;

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

/// Reports an error from a function called by compiled code, which cannot
/// handle it, and exits.
[[noreturn]] void fatal(const std::string &message) {
  std::fprintf(stderr, "rat runtime: %s\n", message.c_str());
  std::fflush(stderr);
  std::exit(1);
}

void checkFatal(Result result, const char *call) {
  if (result != kSuccess)
    fatal(callFailed(call, result));
}

/// Kernel name for diagnostics (empty if unknown).
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

//===----------------------------------------------------------------------===//
// Initialisation
//===----------------------------------------------------------------------===//

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
  int pools = 0;
  s.memoryPools =
      api.cuMemAllocAsync && api.cuMemFreeAsync &&
      api.cuDeviceGetAttribute(&pools, kDeviceAttributeMemoryPoolsSupported,
                               s.device) == kSuccess &&
      pools;
  // The default pool returns memory to the OS at every synchronisation,
  // which makes per-launch stream-ordered allocations as slow as cuMemAlloc.
  // Keep freed memory cached instead.
  MemoryPool pool = nullptr;
  if (s.memoryPools && api.cuDeviceGetDefaultMemPool &&
      api.cuMemPoolSetAttribute &&
      api.cuDeviceGetDefaultMemPool(&pool, s.device) == kSuccess) {
    uint64_t threshold = std::numeric_limits<uint64_t>::max();
    api.cuMemPoolSetAttribute(pool, kMemPoolAttrReleaseThreshold, &threshold);
  }
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

/// Makes the primary context current in this thread; returns an error or "".
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

/// For functions called by compiled code: a usable context or exit.
const DriverApi &requireContext() {
  if (std::string error = makeContextCurrent(); !error.empty())
    fatal(error);
  return state().api;
}

/// For the C++ API: a usable context or RatError.
const DriverApi &requireContextOrThrow() {
  if (std::string error = makeContextCurrent(); !error.empty())
    throw RatError(error);
  return state().api;
}

void checkOrThrow(Result result, const char *call) {
  if (result != kSuccess)
    throw RatError(callFailed(call, result));
}

/// Loads a registered image into the context once; returns the error or "".
/// Expects the context to be current and the state lock to be held.
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
  if (result == kErrorNoBinaryForGpu || !record.isPtx)
    record.error += "; device " + std::to_string(s.deviceOrdinal) + " is sm_" +
                    std::to_string(s.ccMajor) + std::to_string(s.ccMinor) +
                    " (compile for it with --chip, or embed PTX with "
                    "format=fatbin)";
  return record.error;
}

/// Loads every registered module; returns the first error or nullptr.
const char *loadAllModules() {
  RuntimeState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  for (ModuleRecord *record : s.modules)
    if (const std::string &error = loadModuleLocked(s, *record); !error.empty())
      return error.c_str();
  return nullptr;
}

unsigned launchDim(intptr_t value, const char *what, Function function) {
  if (value <= 0 || value > std::numeric_limits<unsigned>::max()) {
    std::string name = kernelName(function);
    fatal(std::string("invalid launch ") + what + " " + std::to_string(value) +
          " (kernel '" + (name.empty() ? "<unknown>" : name) + "')");
  }
  return static_cast<unsigned>(value);
}

/// Kernels that want more than 48 KiB of dynamic shared memory must opt in
/// per function before the launch.
void prepareSharedMemory(const DriverApi &api, Function function,
                         int32_t smem) {
  if (smem <= kDefaultDynamicSharedLimit)
    return;
  RuntimeState &s = state();
  std::unique_lock<std::mutex> lock(s.mutex);
  int32_t &limit = s.dynamicSharedLimits[function];
  if (limit >= smem)
    return;
  int maxShared = s.maxDynamicShared;
  lock.unlock();
  if (smem > maxShared) {
    std::string name = kernelName(function);
    fatal("kernel '" + (name.empty() ? "<unknown>" : name) + "' needs " +
          std::to_string(smem) + " bytes of dynamic shared memory, device " +
          "maximum is " + std::to_string(maxShared));
  }
  checkLaunch(api.cuFuncSetAttribute(
                  function, kFuncAttributeMaxDynamicSharedSizeBytes, smem),
              "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)", function);
  lock.lock();
  s.dynamicSharedLimits[function] = smem;
}

Stream asStream(void *stream) { return static_cast<Stream>(stream); }
DevicePtr asDevicePtr(const void *pointer) {
  return reinterpret_cast<DevicePtr>(pointer);
}

bool isOverride(void *stream) {
  return stream && stream == state().streamOverride.load();
}

} // namespace

//===----------------------------------------------------------------------===//
// mgpu* functions
//===----------------------------------------------------------------------===//

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
                                 size_t /*paramsCount*/) {
  const DriverApi &api = requireContext();
  auto kernel = static_cast<Function>(function);
  prepareSharedMemory(api, kernel, smem);
  state().lastLaunched.store(kernel);
  checkLaunch(api.cuLaunchKernel(kernel, launchDim(gridX, "grid size", kernel),
                                 launchDim(gridY, "grid size", kernel),
                                 launchDim(gridZ, "grid size", kernel),
                                 launchDim(blockX, "block size", kernel),
                                 launchDim(blockY, "block size", kernel),
                                 launchDim(blockZ, "block size", kernel),
                                 static_cast<unsigned>(smem), asStream(stream),
                                 params, extra),
              "cuLaunchKernel", kernel);
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
  prepareSharedMemory(api, kernel, smem);
  LaunchAttribute attribute;
  std::memset(&attribute, 0, sizeof(attribute));
  attribute.id = kLaunchAttributeClusterDimension;
  attribute.value.clusterDim.x = launchDim(clusterX, "cluster size", kernel);
  attribute.value.clusterDim.y = launchDim(clusterY, "cluster size", kernel);
  attribute.value.clusterDim.z = launchDim(clusterZ, "cluster size", kernel);
  LaunchConfig config;
  std::memset(&config, 0, sizeof(config));
  config.gridDimX = launchDim(gridX, "grid size", kernel);
  config.gridDimY = launchDim(gridY, "grid size", kernel);
  config.gridDimZ = launchDim(gridZ, "grid size", kernel);
  config.blockDimX = launchDim(blockX, "block size", kernel);
  config.blockDimY = launchDim(blockY, "block size", kernel);
  config.blockDimZ = launchDim(blockZ, "block size", kernel);
  config.sharedMemBytes = static_cast<unsigned>(smem);
  config.hStream = asStream(stream);
  config.attrs = &attribute;
  config.numAttrs = 1;
  checkLaunch(api.cuLaunchKernelEx(&config, kernel, params, extra),
              "cuLaunchKernelEx", kernel);
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
  Result result = api.cuStreamSynchronize(asStream(stream));
  if (result != kSuccess) {
    std::string name;
    if (Function last = state().lastLaunched.load())
      name = kernelName(last);
    fatal(callFailed("cuStreamSynchronize", result) +
          (name.empty() ? std::string()
                        : " (after launching kernel '" + name + "')"));
  }
}

extern "C" void mgpuStreamWaitEvent(void *stream, void *event) {
  const DriverApi &api = requireContext();
  checkFatal(
      api.cuStreamWaitEvent(asStream(stream), static_cast<Event>(event), 0),
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
  checkFatal(api.cuEventSynchronize(static_cast<Event>(event)),
             "cuEventSynchronize");
}

extern "C" void mgpuEventRecord(void *event, void *stream) {
  const DriverApi &api = requireContext();
  checkFatal(api.cuEventRecord(static_cast<Event>(event), asStream(stream)),
             "cuEventRecord");
}

extern "C" void *mgpuMemAlloc(uint64_t sizeBytes, void *stream,
                              bool isHostShared) {
  const DriverApi &api = requireContext();
  if (sizeBytes == 0)
    return nullptr;
  DevicePtr pointer = 0;
  Result result;
  const char *call;
  if (isHostShared) {
    call = "cuMemAllocManaged";
    result = api.cuMemAllocManaged(&pointer, sizeBytes, kMemAttachGlobal);
  } else if (stream && state().memoryPools) {
    call = "cuMemAllocAsync";
    result = api.cuMemAllocAsync(&pointer, sizeBytes, asStream(stream));
  } else {
    call = "cuMemAlloc";
    result = api.cuMemAlloc(&pointer, sizeBytes);
  }
  if (result != kSuccess)
    fatal(callFailed(call, result) + " (" + std::to_string(sizeBytes) +
          " bytes)");
  return reinterpret_cast<void *>(pointer);
}

extern "C" void mgpuMemFree(void *ptr, void *stream) {
  if (!ptr)
    return;
  const DriverApi &api = requireContext();
  if (stream && state().memoryPools)
    checkFatal(api.cuMemFreeAsync(asDevicePtr(ptr), asStream(stream)),
               "cuMemFreeAsync");
  else
    checkFatal(api.cuMemFree(asDevicePtr(ptr)), "cuMemFree");
}

extern "C" void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                           void *stream) {
  if (sizeBytes == 0)
    return;
  const DriverApi &api = requireContext();
  checkFatal(api.cuMemcpyAsync(asDevicePtr(dst), asDevicePtr(src), sizeBytes,
                               asStream(stream)),
             "cuMemcpyAsync");
}

extern "C" void mgpuMemset32(void *dst, unsigned int value, size_t count,
                             void *stream) {
  if (count == 0)
    return;
  const DriverApi &api = requireContext();
  checkFatal(
      api.cuMemsetD32Async(asDevicePtr(dst), value, count, asStream(stream)),
      "cuMemsetD32Async");
}

extern "C" void mgpuMemset16(void *dst, unsigned short value, size_t count,
                             void *stream) {
  if (count == 0)
    return;
  const DriverApi &api = requireContext();
  checkFatal(
      api.cuMemsetD16Async(asDevicePtr(dst), value, count, asStream(stream)),
      "cuMemsetD16Async");
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

//===----------------------------------------------------------------------===//
// C++ API
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// DeviceBackend for the generic main
//===----------------------------------------------------------------------===//

namespace {

/// Times work with CUDA events on the legacy default stream. Compiled entry
/// points synchronise their streams before returning, so this is the time
/// from the call to the completed results.
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
  void start() override { cuda::recordEvent(startEvent, nullptr); }
  double stopMs() override {
    cuda::recordEvent(stopEvent, nullptr);
    return cuda::elapsedMs(startEvent, stopEvent);
  }

private:
  void *startEvent;
  void *stopEvent;
};

class CudaBackend final : public DeviceBackend {
public:
  const char *targetName() const override { return "cuda"; }
  void initialize(int device) override {
    if (device >= 0)
      mgpuSetDefaultDevice(device);
    cuda::checkGpu();
  }
  std::string deviceDescription() override { return cuda::deviceDescription(); }
  bool isHostMemory() const override { return false; }
  void *allocate(size_t bytes) override { return cuda::deviceAlloc(bytes); }
  void deallocate(void *pointer) override { cuda::deviceFree(pointer); }
  void copyToDevice(void *destination, const void *source,
                    size_t bytes) override {
    cuda::copyHostToDevice(destination, source, bytes);
  }
  void copyToHost(void *destination, const void *source,
                  size_t bytes) override {
    cuda::copyDeviceToHost(destination, source, bytes);
  }
  void copyOnDevice(void *destination, const void *source,
                    size_t bytes) override {
    cuda::copy(destination, source, bytes);
  }
  void fillZero(void *destination, size_t bytes) override {
    cuda::memsetZero(destination, bytes);
  }
  void synchronize() override { cuda::synchronize(); }
  std::unique_ptr<DeviceTimer> createTimer() override {
    return std::make_unique<CudaTimer>();
  }
};

} // namespace

extern "C" rat::DeviceBackend *rat_cuda_backend(void) {
  static CudaBackend *backend = new CudaBackend;
  return backend;
}
