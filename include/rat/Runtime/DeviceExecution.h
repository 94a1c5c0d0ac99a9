//===- DeviceExecution.h - Streams and CUDA graphs of a session -*- C++ -*-===//
//
// What a Session needs from the CUDA runtime beyond DeviceBackend: one
// stream for the whole process, its synchronisation, device memory
// statistics, and the capture of one entry call into a CUDA graph that is
// replayed for the following decode steps (DecodeStepper).
//
// The session never calls CUDA: it gets this interface from
// rat_cuda_execution(), which RatCudaRuntime defines (in the same object as
// rat_cuda_backend, so a CUDA link always has both) and Device.cpp
// references weakly, like rat_cuda_backend (null in CPU links).
//
// Captured parameters: compiled host code passes the decode position (an
// `index` argument) to its kernels by value, so a graph captured at one
// position holds that position in its kernel parameters. The capture records
// every launch with its parameter bytes (CaptureLog) so that the stepper can
// find those parameters by comparing two captures at different positions
// (findPositionSlots) and rewrite them before each replay
// (CapturedGraph::setKernelParams).
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_DEVICEEXECUTION_H
#define RAT_RUNTIME_DEVICEEXECUTION_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rat {

/// One kernel launch recorded during a capture.
struct CapturedLaunch {
  const void *function = nullptr;
  /// Kernel name, for messages.
  std::string name;
  unsigned grid[3] = {1, 1, 1};
  unsigned block[3] = {1, 1, 1};
  unsigned cluster[3] = {0, 0, 0};
  unsigned sharedMemBytes = 0;
  /// The value of each kernel parameter, as passed (sizes from the driver).
  std::vector<std::vector<uint8_t>> params;
};

/// Another captured operation (a copy or a memset): its kind and operands,
/// compared between captures like kernel parameters.
struct CapturedOperation {
  std::string kind;
  std::vector<uint64_t> operands;
};

/// What one capture recorded: every launch in order, the other operations,
/// and the allocations made during the capture (in order).
struct CaptureLog {
  std::vector<CapturedLaunch> launches;
  std::vector<CapturedOperation> operations;
  struct Allocation {
    uintptr_t address = 0;
    size_t bytes = 0;
  };
  std::vector<Allocation> allocations;
};

/// A kernel parameter that holds the decode position.
struct PositionSlot {
  size_t launch = 0;
  size_t param = 0;
  /// 8 (i64) or 4 (i32).
  size_t bytes = 8;
};

/// Compares two captures of the same call made with position `positionA` and
/// `positionB` (different) and everything else equal. They must launch the
/// same kernels with the same grids in the same order and make the same
/// allocations; a pointer parameter matches if it points to the same place
/// of the corresponding allocation (or is equal, for buffers allocated
/// before the capture). Every other parameter must have the same bytes,
/// except those equal to positionA in `a` and positionB in `b`, which are
/// returned as position slots. Returns false, with the first difference in
/// `why`, if the captures differ in any other way: then a parameter depends
/// on the position in a way a replay cannot reproduce.
bool findPositionSlots(const CaptureLog &a, int64_t positionA,
                       const CaptureLog &b, int64_t positionB,
                       std::vector<PositionSlot> &slots, std::string &why);

/// Writes `value` into slot `slot` of `params` (the parameters of its launch).
void setPositionSlot(std::vector<std::vector<uint8_t>> &params,
                     const PositionSlot &slot, int64_t value);

/// An instantiated graph of one captured call. Destroying it releases the
/// graph and the device blocks reserved for its temporaries.
class CapturedGraph {
public:
  virtual ~CapturedGraph() = default;
  /// Replaces the parameters of captured launch `launch` for future
  /// replays (same sizes as captured).
  virtual void
  setKernelParams(size_t launch,
                  const std::vector<std::vector<uint8_t>> &params) = 0;
  /// Enqueues one replay on the process stream.
  virtual void launch() = 0;
};

/// The result of DeviceExecution::endCapture.
struct CaptureResult {
  /// Empty if the capture succeeded.
  std::string error;
  CaptureLog log;
  /// Set if the capture succeeded and was asked to be instantiated.
  std::unique_ptr<CapturedGraph> graph;
};

class DeviceExecution {
public:
  virtual ~DeviceExecution() = default;

  /// Creates the process stream and makes the streams of compiled code
  /// (mgpuStreamCreate) and the backend's copies use it. Called once, after
  /// DeviceBackend::initialize.
  virtual void useProcessStream() = 0;

  /// Waits for the process stream. Throws RatError naming the kernel (or the
  /// graph) launched last, where a fault would have happened.
  virtual void synchronize() = 0;

  /// The number of operations since start-up that a graph could not replay
  /// (synchronisations, copies with host memory, ...), and the description
  /// of the first one since the previous call ("" if none).
  virtual uint64_t uncapturableOperations(std::string &first) = 0;

  /// Empty if graphs can be captured and patched with this driver, else why
  /// not.
  virtual std::string graphSupport() = 0;

  /// Starts capturing the process stream; the call that follows must not
  /// synchronise. Throws RatError if capture cannot start.
  virtual void beginCapture() = 0;
  /// Ends the capture. With `instantiate`, returns a graph labelled `label`
  /// (for error messages) that keeps the blocks of its temporaries reserved;
  /// without, a dry run: the graph is dropped and its blocks released.
  virtual CaptureResult endCapture(bool instantiate,
                                   const std::string &label) = 0;

  /// Waits for the stream and returns cached device memory to the driver.
  virtual void releaseCachedMemory() = 0;

  /// `peak 12.3 MiB in use, 14.0 MiB from the driver (35 allocations, 980
  /// reused)`, for -v.
  virtual std::string memoryReport() = 0;
};

} // namespace rat

/// The CUDA implementation, defined by RatCudaRuntime (next to
/// rat_cuda_backend). Device.cpp references it weakly.
extern "C" rat::DeviceExecution *rat_cuda_execution(void);

#endif // RAT_RUNTIME_DEVICEEXECUTION_H
