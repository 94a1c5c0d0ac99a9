//===- CudaLaunch.cpp - Kernel launches of compiled code ------------------===//
//
// mgpuLaunchKernel and mgpuLaunchClusterKernel end here: launch dimensions
// are checked, kernels that want more than 48 KiB of dynamic shared memory
// opt in, and during a capture (DeviceExecution::beginCapture) every launch is
// recorded with its parameter bytes and graph node (CaptureLog), which is how
// the generic main finds and rewrites the decode position of a replayed
// graph.
//
//===----------------------------------------------------------------------===//

#include "CudaState.h"

#include <cstring>
#include <limits>

using namespace rat;

namespace rat::cu {

unsigned launchDim(intptr_t value, const char *what, Function function) {
  if (value <= 0 || value > std::numeric_limits<unsigned>::max()) {
    std::string name = kernelName(function);
    fatal(std::string("invalid launch ") + what + " " + std::to_string(value) +
          " (kernel '" + (name.empty() ? "<unknown>" : name) + "')");
  }
  return static_cast<unsigned>(value);
}

namespace {

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

} // namespace

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
    setLaunchShape(config, record);
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

} // namespace rat::cu
