//===- CudaAbiTest.cpp - Check CudaDriverApi.h against cuda.h -------------===//
//
// The runtime declares the driver types and constants it needs itself so that
// it builds without the CUDA toolkit. Where cuda.h is available, this test
// pins those declarations to the real ones at compile time.
//
//===----------------------------------------------------------------------===//

#include "CudaDriverApi.h"

#include <cuda.h>

#include "gtest/gtest.h"

#include <cstddef>
#include <cstring>
#include <type_traits>

namespace cu = rat::cu;

static_assert(cu::kSuccess == CUDA_SUCCESS);
static_assert(cu::kErrorDeinitialized == CUDA_ERROR_DEINITIALIZED);
static_assert(cu::kErrorNoDevice == CUDA_ERROR_NO_DEVICE);
static_assert(cu::kErrorNoBinaryForGpu == CUDA_ERROR_NO_BINARY_FOR_GPU);
static_assert(cu::kDeviceAttributeComputeCapabilityMajor ==
              CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR);
static_assert(cu::kDeviceAttributeComputeCapabilityMinor ==
              CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
static_assert(cu::kDeviceAttributeMaxSharedMemoryPerBlockOptin ==
              CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
static_assert(cu::kDeviceAttributeMemoryPoolsSupported ==
              CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED);
static_assert(cu::kFuncAttributeMaxDynamicSharedSizeBytes ==
              CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES);
static_assert(cu::kJitErrorLogBuffer == CU_JIT_ERROR_LOG_BUFFER);
static_assert(cu::kJitErrorLogBufferSizeBytes ==
              CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES);
static_assert(cu::kJitOptimizationLevel == CU_JIT_OPTIMIZATION_LEVEL);
static_assert(cu::kStreamNonBlocking == CU_STREAM_NON_BLOCKING);
static_assert(cu::kEventDefault == CU_EVENT_DEFAULT);
static_assert(cu::kEventDisableTiming == CU_EVENT_DISABLE_TIMING);
static_assert(cu::kMemAttachGlobal == CU_MEM_ATTACH_GLOBAL);
static_assert(cu::kStreamCaptureModeThreadLocal ==
              CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
static_assert(cu::kMemPoolAttrReleaseThreshold ==
              CU_MEMPOOL_ATTR_RELEASE_THRESHOLD);
static_assert(cu::kLaunchAttributeClusterDimension ==
              CU_LAUNCH_ATTRIBUTE_CLUSTER_DIMENSION);
static_assert(cu::kErrorOutOfMemory == CUDA_ERROR_OUT_OF_MEMORY);
static_assert(cu::kErrorStreamCaptureUnsupported ==
              CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED);
static_assert(cu::kStreamCaptureModeRelaxed == CU_STREAM_CAPTURE_MODE_RELAXED);
static_assert(cu::kStreamCaptureStatusActive ==
              CU_STREAM_CAPTURE_STATUS_ACTIVE);
static_assert(cu::kPointerAttributeMemoryType ==
              CU_POINTER_ATTRIBUTE_MEMORY_TYPE);
static_assert(cu::kMemoryTypeHost == CU_MEMORYTYPE_HOST);

// cuGraphExecKernelNodeSetParams_v2 and its CUDA 11 predecessor.
static_assert(sizeof(cu::KernelNodeParams) ==
              sizeof(CUDA_KERNEL_NODE_PARAMS_v2));
static_assert(offsetof(cu::KernelNodeParams, sharedMemBytes) ==
              offsetof(CUDA_KERNEL_NODE_PARAMS_v2, sharedMemBytes));
static_assert(offsetof(cu::KernelNodeParams, kernelParams) ==
              offsetof(CUDA_KERNEL_NODE_PARAMS_v2, kernelParams));
static_assert(offsetof(cu::KernelNodeParams, extra) ==
              offsetof(CUDA_KERNEL_NODE_PARAMS_v2, extra));
static_assert(offsetof(cu::KernelNodeParams, kern) ==
              offsetof(CUDA_KERNEL_NODE_PARAMS_v2, kern));
static_assert(offsetof(cu::KernelNodeParams, ctx) ==
              offsetof(CUDA_KERNEL_NODE_PARAMS_v2, ctx));
static_assert(sizeof(cu::KernelNodeParamsV1) ==
              sizeof(CUDA_KERNEL_NODE_PARAMS_v1));
static_assert(offsetof(cu::KernelNodeParamsV1, extra) ==
              offsetof(CUDA_KERNEL_NODE_PARAMS_v1, extra));

static_assert(std::is_same_v<cu::DevicePtr, CUdeviceptr>);
static_assert(sizeof(cu::Result) == sizeof(CUresult));
static_assert(sizeof(cu::Device) == sizeof(CUdevice));

static_assert(sizeof(cu::LaunchAttributeValue) ==
              sizeof(CUlaunchAttributeValue));
static_assert(alignof(cu::LaunchAttributeValue) ==
              alignof(CUlaunchAttributeValue));
static_assert(sizeof(cu::LaunchAttribute) == sizeof(CUlaunchAttribute));
static_assert(offsetof(cu::LaunchAttribute, value) ==
              offsetof(CUlaunchAttribute, value));
static_assert(sizeof(cu::LaunchConfig) == sizeof(CUlaunchConfig));
static_assert(offsetof(cu::LaunchConfig, sharedMemBytes) ==
              offsetof(CUlaunchConfig, sharedMemBytes));
static_assert(offsetof(cu::LaunchConfig, hStream) ==
              offsetof(CUlaunchConfig, hStream));
static_assert(offsetof(cu::LaunchConfig, attrs) ==
              offsetof(CUlaunchConfig, attrs));
static_assert(offsetof(cu::LaunchConfig, numAttrs) ==
              offsetof(CUlaunchConfig, numAttrs));

TEST(CudaAbi, DeclarationsMatchCudaH) {
  // The checks are the static_asserts above; this records that they ran.
  CUlaunchAttributeValue value{};
  value.clusterDim.y = 3;
  cu::LaunchAttributeValue ours{};
  ours.clusterDim.y = 3;
  EXPECT_EQ(std::memcmp(&value, &ours, sizeof(value)), 0);
}
