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

#include "CachingAllocator.h"
#include "CudaDriverApi.h"
#include "DeviceExecution.h"
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
#include <thread>
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

/// Device memory for the caching allocator: cuMemAlloc/cuMemFree.
class CudaBlockSource final : public BlockSource {
public:
  void *allocateBlock(size_t bytes) override;
  void releaseBlock(void *block, size_t bytes) override;
  bool prepareToRelease() override;
  /// Why the last allocateBlock failed (written under the allocator's lock).
  std::string lastError;
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
  std::vector<ModuleRecord *> modules;
  std::unordered_map<Function, std::string> kernelNames;
  std::unordered_map<Function, int32_t> dynamicSharedLimits;
  std::atomic<Stream> streamOverride{nullptr};
  /// The kernel launched last: a kernel's fault surfaces at the next
  /// synchronisation, whose error then names it. When the last work was a
  /// graph replay, `lastWorkIsGraph` is set and `lastGraphLabel` names it.
  std::atomic<Function> lastLaunched{nullptr};
  std::atomic<bool> lastWorkIsGraph{false};
  std::string lastGraphLabel;

  /// Every device buffer of compiled code and of the generic main
  /// (CachingAllocator.h). Has its own lock.
  CudaBlockSource blockSource;
  CachingAllocator pool{blockSource};

  /// A capture of the override stream by DeviceExecution::beginCapture, in
  /// thread `captureThread`. While it runs, the mgpu* functions record what
  /// they enqueue and turn failures into `captureError` instead of exiting.
  std::atomic<bool> capturing{false};
  std::thread::id captureThread;
  CaptureLog captureLog;
  /// The graph node of each entry of captureLog.launches.
  std::vector<GraphNode> captureNodes;
  std::string captureError;

  /// Operations seen while a stream override is set that a graph could not
  /// replay (synchronisations, copies with host memory, ...), and the first
  /// one since DeviceExecution::uncapturableOperations last asked.
  std::atomic<uint64_t> uncapturable{0};
  std::string firstUncapturable;
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

/// The stream work for `stream` goes to: while an override is set, the null
/// stream stands for it too, so that everything stays in one order.
Stream effectiveStream(void *stream) {
  return stream ? asStream(stream) : state().streamOverride.load();
}

/// Whether this thread is capturing through DeviceExecution::beginCapture.
bool inCapture() {
  RuntimeState &s = state();
  return s.capturing.load(std::memory_order_acquire) &&
         s.captureThread == std::this_thread::get_id();
}

/// Records why the current capture cannot be used (the first reason wins).
/// The operation is then skipped: nothing runs during a capture anyway.
void captureFail(const std::string &why) {
  RuntimeState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.captureError.empty())
    s.captureError = why;
}

/// Counts an operation a graph could not replay, when it matters: while the
/// generic main's stream override is set.
void noteUncapturable(const char *what) {
  RuntimeState &s = state();
  if (!s.streamOverride.load())
    return;
  std::lock_guard<std::mutex> lock(s.mutex);
  s.uncapturable.fetch_add(1);
  if (s.firstUncapturable.empty())
    s.firstUncapturable = what;
}

/// Like checkFatal, but during a capture a failure only spoils the capture.
void checkFatalOrCapture(Result result, const char *call) {
  if (result == kSuccess)
    return;
  if (inCapture()) {
    captureFail(callFailed(call, result));
    return;
  }
  fatal(callFailed(call, result));
}

/// Whether `pointer` is host memory the driver does not know as device
/// memory (a copy with it cannot be captured).
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

/// ` (after launching kernel 'k')`, or the graph replayed last, or "".
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

/// A device buffer from the caching allocator, or exit.
void *poolAllocate(size_t bytes) {
  RuntimeState &s = state();
  if (void *block = s.pool.allocate(bytes))
    return block;
  // The allocator's lock is released: fatal() may run its exit handler.
  AllocatorStats stats = s.pool.stats();
  fatal(s.blockSource.lastError + " (" + std::to_string(bytes) + " bytes; " +
        std::to_string(stats.totalBytes >> 20) + " MiB already allocated)");
}

/// Records the parameter values of a launch during a capture, sized by the
/// driver; `count` is 0 when unknown. Returns an error or "".
std::string recordParams(const DriverApi &api, Function kernel, void **params,
                         size_t count,
                         std::vector<std::vector<uint8_t>> &values) {
  if (!api.cuFuncGetParamInfo)
    return "the driver has no cuFuncGetParamInfo (CUDA 12.4)";
  size_t limit = count ? count : 4096;
  for (size_t i = 0; i < limit; ++i) {
    size_t offset = 0, size = 0;
    Result result = api.cuFuncGetParamInfo(kernel, i, &offset, &size);
    if (result != kSuccess) {
      if (!count)
        break; // past the last parameter
      return callFailed("cuFuncGetParamInfo", result);
    }
    if (!params || !params[i])
      return "kernel parameter " + std::to_string(i) + " is missing";
    const auto *bytes = static_cast<const uint8_t *>(params[i]);
    values.emplace_back(bytes, bytes + size);
  }
  return "";
}

/// The graph node the last operation captured on `stream` created.
GraphNode lastCapturedNode(const DriverApi &api, Stream stream,
                           std::string &error) {
  if (!api.cuStreamGetCaptureInfo) {
    error = "the driver has no cuStreamGetCaptureInfo_v2";
    return nullptr;
  }
  int status = 0;
  unsigned long long id = 0;
  Graph graph = nullptr;
  const GraphNode *dependencies = nullptr;
  size_t count = 0;
  Result result = api.cuStreamGetCaptureInfo(stream, &status, &id, &graph,
                                             &dependencies, &count);
  if (result != kSuccess) {
    error = callFailed("cuStreamGetCaptureInfo", result);
    return nullptr;
  }
  if (status != kStreamCaptureStatusActive || count != 1 || !dependencies) {
    error = "the captured work is not a single chain of operations";
    return nullptr;
  }
  return dependencies[0];
}

/// Records a captured copy or memset for the comparison of two captures.
void recordOperation(const char *kind, std::vector<uint64_t> operands) {
  RuntimeState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.captureLog.operations.push_back({kind, std::move(operands)});
}

/// Launches a kernel (a cluster launch when `cluster` is set). During a
/// capture, records it with its parameters and graph node.
void launch(const DriverApi &api, Function kernel, const unsigned *cluster,
            intptr_t gridX, intptr_t gridY, intptr_t gridZ, intptr_t blockX,
            intptr_t blockY, intptr_t blockZ, int32_t smem, void *stream,
            void **params, void **extra, size_t paramsCount) {
  CapturedLaunch record;
  record.function = kernel;
  record.grid[0] = launchDim(gridX, "grid size", kernel);
  record.grid[1] = launchDim(gridY, "grid size", kernel);
  record.grid[2] = launchDim(gridZ, "grid size", kernel);
  record.block[0] = launchDim(blockX, "block size", kernel);
  record.block[1] = launchDim(blockY, "block size", kernel);
  record.block[2] = launchDim(blockZ, "block size", kernel);
  if (cluster)
    for (int d = 0; d < 3; ++d)
      record.cluster[d] = cluster[d];
  record.sharedMemBytes = static_cast<unsigned>(smem);
  Stream target = effectiveStream(stream);
  bool capturing = inCapture();
  if (capturing) {
    record.name = kernelName(kernel);
    if (!isOverride(target)) {
      captureFail("kernel '" + record.name +
                  "' is launched on a stream other than the runtime's");
      return;
    }
    if (extra) {
      captureFail("kernel '" + record.name +
                  "' passes its parameters through `extra`");
      return;
    }
    if (std::string error =
            recordParams(api, kernel, params, paramsCount, record.params);
        !error.empty()) {
      captureFail(error + " (kernel '" + record.name + "')");
      return;
    }
  } else if (stream && !isOverride(stream)) {
    noteUncapturable("a kernel launch on a stream other than the runtime's");
  }
  prepareSharedMemory(api, kernel, smem);
  noteKernelLaunched(kernel);
  Result result;
  const char *call;
  if (cluster) {
    call = "cuLaunchKernelEx";
    LaunchAttribute attribute;
    std::memset(&attribute, 0, sizeof(attribute));
    attribute.id = kLaunchAttributeClusterDimension;
    attribute.value.clusterDim.x = cluster[0];
    attribute.value.clusterDim.y = cluster[1];
    attribute.value.clusterDim.z = cluster[2];
    LaunchConfig config;
    std::memset(&config, 0, sizeof(config));
    config.gridDimX = record.grid[0];
    config.gridDimY = record.grid[1];
    config.gridDimZ = record.grid[2];
    config.blockDimX = record.block[0];
    config.blockDimY = record.block[1];
    config.blockDimZ = record.block[2];
    config.sharedMemBytes = record.sharedMemBytes;
    config.hStream = target;
    config.attrs = &attribute;
    config.numAttrs = 1;
    result = api.cuLaunchKernelEx(&config, kernel, params, extra);
  } else {
    call = "cuLaunchKernel";
    result = api.cuLaunchKernel(kernel, record.grid[0], record.grid[1],
                                record.grid[2], record.block[0],
                                record.block[1], record.block[2],
                                record.sharedMemBytes, target, params, extra);
  }
  if (!capturing) {
    checkLaunch(result, call, kernel);
    return;
  }
  if (result != kSuccess) {
    captureFail(callFailed(call, result) + " (kernel '" + record.name + "')");
    return;
  }
  std::string error;
  GraphNode node = lastCapturedNode(api, target, error);
  if (!node) {
    captureFail(error);
    return;
  }
  RuntimeState &s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  s.captureLog.launches.push_back(std::move(record));
  s.captureNodes.push_back(node);
}

} // namespace

//===----------------------------------------------------------------------===//
// Device memory
//===----------------------------------------------------------------------===//

void *CudaBlockSource::allocateBlock(size_t bytes) {
  const DriverApi &api = state().api;
  // cuMemAlloc is no stream operation, but a thread-local capture forbids
  // it; relaxed mode allows it (the block is not part of the graph).
  int mode = kStreamCaptureModeRelaxed;
  bool exchanged = inCapture() && api.cuThreadExchangeStreamCaptureMode &&
                   api.cuThreadExchangeStreamCaptureMode(&mode) == kSuccess;
  DevicePtr pointer = 0;
  Result result = api.cuMemAlloc(&pointer, bytes);
  if (exchanged)
    api.cuThreadExchangeStreamCaptureMode(&mode);
  if (result != kSuccess) {
    lastError = callFailed("cuMemAlloc", result);
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

extern "C" void mgpuMemset32(void *dst, unsigned int value, size_t count,
                             void *stream) {
  if (count == 0)
    return;
  const DriverApi &api = requireContext();
  if (inCapture()) {
    if (!isOverride(effectiveStream(stream))) {
      captureFail("the step sets memory on a stream other than the "
                  "runtime's");
      return;
    }
    recordOperation("memset32",
                    {reinterpret_cast<uintptr_t>(dst), value, count});
  }
  checkFatalOrCapture(api.cuMemsetD32Async(asDevicePtr(dst), value, count,
                                           effectiveStream(stream)),
                      "cuMemsetD32Async");
}

extern "C" void mgpuMemset16(void *dst, unsigned short value, size_t count,
                             void *stream) {
  if (count == 0)
    return;
  const DriverApi &api = requireContext();
  if (inCapture()) {
    if (!isOverride(effectiveStream(stream))) {
      captureFail("the step sets memory on a stream other than the "
                  "runtime's");
      return;
    }
    recordOperation("memset16",
                    {reinterpret_cast<uintptr_t>(dst), value, count});
  }
  checkFatalOrCapture(api.cuMemsetD16Async(asDevicePtr(dst), value, count,
                                           effectiveStream(stream)),
                      "cuMemsetD16Async");
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

//===----------------------------------------------------------------------===//
// DeviceBackend for the generic main
//===----------------------------------------------------------------------===//

namespace {

/// Waits for `stream` (the legacy stream if null); a failure names the
/// kernel or graph launched last.
void synchronizeOrThrow(const DriverApi &api, Stream stream) {
  Result result =
      stream ? api.cuStreamSynchronize(stream) : api.cuCtxSynchronize();
  if (result != kSuccess)
    throw RatError(
        callFailed(stream ? "cuStreamSynchronize" : "cuCtxSynchronize",
                   result) +
        lastWorkDescription());
}

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
  bool isHostMemory() const override { return false; }
  void *allocate(size_t bytes) override {
    requireContextOrThrow();
    if (bytes == 0)
      return nullptr;
    RuntimeState &s = state();
    if (void *block = s.pool.allocate(bytes))
      return block;
    throw RatError(s.blockSource.lastError + " (" + std::to_string(bytes) +
                   " bytes)");
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

/// A captured and instantiated decode step.
class CudaGraph final : public CapturedGraph {
public:
  CudaGraph(Graph graph, GraphExec exec, std::vector<GraphNode> nodes,
            std::vector<CapturedLaunch> launches, std::vector<void *> reserved,
            std::string label)
      : graph(graph), exec(exec), nodes(std::move(nodes)),
        launches(std::move(launches)), reserved(std::move(reserved)),
        label(std::move(label)) {}
  ~CudaGraph() override {
    // In-flight replays finish on their own; the reserved blocks are only
    // reused by work enqueued after them on the same stream.
    const DriverApi &api = state().api;
    (void)api.cuGraphExecDestroy(exec);
    (void)api.cuGraphDestroy(graph);
    state().pool.releaseReserved(reserved);
  }
  void
  setKernelParams(size_t launch,
                  const std::vector<std::vector<uint8_t>> &params) override {
    const DriverApi &api = requireContextOrThrow();
    const CapturedLaunch &record = launches.at(launch);
    if (params.size() != record.params.size())
      throw RatError("internal: kernel '" + record.name + "' takes " +
                     std::to_string(record.params.size()) + " parameters");
    std::vector<void *> pointers;
    for (const std::vector<uint8_t> &value : params)
      pointers.push_back(const_cast<uint8_t *>(value.data()));
    KernelNodeParams node;
    std::memset(&node, 0, sizeof(node));
    node.func = static_cast<Function>(const_cast<void *>(record.function));
    node.gridDimX = record.grid[0];
    node.gridDimY = record.grid[1];
    node.gridDimZ = record.grid[2];
    node.blockDimX = record.block[0];
    node.blockDimY = record.block[1];
    node.blockDimZ = record.block[2];
    node.sharedMemBytes = record.sharedMemBytes;
    node.kernelParams = pointers.data();
    Result result;
    if (api.cuGraphExecKernelNodeSetParams) {
      result =
          api.cuGraphExecKernelNodeSetParams(exec, nodes.at(launch), &node);
    } else {
      KernelNodeParamsV1 old;
      std::memcpy(&old, &node, sizeof(old));
      result =
          api.cuGraphExecKernelNodeSetParamsV1(exec, nodes.at(launch), &old);
    }
    checkOrThrow(result, "cuGraphExecKernelNodeSetParams");
  }
  void launch() override {
    const DriverApi &api = requireContextOrThrow();
    RuntimeState &s = state();
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      s.lastGraphLabel = label;
    }
    s.lastWorkIsGraph.store(true);
    checkOrThrow(api.cuGraphLaunch(exec, s.streamOverride.load()),
                 "cuGraphLaunch");
  }

private:
  Graph graph;
  GraphExec exec;
  std::vector<GraphNode> nodes;
  std::vector<CapturedLaunch> launches;
  std::vector<void *> reserved;
  std::string label;
};

class CudaExecution final : public DeviceExecution {
public:
  void useProcessStream() override {
    if (!stream)
      stream = static_cast<Stream>(cuda::createStream());
    cuda::setStreamOverride(stream);
  }

  void synchronize() override {
    const DriverApi &api = requireContextOrThrow();
    synchronizeOrThrow(api, stream);
  }

  uint64_t uncapturableOperations(std::string &first) override {
    RuntimeState &s = state();
    std::lock_guard<std::mutex> lock(s.mutex);
    first = s.firstUncapturable;
    s.firstUncapturable.clear();
    return s.uncapturable.load();
  }

  std::string graphSupport() override {
    const DriverApi &api = requireContextOrThrow();
    std::string missing;
    auto need = [&](bool present, const char *name) {
      if (!present)
        missing += (missing.empty() ? "" : ", ") + std::string(name);
    };
    need(api.cuStreamBeginCapture && api.cuStreamEndCapture &&
             api.cuGraphInstantiateWithFlags && api.cuGraphLaunch &&
             api.cuGraphExecDestroy && api.cuGraphDestroy,
         "graph capture");
    need(api.cuThreadExchangeStreamCaptureMode,
         "cuThreadExchangeStreamCaptureMode");
    need(api.cuFuncGetParamInfo, "cuFuncGetParamInfo (CUDA 12.4)");
    need(api.cuStreamGetCaptureInfo, "cuStreamGetCaptureInfo_v2");
    need(api.cuGraphExecKernelNodeSetParams ||
             api.cuGraphExecKernelNodeSetParamsV1,
         "cuGraphExecKernelNodeSetParams");
    if (!stream)
      return "no process stream";
    return missing.empty() ? "" : "the driver lacks " + missing;
  }

  void beginCapture() override {
    const DriverApi &api = requireContextOrThrow();
    if (!graphSupport().empty() || !stream)
      throw RatError("internal: beginCapture without graph support");
    RuntimeState &s = state();
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      s.captureLog = CaptureLog();
      s.captureNodes.clear();
      s.captureError.clear();
    }
    s.captureThread = std::this_thread::get_id();
    s.pool.beginCapture();
    s.capturing.store(true, std::memory_order_release);
    Result result =
        api.cuStreamBeginCapture(stream, kStreamCaptureModeThreadLocal);
    if (result != kSuccess) {
      s.capturing.store(false);
      std::vector<CapturedAllocation> allocations;
      std::vector<void *> reserved;
      s.pool.endCapture(allocations, reserved);
      s.pool.releaseReserved(reserved);
      throw RatError(callFailed("cuStreamBeginCapture", result));
    }
  }

  CaptureResult endCapture(bool instantiate,
                           const std::string &label) override {
    RuntimeState &s = state();
    const DriverApi &api = s.api;
    Graph graph = nullptr;
    Result ended = api.cuStreamEndCapture(stream, &graph);
    s.capturing.store(false, std::memory_order_release);
    CaptureResult result;
    std::vector<CapturedAllocation> allocations;
    std::vector<void *> reserved;
    s.pool.endCapture(allocations, reserved);
    for (const CapturedAllocation &allocation : allocations)
      result.log.allocations.push_back({allocation.address, allocation.bytes});
    std::vector<GraphNode> nodes;
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      result.log.launches = std::move(s.captureLog.launches);
      result.log.operations = std::move(s.captureLog.operations);
      nodes = std::move(s.captureNodes);
      result.error = s.captureError;
      s.captureLog = CaptureLog();
      s.captureNodes.clear();
      s.captureError.clear();
    }
    if (result.error.empty() && ended != kSuccess)
      result.error = callFailed("cuStreamEndCapture", ended);
    GraphExec exec = nullptr;
    if (result.error.empty() && instantiate) {
      Result instantiated = api.cuGraphInstantiateWithFlags(&exec, graph, 0);
      if (instantiated != kSuccess)
        result.error = callFailed("cuGraphInstantiateWithFlags", instantiated);
    }
    if (!result.error.empty() || !instantiate) {
      if (graph)
        (void)api.cuGraphDestroy(graph);
      s.pool.releaseReserved(reserved);
      return result;
    }
    result.graph = std::make_unique<CudaGraph>(graph, exec, std::move(nodes),
                                               result.log.launches,
                                               std::move(reserved), label);
    return result;
  }

  void releaseCachedMemory() override {
    synchronize();
    state().pool.trim();
  }

  std::string memoryReport() override {
    AllocatorStats stats = state().pool.stats();
    auto mib = [](size_t bytes) {
      char text[32];
      std::snprintf(text, sizeof(text), "%.1f MiB",
                    static_cast<double>(bytes) / (1024.0 * 1024.0));
      return std::string(text);
    };
    return "peak " + mib(stats.peakLiveBytes) + " in use, " +
           mib(stats.peakTotalBytes) + " from the driver (" +
           std::to_string(stats.sourceAllocations) + " cuMemAlloc, " +
           std::to_string(stats.reuses) + " reused)";
  }

private:
  Stream stream = nullptr;
};

} // namespace

extern "C" rat::DeviceExecution *rat_cuda_execution(void) {
  static CudaExecution *execution = new CudaExecution;
  return execution;
}

extern "C" rat::DeviceBackend *rat_cuda_backend(void) {
  static CudaBackend *backend = new CudaBackend;
  return backend;
}
