//===- DecodeStepper.h - Decode steps, replayed as CUDA graphs --*- C++ -*-===//
//
// Runs a decode entry step after step (LM generation, rat_layer --decode).
//
// On the CPU, and on CUDA with graphs off (SessionOptions), every step is an
// eager Session::call. On CUDA the first step runs eagerly (it loads the
// modules and fills the allocator's cache for the step's sizes) and is
// watched for operations a graph cannot replay; the second captures the step
// into a CUDA graph, and from then on every step is a replay of that graph:
//
// - a graph replays fixed device addresses, so the step's inputs get
//   persistent buffers (each step's input is copied into them, ordered on
//   the stream before the replay), its state args use persistent buffers
//   (state_inout is updated there in place; a state result that is a
//   separate buffer is copied back after the replay), weights do not move,
//   and the results are the buffers the captured call returned, kept alive
//   here and rewritten by every replay;
// - an entry that takes the position as an index argument (rat_layer
//   decode) passes it to the kernels by value, so the graph holds it in
//   kernel parameters. Two captures at the first and last position of the
//   run locate those parameters (findPositionSlots); each replay rewrites
//   them first. A step whose kernels depend on the position in any other
//   way (launch shapes, derived values, allocations) is not replayed: the
//   stepper falls back to eager steps and says why under -v;
// - an entry without index arguments (an LM's decode: positions, sampling
//   and stop state are decode state in device memory) is captured once and
//   replayed as it is.
//
// Replays are not synchronised one by one: finish() waits for them.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_DECODESTEPPER_H
#define RAT_RUNTIME_DECODESTEPPER_H

#include "rat/Runtime/Session.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace rat {

class DecodeStepper {
public:
  /// Steps of `entry` (one index argument: the position) at positions
  /// `first` .. `last`.
  DecodeStepper(Session &session, const EntrySpec &entry, int64_t first,
                int64_t last);
  /// Steps of `entry` without index arguments: every step is the same call.
  DecodeStepper(Session &session, const EntrySpec &entry);

  /// Runs one step; the results stay valid until the next step.
  std::vector<Tensor> step(const CallInputs &inputs, StatePool &states);

  /// Waits for the replays enqueued so far (a fault names the graph).
  void finish();

  /// Whether steps are replayed from a graph.
  bool replaying() const { return phase == Phase::Replay; }

  /// The state buffers the captured graph reads (empty before a capture):
  /// a later run's prefill can write its state there directly.
  const StatePool &graphStates() const { return stateBuffers; }

private:
  enum class Phase { Eager, WarmUp, Capture, Replay };

  /// False (eager steps) on the CPU and with graphs off.
  bool usesGraphs();
  void disable(const std::string &why);
  void releaseGraph();
  /// One capture of the step at `position`; on success fills `log` and, with
  /// `instantiate`, `graph` and `results`.
  bool captureAt(const CallInputs &inputs, StatePool &states, int64_t position,
                 bool instantiate, CaptureLog &log, std::string &why);
  bool capture(const CallInputs &inputs, StatePool &states, std::string &why);
  std::vector<Tensor> replay(const CallInputs &inputs, StatePool &states);

  Session &session;
  const EntrySpec &entry;
  DeviceExecution *execution;
  int64_t first, last;
  Phase phase = Phase::WarmUp;
  std::string positionName;
  bool pending = false;
  /// Persistent buffers of the inputs and states the graph reads.
  std::map<std::string, Tensor> inputBuffers;
  StatePool stateBuffers;
  /// The results of the captured call, rewritten by every replay.
  std::vector<Tensor> results;
  std::unique_ptr<CapturedGraph> graph;
  std::vector<PositionSlot> slots;
  /// The parameters of every launch with a position slot, as last set.
  std::map<size_t, std::vector<std::vector<uint8_t>>> launchParams;
  int64_t graphPosition = 0;
};

} // namespace rat

#endif // RAT_RUNTIME_DECODESTEPPER_H
