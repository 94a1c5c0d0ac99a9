//===- CudaDriverApi.h - CUDA driver API loaded at run time -----*- C++ -*-===//
//
// The few CUDA driver types, constants and entry points the runtime uses,
// declared here instead of including cuda.h: the runtime builds on machines
// without the CUDA toolkit and resolves the driver with dlopen/dlsym, so an
// executable without a driver reports a clear error instead of failing to
// start. Values and layouts match cuda.h (CudaAbiTest checks them against
// the real header where it exists).
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_RUNTIME_CUDADRIVERAPI_H
#define RAT_LIB_RUNTIME_CUDADRIVERAPI_H

#include <cstddef>
#include <cstdint>

namespace rat::cu {

using Result = int;
using Device = int;
using DevicePtr = unsigned long long;
using Context = struct CUctx_st *;
using Module = struct CUmod_st *;
using Function = struct CUfunc_st *;
using Stream = struct CUstream_st *;
using Event = struct CUevent_st *;
using Graph = struct CUgraph_st *;
using GraphExec = struct CUgraphExec_st *;
using MemoryPool = struct CUmemPoolHandle_st *;
using GraphNode = struct CUgraphNode_st *;

// CUresult values the runtime distinguishes.
constexpr Result kSuccess = 0;
constexpr Result kErrorOutOfMemory = 2;
constexpr Result kErrorDeinitialized = 4;
constexpr Result kErrorNoDevice = 100;
constexpr Result kErrorNoBinaryForGpu = 209;
constexpr Result kErrorStreamCaptureUnsupported = 900;

// CUdevice_attribute.
constexpr int kDeviceAttributeComputeCapabilityMajor = 75;
constexpr int kDeviceAttributeComputeCapabilityMinor = 76;
constexpr int kDeviceAttributeMaxSharedMemoryPerBlockOptin = 97;
constexpr int kDeviceAttributeMemoryPoolsSupported = 115;

// CUfunction_attribute.
constexpr int kFuncAttributeMaxDynamicSharedSizeBytes = 8;

// CUjit_option.
constexpr int kJitErrorLogBuffer = 5;
constexpr int kJitErrorLogBufferSizeBytes = 6;
constexpr int kJitOptimizationLevel = 7;

// Flags.
constexpr unsigned kStreamNonBlocking = 0x1;
constexpr unsigned kEventDefault = 0x0;
constexpr unsigned kEventDisableTiming = 0x2;
constexpr unsigned kMemAttachGlobal = 0x1;
constexpr int kStreamCaptureModeThreadLocal = 1;
constexpr int kStreamCaptureModeRelaxed = 2;
constexpr int kStreamCaptureStatusActive = 1;
constexpr int kPointerAttributeMemoryType = 2;
constexpr unsigned kMemoryTypeHost = 1;
constexpr int kMemPoolAttrReleaseThreshold = 4;
constexpr int kLaunchAttributeClusterDimension = 4;

/// CUlaunchAttributeValue: a 64-byte union of which we only use clusterDim.
union alignas(8) LaunchAttributeValue {
  char pad[64];
  struct {
    unsigned x, y, z;
  } clusterDim;
};

/// CUlaunchAttribute.
struct LaunchAttribute {
  int id;
  char pad[8 - sizeof(int)];
  LaunchAttributeValue value;
};

/// CUlaunchConfig.
struct LaunchConfig {
  unsigned gridDimX, gridDimY, gridDimZ;
  unsigned blockDimX, blockDimY, blockDimZ;
  unsigned sharedMemBytes;
  Stream hStream;
  LaunchAttribute *attrs;
  unsigned numAttrs;
};

/// CUDA_KERNEL_NODE_PARAMS_v2 (cuGraphExecKernelNodeSetParams_v2).
struct KernelNodeParams {
  Function func;
  unsigned gridDimX, gridDimY, gridDimZ;
  unsigned blockDimX, blockDimY, blockDimZ;
  unsigned sharedMemBytes;
  void **kernelParams;
  void **extra;
  void *kern;
  Context ctx;
};

/// CUDA_KERNEL_NODE_PARAMS_v1 (the unversioned cuGraphExecKernelNodeSetParams
/// of CUDA 11 drivers): the same without the last two fields.
struct KernelNodeParamsV1 {
  Function func;
  unsigned gridDimX, gridDimY, gridDimZ;
  unsigned blockDimX, blockDimY, blockDimZ;
  unsigned sharedMemBytes;
  void **kernelParams;
  void **extra;
};

/// Driver entry points, resolved by dlsym. Optional ones (newer drivers) may
/// be null; the rest are required to initialise.
struct DriverApi {
  Result (*cuInit)(unsigned flags);
  /// CUDA 12+ (Hopper's tensor memory accelerator); optional.
  Result (*cuTensorMapEncodeTiled)(void *tensorMap, int dataType,
                                   uint32_t rank, void *globalAddress,
                                   const uint64_t *globalDim,
                                   const uint64_t *globalStrides,
                                   const uint32_t *boxDim,
                                   const uint32_t *elementStrides,
                                   int interleave, int swizzle,
                                   int l2Promotion, int oobFill);
  Result (*cuGetErrorString)(Result error, const char **text);
  Result (*cuGetErrorName)(Result error, const char **text);
  Result (*cuDeviceGetCount)(int *count);
  Result (*cuDeviceGet)(Device *device, int ordinal);
  Result (*cuDeviceGetName)(char *name, int length, Device device);
  Result (*cuDeviceGetAttribute)(int *value, int attribute, Device device);
  Result (*cuDeviceTotalMem)(size_t *bytes, Device device);
  Result (*cuDevicePrimaryCtxRetain)(Context *context, Device device);
  Result (*cuCtxSetCurrent)(Context context);
  Result (*cuCtxSynchronize)();
  Result (*cuModuleLoadData)(Module *module, const void *image);
  Result (*cuModuleLoadDataEx)(Module *module, const void *image,
                               unsigned numOptions, int *options,
                               void **optionValues);
  Result (*cuModuleUnload)(Module module);
  Result (*cuModuleGetFunction)(Function *function, Module module,
                                const char *name);
  Result (*cuFuncSetAttribute)(Function function, int attribute, int value);
  Result (*cuLaunchKernel)(Function function, unsigned gridX, unsigned gridY,
                           unsigned gridZ, unsigned blockX, unsigned blockY,
                           unsigned blockZ, unsigned sharedMemBytes,
                           Stream stream, void **params, void **extra);
  Result (*cuStreamCreate)(Stream *stream, unsigned flags);
  Result (*cuStreamDestroy)(Stream stream);
  Result (*cuStreamSynchronize)(Stream stream);
  Result (*cuStreamWaitEvent)(Stream stream, Event event, unsigned flags);
  Result (*cuEventCreate)(Event *event, unsigned flags);
  Result (*cuEventDestroy)(Event event);
  Result (*cuEventSynchronize)(Event event);
  Result (*cuEventRecord)(Event event, Stream stream);
  Result (*cuEventElapsedTime)(float *milliseconds, Event start, Event end);
  Result (*cuMemAlloc)(DevicePtr *pointer, size_t bytes);
  Result (*cuMemAllocManaged)(DevicePtr *pointer, size_t bytes, unsigned flags);
  Result (*cuMemFree)(DevicePtr pointer);
  Result (*cuMemcpy)(DevicePtr destination, DevicePtr source, size_t bytes);
  Result (*cuMemcpyAsync)(DevicePtr destination, DevicePtr source, size_t bytes,
                          Stream stream);
  Result (*cuMemcpyHtoD)(DevicePtr destination, const void *source,
                         size_t bytes);
  Result (*cuMemcpyDtoH)(void *destination, DevicePtr source, size_t bytes);
  Result (*cuMemsetD8)(DevicePtr destination, unsigned char value,
                       size_t count);
  Result (*cuMemsetD16Async)(DevicePtr destination, unsigned short value,
                             size_t count, Stream stream);
  Result (*cuMemsetD32Async)(DevicePtr destination, unsigned value,
                             size_t count, Stream stream);
  Result (*cuMemcpyHtoDAsync)(DevicePtr destination, const void *source,
                              size_t bytes, Stream stream);
  Result (*cuMemcpyDtoHAsync)(void *destination, DevicePtr source, size_t bytes,
                              Stream stream);
  Result (*cuMemsetD8Async)(DevicePtr destination, unsigned char value,
                            size_t count, Stream stream);
  Result (*cuPointerGetAttribute)(void *data, int attribute, DevicePtr pointer);

  // Optional.
  Result (*cuLaunchKernelEx)(const LaunchConfig *config, Function function,
                             void **params, void **extra);
  Result (*cuMemAllocAsync)(DevicePtr *pointer, size_t bytes, Stream stream);
  Result (*cuMemFreeAsync)(DevicePtr pointer, Stream stream);
  Result (*cuDeviceGetDefaultMemPool)(MemoryPool *pool, Device device);
  Result (*cuMemPoolSetAttribute)(MemoryPool pool, int attribute, void *value);
  Result (*cuStreamBeginCapture)(Stream stream, int mode);
  Result (*cuStreamEndCapture)(Stream stream, Graph *graph);
  Result (*cuGraphInstantiateWithFlags)(GraphExec *exec, Graph graph,
                                        unsigned long long flags);
  Result (*cuGraphLaunch)(GraphExec exec, Stream stream);
  Result (*cuGraphExecDestroy)(GraphExec exec);
  Result (*cuGraphDestroy)(Graph graph);
  // Optional, for capturing decode steps and patching their parameters.
  Result (*cuThreadExchangeStreamCaptureMode)(int *mode);
  Result (*cuFuncGetParamInfo)(Function function, size_t index, size_t *offset,
                               size_t *size);
  Result (*cuStreamGetCaptureInfo)(Stream stream, int *status,
                                   unsigned long long *id, Graph *graph,
                                   const GraphNode **dependencies,
                                   size_t *numDependencies);
  Result (*cuGraphExecKernelNodeSetParams)(GraphExec exec, GraphNode node,
                                           const KernelNodeParams *params);
  Result (*cuGraphExecKernelNodeSetParamsV1)(GraphExec exec, GraphNode node,
                                             const KernelNodeParamsV1 *params);
};

} // namespace rat::cu

#endif // RAT_LIB_RUNTIME_CUDADRIVERAPI_H
