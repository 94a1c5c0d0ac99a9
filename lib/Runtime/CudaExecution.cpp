//===- CudaExecution.cpp - Streams and CUDA graphs of the generic main ----===//
//
// The DeviceExecution of the cuda target: one process stream, its
// synchronisation (errors name the kernel or graph launched last), and the
// capture of one entry call into a CUDA graph whose kernel parameters can be
// rewritten between replays (rat/Runtime/DeviceExecution.h).
//
//===----------------------------------------------------------------------===//

#include "CudaState.h"
#include "rat/Runtime/Cuda.h"
#include "rat/Runtime/Error.h"
#include "rat/Runtime/Log.h"

#include <cstring>

using namespace rat;
using namespace rat::cu;

namespace {

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
    setLaunchShape(node, record);
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
      // TMA descriptor slots allocated by the step, after the buffers.
      for (const auto &slot : s.captureLog.allocations)
        result.log.allocations.push_back(slot);
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
    return "peak " + formatMiB(stats.peakLiveBytes) + " in use, " +
           formatMiB(stats.peakTotalBytes) + " from the driver (" +
           std::to_string(stats.sourceAllocations) + " cuMemAlloc, " +
           std::to_string(stats.reuses) + " reused)";
  }

private:
  Stream stream = nullptr;
};

} // namespace

DeviceExecution *rat::cu::cudaExecution() {
  static CudaExecution *execution = new CudaExecution;
  return execution;
}
