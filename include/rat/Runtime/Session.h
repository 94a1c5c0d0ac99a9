//===- Session.h - One compiled model, its weights and calls ----*- C++ -*-===//
//
// A Session owns what a run of a compiled model needs on its device: the
// entry functions of the executable (Abi.h), the weights, and every tensor
// the runtime or the compiled code allocates. Session::call runs one entry
// through the packed calling convention of docs/Runtime.md, checking every
// argument against the manifest and carrying decode state by name.
//
// The command line of compiled executables (RatRuntimeMain) is one client;
// nothing here depends on it. Token-by-token decoding builds on
// DecodeStepper (DecodeStepper.h) and LM generation on Generation.h.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_SESSION_H
#define RAT_RUNTIME_SESSION_H

#include "rat/Runtime/Abi.h"
#include "rat/Runtime/Checkpoint.h"
#include "rat/Runtime/Device.h"
#include "rat/Runtime/HostTensor.h"
#include "rat/Runtime/Log.h"
#include "rat/Runtime/Manifest.h"

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace rat {

/// Owns allocations in a backend's memory. Results of compiled code may
/// alias an argument or each other, so buffers are shared and looked up by
/// their base pointer before a result is adopted: nothing is freed twice.
class BufferTable {
public:
  explicit BufferTable(DeviceBackend &backend) : backend(backend) {}

  /// Shared ownership of `pointer` (nullptr for nullptr); the same owner for
  /// a pointer that is already owned.
  std::shared_ptr<void> adopt(void *pointer);

private:
  void release(void *pointer);

  DeviceBackend &backend;
  std::unordered_map<void *, std::weak_ptr<void>> live;
};

/// A dense row-major tensor in the device's memory.
struct Tensor {
  DType dtype = DType::F32;
  Shape shape;
  /// Keeps the allocation alive; `data` may point inside it.
  std::shared_ptr<void> owner;
  void *data = nullptr;

  size_t numElements() const {
    size_t count = 1;
    for (int64_t dim : shape)
      count *= static_cast<size_t>(dim);
    return count;
  }
  size_t sizeInBytes() const { return numElements() * dtypeSize(dtype); }
};

/// Decode state carried between calls, by name.
using StatePool = std::map<std::string, Tensor>;

/// How Session::call runs an entry: eagerly, waiting for its work before
/// returning (on CUDA, one synchronisation of the process stream); while
/// the process stream is being captured into a graph: no synchronisation, no
/// state written back (the caller owns the state buffers of the graph); or
/// not at all: only check the arguments and create the missing state.
enum class CallMode { Eager, Capture, Prepare };

/// What a call needs besides weights and state.
struct CallInputs {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, int64_t> indices;
  /// Where each input came from, for diagnostics (`input 'x' (x.npy)`).
  std::map<std::string, std::string> sources;
};

struct SessionOptions {
  /// Phase timings and notes on stderr (`[rat] ...`).
  bool verbose = false;
  /// CUDA: decode steps are replayed from a CUDA graph (DecodeStepper)
  /// unless this says why not (a -v note); then every step runs eagerly.
  std::string noDecodeGraphsReason;
};

class Session {
public:
  /// Checks that `entries` (the executable's table) has a function for every
  /// manifest entry. Throws RatError for a corrupt table.
  Session(const Manifest &manifest, const RatEntry *entries, int64_t numEntries,
          const Device &device, const SessionOptions &options = {});

  const Manifest &model() const { return manifest; }
  DeviceBackend &device() { return backend; }
  /// Streams and graphs of the cuda target; null on the CPU.
  DeviceExecution *deviceExecution() { return execution; }
  const SessionOptions &options() const { return sessionOptions; }
  const Log &logger() const { return log; }

  /// Every weight the manifest declares (the specs agree across entries).
  const WeightSpecs &declaredWeights() const { return declared; }
  /// The names of the weights `entries` take.
  static std::set<std::string>
  weightsTakenBy(const std::vector<const EntrySpec *> &entries);

  /// Checks the checkpoint at `path` against every declared weight
  /// (checkCheckpoint) and uploads the weights that `entries` take.
  void loadWeights(const std::string &path,
                   const std::vector<const EntrySpec *> &entries,
                   const CheckpointPolicy &policy = {});
  /// The same for a checkpoint already opened (or in memory).
  void loadWeights(const SafetensorsFile &file,
                   const std::vector<const EntrySpec *> &entries,
                   const CheckpointPolicy &policy = {});

  /// Moves a host tensor to the device (adopts its storage on the CPU).
  Tensor upload(HostTensor host);
  HostTensor download(const Tensor &tensor);
  /// A new tensor, zero-filled with `zero`.
  Tensor allocate(DType dtype, Shape shape, bool zero);
  /// A view of `shape` at byte `offset` inside `base` (keeps `base` alive).
  static Tensor view(const Tensor &base, size_t offset, Shape shape);

  /// Calls `entry`: binds and checks shapes, fills missing state with zeros,
  /// returns the results (in manifest order) and stores state results back
  /// into `states` (not in CallMode::Capture, see there).
  std::vector<Tensor> call(const EntrySpec &entry, const CallInputs &inputs,
                           StatePool &states, CallMode mode = CallMode::Eager);

private:
  const Manifest &manifest;
  DeviceBackend &backend;
  DeviceExecution *execution;
  SessionOptions sessionOptions;
  Log log;
  std::map<std::string, void (*)(void **)> functions;
  WeightSpecs declared;
  /// Declared before every member holding tensors: destroyed after them.
  BufferTable buffers;
  std::map<std::string, Tensor> weights;
};

} // namespace rat

#endif // RAT_RUNTIME_SESSION_H
