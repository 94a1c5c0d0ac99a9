//===- Cuda.h - CUDA runtime of compiled models -----------------*- C++ -*-===//
//
// RatCudaRuntime implements the mgpu* functions that MLIR's gpu-to-llvm
// lowering calls, on the CUDA driver API loaded at run time with
// dlopen("libcuda.so.1"): an executable needs no CUDA toolkit and fails with a
// clear message on machines without a driver. This header declares them for
// host code, plus a small C++ API the generic main and tools use.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_CUDA_H
#define RAT_RUNTIME_CUDA_H

#include <cstddef>
#include <cstdint>
#include <string>

//===----------------------------------------------------------------------===//
// Functions called by compiled code (MLIR 22 gpu-to-llvm signatures)
//===----------------------------------------------------------------------===//
//
// Errors print `rat runtime: <driver call> failed: <reason>` (plus the kernel
// name for launches) and exit(1): compiled code has no way to handle them.

extern "C" {
/// Registers a cubin/fatbin image. Called from a global constructor before
/// main, so it never fails: the driver work is deferred to
/// rat_runtime_check_gpu() or the first use of the module.
void *mgpuModuleLoad(void *data, size_t gpuBlobSize);
/// Registers a NUL-terminated PTX image, JIT-compiled on first use with
/// optimisation level `optLevel`.
void *mgpuModuleLoadJIT(void *data, int optLevel);
/// Unloads a module. Runs from a global destructor, possibly after the driver
/// shut down, so failures are ignored.
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
/// Cluster launch (sm_90+). MLIR 22 passes no paramsCount here.
void mgpuLaunchClusterKernel(void *function, intptr_t clusterX,
                             intptr_t clusterY, intptr_t clusterZ,
                             intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                             intptr_t blockX, intptr_t blockY, intptr_t blockZ,
                             int32_t smem, void *stream, void **params,
                             void **extra);
void *mgpuStreamCreate();
void mgpuStreamDestroy(void *stream);
void mgpuStreamSynchronize(void *stream);
void mgpuStreamWaitEvent(void *stream, void *event);
void *mgpuEventCreate();
void mgpuEventDestroy(void *event);
void mgpuEventSynchronize(void *event);
void mgpuEventRecord(void *event, void *stream);
/// Device memory from the runtime's caching allocator (a freed block is
/// reused for a later request of the same size class; the cache goes back to
/// the driver at exit); managed memory when `isHostShared`. Returns nullptr
/// for 0 bytes.
void *mgpuMemAlloc(uint64_t sizeBytes, void *stream, bool isHostShared);
/// Returns the block to the caching allocator (no cuMemFree during a run).
void mgpuMemFree(void *ptr, void *stream);
void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *stream);
void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream);
void mgpuMemset16(void *dst, unsigned short value, size_t count, void *stream);
/// Selects the device used when the driver is initialised. Without a call,
/// the device is $RAT_DEVICE, else 0.
void mgpuSetDefaultDevice(int32_t device);

/// Initialises the driver and loads every registered module. Returns nullptr
/// when the GPU is usable, else a message such as `no CUDA driver:
/// libcuda.so.1 not found`. Call it first in main, before any compiled code.
const char *rat_runtime_check_gpu(void);
} // extern "C"

//===----------------------------------------------------------------------===//
// Host-side C++ API
//===----------------------------------------------------------------------===//
//
// These throw rat::RatError on failure instead of exiting.

namespace rat::cuda {

/// Same as rat_runtime_check_gpu(), but throws RatError with the message.
void checkGpu();

/// `NVIDIA H100 80GB HBM3 (device 0, sm_90, 79 GiB)`.
std::string deviceDescription();

/// Which GPU code of the registered images the device runs: `kernels:
/// cubin sm_90a (of cubin sm_80, cubin sm_90a, PTX compute_80)`, or `PTX
/// compute_80, JIT-compiled by the driver (of ...)`; "" without images.
std::string kernelCodeDescription();

void *deviceAlloc(size_t bytes);
void deviceFree(void *pointer);
void copyHostToDevice(void *device, const void *host, size_t bytes);
void copyDeviceToHost(void *host, const void *device, size_t bytes);
/// Copies between any two pointers (unified addressing).
void copy(void *destination, const void *source, size_t bytes);
void memsetZero(void *device, size_t bytes);
/// Waits for all work in the context (cuCtxSynchronize).
void synchronize();

/// Events with timing enabled (mgpuEventCreate's events have it disabled).
void *createTimingEvent();
void destroyEvent(void *event);
void recordEvent(void *event, void *stream);
/// Waits for `end` and returns the time between the two events in ms.
float elapsedMs(void *start, void *end);

/// Makes mgpuStreamCreate return `stream` (and mgpuStreamSynchronize /
/// mgpuStreamDestroy ignore it) until reset with nullptr. Compiled code
/// creates and synchronises its own streams; redirecting them to one stream
/// is what allows capturing that code into a CUDA graph.
void setStreamOverride(void *stream);
/// Creates a non-blocking stream (for capture and for timing).
void *createStream();
void destroyStream(void *stream);
/// Starts capturing `stream` (thread-local capture mode).
void beginCapture(void *stream);
/// Ends capture and instantiates the graph; returns a CUgraphExec.
void *endCaptureAndInstantiate(void *stream);
void launchGraph(void *graphExec, void *stream);
void destroyGraphExec(void *graphExec);

} // namespace rat::cuda

#endif // RAT_RUNTIME_CUDA_H
