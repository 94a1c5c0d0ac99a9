//===- DecodeStepper.cpp - Decode steps, replayed as CUDA graphs ----------===//
//
// See DecodeStepper.h for how steps are captured and replayed.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/DecodeStepper.h"

#include "rat/Runtime/Error.h"

#include <set>

using namespace rat;

DecodeStepper::DecodeStepper(Session &session, const EntrySpec &entry,
                             int64_t first, int64_t last)
    : session(session), entry(entry), execution(session.deviceExecution()),
      first(first), last(last) {
  if (!usesGraphs())
    return;
  if (entry.countArgs(Role::Index) != 1) {
    session.logger().note("decode graphs: not used, eager steps: entry '" +
                          entry.name +
                          "' does not take exactly one index argument");
    phase = Phase::Eager;
    return;
  }
  positionName = entry.args[entry.findArg(Role::Index)].name;
}

DecodeStepper::DecodeStepper(Session &session, const EntrySpec &entry)
    : session(session), entry(entry), execution(session.deviceExecution()),
      first(0), last(0) {
  if (!usesGraphs())
    return;
  if (entry.countArgs(Role::Index) != 0) {
    session.logger().note("decode graphs: not used, eager steps: entry '" +
                          entry.name + "' takes an index argument");
    phase = Phase::Eager;
  }
}

bool DecodeStepper::usesGraphs() {
  if (!execution) {
    phase = Phase::Eager; // CPU: as always
    return false;
  }
  const std::string &off = session.options().noDecodeGraphsReason;
  if (!off.empty()) {
    session.logger().note("decode graphs: off (" + off + ")");
    phase = Phase::Eager;
    return false;
  }
  return true;
}

std::vector<Tensor> DecodeStepper::step(const CallInputs &inputs,
                                        StatePool &states) {
  switch (phase) {
  case Phase::Eager:
    return session.call(entry, inputs, states);
  case Phase::WarmUp: {
    std::string what;
    uint64_t before = execution->uncapturableOperations(what);
    std::vector<Tensor> results = session.call(entry, inputs, states);
    if (execution->uncapturableOperations(what) != before)
      disable("the step does " + what + ", which a graph cannot replay");
    else
      phase = Phase::Capture;
    return results;
  }
  case Phase::Capture: {
    std::string why;
    if (!capture(inputs, states, why)) {
      disable(why);
      return session.call(entry, inputs, states);
    }
    phase = Phase::Replay;
    return replay(inputs, states);
  }
  case Phase::Replay:
    return replay(inputs, states);
  }
  return {};
}

void DecodeStepper::finish() {
  if (pending)
    execution->synchronize();
  pending = false;
}

void DecodeStepper::disable(const std::string &why) {
  session.logger().note("decode graphs: not used, eager steps: " + why);
  phase = Phase::Eager;
  releaseGraph();
}

void DecodeStepper::releaseGraph() {
  graph.reset();
  results.clear();
  inputBuffers.clear();
  stateBuffers.clear();
}

bool DecodeStepper::captureAt(const CallInputs &inputs, StatePool &states,
                              int64_t position, bool instantiate,
                              CaptureLog &log, std::string &why) {
  CallInputs at = inputs;
  if (!positionName.empty())
    at.indices[positionName] = position;
  try {
    execution->beginCapture();
  } catch (const RatError &error) {
    why = error.what();
    return false;
  }
  std::vector<Tensor> captured;
  std::string callError;
  try {
    captured = session.call(entry, at, states, CallMode::Capture);
  } catch (const RatError &error) {
    callError = error.what();
  }
  CaptureResult result = execution->endCapture(
      instantiate, "the CUDA graph of entry '" + entry.name + "'");
  if (result.error.empty())
    result.error = callError;
  if (!result.error.empty()) {
    why = "capture failed: " + result.error;
    return false;
  }
  log = std::move(result.log);
  if (instantiate) {
    graph = std::move(result.graph);
    results = std::move(captured);
  }
  return true;
}

bool DecodeStepper::capture(const CallInputs &inputs, StatePool &states,
                            std::string &why) {
  why = execution->graphSupport();
  if (!why.empty())
    return false;
  // A run's first step may come here (a one-step run): its zero state.
  session.call(entry, inputs, states, CallMode::Prepare);
  CallInputs persistent = inputs;
  for (const ValueSpec &arg : entry.args) {
    if (arg.role == Role::Input) {
      auto it = inputs.tensors.find(arg.name);
      if (it == inputs.tensors.end()) {
        why = "no value for input '" + arg.name + "'";
        return false;
      }
      inputBuffers[arg.name] =
          session.allocate(it->second.dtype, it->second.shape, /*zero=*/false);
      persistent.tensors[arg.name] = inputBuffers[arg.name];
    } else if (arg.role == Role::State) {
      // The current state buffers become the persistent ones.
      stateBuffers[arg.name] = states.at(arg.name);
    }
  }
  CaptureLog atFirst, atLast;
  if (first != last && !captureAt(persistent, states, first,
                                  /*instantiate=*/false, atFirst, why)) {
    releaseGraph();
    return false;
  }
  if (!captureAt(persistent, states, last, /*instantiate=*/true, atLast, why)) {
    releaseGraph();
    return false;
  }
  if (first != last &&
      !findPositionSlots(atFirst, first, atLast, last, slots, why)) {
    why = "the kernels depend on the position: " + why;
    releaseGraph();
    return false;
  }
  graphPosition = last;
  std::set<size_t> patched;
  for (const PositionSlot &slot : slots)
    patched.insert(slot.launch);
  for (size_t launch : patched)
    launchParams[launch] = atLast.launches[launch].params;
  std::string captured = "decode graphs: captured entry '" + entry.name +
                         "' (" + std::to_string(atLast.launches.size()) +
                         " kernels, " +
                         std::to_string(atLast.allocations.size()) +
                         " allocations); ";
  if (positionName.empty())
    session.logger().note(captured +
                          "no position parameter: every replay is the same");
  else
    session.logger().note(
        captured + std::to_string(slots.size()) + " position parameter(s) in " +
        std::to_string(patched.size()) +
        " kernel(s) are rewritten before each replay, for positions " +
        std::to_string(first) + ".." + std::to_string(last));
  return true;
}

std::vector<Tensor> DecodeStepper::replay(const CallInputs &inputs,
                                          StatePool &states) {
  int64_t position = graphPosition;
  if (!positionName.empty()) {
    auto index = inputs.indices.find(positionName);
    if (index == inputs.indices.end())
      throw RatError("entry '" + entry.name + "': no value for index '" +
                     positionName + "'");
    position = index->second;
    // Outside the captured range the position parameters were not checked.
    if (position < first || position > last)
      return session.call(entry, inputs, states);
  }
  DeviceBackend &device = session.device();
  for (auto &[name, buffer] : inputBuffers) {
    auto it = inputs.tensors.find(name);
    if (it == inputs.tensors.end())
      throw RatError("entry '" + entry.name + "': no value for input '" + name +
                     "'");
    const Tensor &input = it->second;
    if (input.dtype != buffer.dtype || input.shape != buffer.shape)
      return session.call(entry, inputs, states);
    if (input.data != buffer.data)
      device.copyOnDevice(buffer.data, input.data, buffer.sizeInBytes());
  }
  for (auto &[name, buffer] : stateBuffers) {
    auto it = states.find(name);
    if (it == states.end()) {
      // Fresh state (a new run) starts at zero, as in Session::call.
      device.fillZero(buffer.data, buffer.sizeInBytes());
      states[name] = buffer;
    } else if (it->second.data != buffer.data) {
      // A new run's state (from its prefill) moves into the graph's buffer.
      if (it->second.dtype != buffer.dtype || it->second.shape != buffer.shape)
        throw RatError("entry '" + entry.name + "': state '" + name +
                       "' changed shape between steps");
      device.copyOnDevice(buffer.data, it->second.data, buffer.sizeInBytes());
      it->second = buffer;
    }
  }
  if (position != graphPosition) {
    for (auto &[launch, params] : launchParams) {
      for (const PositionSlot &slot : slots)
        if (slot.launch == launch)
          setPositionSlot(params, slot, position);
      graph->setKernelParams(launch, params);
    }
    graphPosition = position;
  }
  graph->launch();
  pending = true;
  // A state result in a buffer of its own: the next step reads it from
  // the state argument's buffer.
  for (size_t i = 0; i < entry.results.size(); ++i) {
    const ValueSpec &spec = entry.results[i];
    if (spec.role != Role::State)
      continue;
    auto buffer = stateBuffers.find(spec.name);
    if (buffer == stateBuffers.end())
      continue;
    if (results[i].data != buffer->second.data)
      device.copyOnDevice(buffer->second.data, results[i].data,
                          buffer->second.sizeInBytes());
    states[spec.name] = buffer->second;
  }
  return results;
}
