//===- CudaState.h - Internals shared by the CUDA runtime's files -*- C++
//-*-===//
//
// The CUDA runtime (RatCudaRuntime) is split by role: the process state and
// error reporting (CudaState.cpp), the driver loader (CudaDriverLoader.cpp),
// kernel launches (CudaLaunch.cpp), the mgpu* ABI that compiled code calls
// (CudaAbi.cpp), the C++ API of rat/Runtime/Cuda.h (CudaApi.cpp), the
// DeviceBackend (CudaBackend.cpp) and the DeviceExecution with its graphs
// (CudaExecution.cpp). This header is what they share; nothing outside
// lib/Runtime includes it (the unit tests aside).
//
// Lifetime rules shape the runtime. Modules are registered by global
// constructors (priority 123) that run before the runtime's own static
// initialisers, and unregistered by global destructors that run after its
// static destructors and possibly after the driver shut down. So all state
// lives in a heap object that is created on first use and never destroyed
// (state()), and mgpuModuleLoad only records the image: the driver is
// initialised and the image loaded by rat_runtime_check_gpu() (called first
// thing in main, after --device is known) or lazily on first use.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_RUNTIME_CUDASTATE_H
#define RAT_LIB_RUNTIME_CUDASTATE_H

#include "CachingAllocator.h"
#include "CudaDriverApi.h"
#include "rat/Runtime/DeviceExecution.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace rat::cu {

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
  /// Why the last allocateBlock failed, and whether the driver (or the
  /// RAT_TEST_ALLOC_LIMIT hook) said out of memory (written under the
  /// allocator's lock).
  std::string lastError;
  bool lastOutOfMemory = false;
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

  /// Device copies of TMA descriptors (mgpuTensorMapEncodeTiledMemref)
  /// outside captures, by content: written once, never freed (a kernel may
  /// still read one), so a descriptor costs one upload per buffer and shape.
  std::map<std::array<uint8_t, 128>, DevicePtr> tensorMaps;
};

/// The process state (see the file comment).
RuntimeState &state();

//===----------------------------------------------------------------------===//
// Errors (CudaState.cpp)
//===----------------------------------------------------------------------===//

/// The driver's description of `result`: `out of memory
/// (CUDA_ERROR_OUT_OF_MEMORY)`.
std::string errorText(Result result);
/// `<call> failed: <errorText>`.
std::string callFailed(const char *call, Result result);
/// Reports an error from a function called by compiled code, which cannot
/// handle it, and exits.
[[noreturn]] void fatal(const std::string &message);
/// fatal() unless `result` is success.
void checkFatal(Result result, const char *call);
/// Throws RatError unless `result` is success (the C++ API and backend).
void checkOrThrow(Result result, const char *call);
/// Kernel name for diagnostics (empty if unknown).
std::string kernelName(Function function);
/// checkFatal for launches: the message names the kernel.
void checkLaunch(Result result, const char *call, Function function);

//===----------------------------------------------------------------------===//
// Streams, capture bookkeeping, device memory (CudaState.cpp)
//===----------------------------------------------------------------------===//

inline Stream asStream(void *stream) { return static_cast<Stream>(stream); }
inline DevicePtr asDevicePtr(const void *pointer) {
  return reinterpret_cast<DevicePtr>(pointer);
}
/// Whether `stream` is the stream override (the generic main's stream).
bool isOverride(void *stream);
/// The stream work for `stream` goes to: while an override is set, the null
/// stream stands for it too, so that everything stays in one order.
Stream effectiveStream(void *stream);
/// Whether this thread is capturing through DeviceExecution::beginCapture.
bool inCapture();
/// Records why the current capture cannot be used (the first reason wins).
void captureFail(const std::string &why);
/// Counts an operation a graph could not replay, while the override is set.
void noteUncapturable(const char *what);
/// Like checkFatal, but during a capture a failure only spoils the capture.
void checkFatalOrCapture(Result result, const char *call);
/// Whether `pointer` is host memory the driver does not know as device
/// memory (a copy with it cannot be captured).
bool isHostPointer(const DriverApi &api, const void *pointer);
/// Remembers the kernel launched last, for the next synchronisation's error.
void noteKernelLaunched(Function kernel);
/// ` (after launching kernel 'k')`, or the graph replayed last, or "".
std::string lastWorkDescription();
/// Records a captured copy or memset for the comparison of two captures.
void recordOperation(const char *kind, std::vector<uint64_t> operands);
/// A device buffer from the caching allocator for compiled code; running out
/// of memory prints `error: out of device memory ...` and exits.
void *poolAllocate(size_t bytes);
/// A device buffer from the caching allocator for the session
/// (CudaBackend::allocate, defined in CudaMemRefAlloc.cpp so that a CUDA link
/// always pulls in that object's strong _mlir_memref_to_llvm_alloc). Throws
/// AllocationFailure when memory runs out, RatError on other driver errors.
void *allocateSessionBuffer(size_t bytes);
/// Waits for `stream` (the legacy stream if null); a failure names the
/// kernel or graph launched last (RatError).
void synchronizeOrThrow(const DriverApi &api, Stream stream);

//===----------------------------------------------------------------------===//
// Driver and context (CudaDriverLoader.cpp)
//===----------------------------------------------------------------------===//

/// Loads the driver and makes the primary context current in this thread;
/// returns an error or "".
std::string makeContextCurrent();
/// For functions called by compiled code: a usable context or exit.
const DriverApi &requireContext();
/// For the C++ API: a usable context or RatError.
const DriverApi &requireContextOrThrow();
/// Loads a registered image into the context once; returns the error or "".
/// Expects the context to be current and the state lock to be held.
const std::string &loadModuleLocked(RuntimeState &s, ModuleRecord &record);
/// Loads every registered module; returns the first error or nullptr.
const char *loadAllModules();

//===----------------------------------------------------------------------===//
// Kernel launches (CudaLaunch.cpp)
//===----------------------------------------------------------------------===//

/// Copies the grid, block and shared memory size of `record` into the
/// driver's launch or kernel-node parameters (same field names in both).
template <typename Params>
void setLaunchShape(Params &params, const CapturedLaunch &record) {
  params.gridDimX = record.grid[0];
  params.gridDimY = record.grid[1];
  params.gridDimZ = record.grid[2];
  params.blockDimX = record.block[0];
  params.blockDimY = record.block[1];
  params.blockDimZ = record.block[2];
  params.sharedMemBytes = record.sharedMemBytes;
}

/// A launch dimension as the driver takes it, or exit naming the kernel.
unsigned launchDim(intptr_t value, const char *what, Function function);
/// Launches a kernel (a cluster launch when `cluster` is set). During a
/// capture, records it with its parameters and graph node.
void launch(const DriverApi &api, Function kernel, const unsigned *cluster,
            intptr_t gridX, intptr_t gridY, intptr_t gridZ, intptr_t blockX,
            intptr_t blockY, intptr_t blockZ, int32_t smem, void *stream,
            void **params, void **extra, size_t paramsCount);

//===----------------------------------------------------------------------===//
// Streams and graphs of the generic main (CudaExecution.cpp)
//===----------------------------------------------------------------------===//

/// The process's DeviceExecution (created on first use, never destroyed).
DeviceExecution *cudaExecution();

} // namespace rat::cu

#endif // RAT_LIB_RUNTIME_CUDASTATE_H
