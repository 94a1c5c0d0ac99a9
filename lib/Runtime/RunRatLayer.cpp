//===- RunRatLayer.cpp - The command line of a rat_layer model ------------===//
//
// `--input x.npy --output y.npy`: the prefill entry over the whole sequence,
// or with --decode the decode entry token by token (DecodeStepper), the
// outputs gathered back into [B, T, D].
//
//===----------------------------------------------------------------------===//

#include "Runners.h"

#include "rat/Runtime/Error.h"

#include <cstring>
#include <optional>

using namespace rat;

void rat::runRatLayer(Session &session, const CommandLineOptions &options) {
  const Manifest &manifest = session.model();
  requireOption(options.input, "--input", "(the x array [B, T, D])");
  requireOption(options.output, "--output", "(where to write y)");
  const EntrySpec &prefill = *manifest.findEntry("prefill");
  const EntrySpec *decode = manifest.findEntry("decode");
  if (options.decode && !decode)
    throw RatError("--decode: this model was compiled without a decode entry");
  const EntrySpec &entry = options.decode ? *decode : prefill;
  loadWeights(session, options, {&entry});
  const Log &log = session.logger();
  DeviceBackend &device = session.device();

  const ValueSpec &inputSpec = entry.args[entry.findArg(Role::Input)];
  const ValueSpec &outputSpec = entry.results[entry.findResult(Role::Output)];
  HostTensor x = readInput(options.input, inputSpec);
  if (x.rank() != 3)
    throw RatError(options.input + ": expected an array [B, T, D], got shape " +
                   formatShape(x.shape()));
  int64_t batch = x.shape()[0], length = x.shape()[1], width = x.shape()[2];
  // The decode state (chunk cache) holds max_seq_len positions.
  std::optional<int64_t> maxSeqLen = manifest.intParam("max_seq_len");
  if (options.decode && maxSeqLen && length > *maxSeqLen)
    throw RatError(options.input + ": --decode over " + std::to_string(length) +
                   " tokens exceeds the model's max_seq_len " +
                   std::to_string(*maxSeqLen) +
                   " (compile with a larger --max-seq-len)");
  OutputFiles outputs;

  if (!options.decode) {
    Clock::time_point begin = Clock::now();
    CallInputs inputs;
    inputs.tensors[inputSpec.name] = session.upload(std::move(x));
    inputs.sources[inputSpec.name] = options.input;
    log.phase("upload", begin);
    auto run = [&] {
      StatePool states;
      return session.call(entry, inputs, states);
    };
    begin = Clock::now();
    std::vector<Tensor> results = run();
    log.phase("prefill", begin);
    outputs.add(options.output,
                session.download(results[entry.findResult(Role::Output)]));
    results.clear();
    outputs.commit(log);
    if (options.bench) {
      for (int64_t i = 0; i < options.warmup; ++i)
        run();
      std::unique_ptr<DeviceTimer> timer = device.createTimer();
      std::vector<double> times;
      for (int64_t i = 0; i < *options.bench; ++i) {
        timer->start();
        std::vector<Tensor> timed = run();
        times.push_back(timer->stopMs());
      }
      printBench("prefill", times, static_cast<double>(batch * length));
    }
    return;
  }

  // Decode: the entry takes x[:, t:t+1, :]. Those slices are not contiguous
  // in x, so reorder the input to [T, B, 1, D] once and pass views.
  Clock::time_point begin = Clock::now();
  size_t elementSize = dtypeSize(x.dtype());
  size_t rowBytes = static_cast<size_t>(width) * elementSize;
  HostTensor steps(x.dtype(), {length, batch, 1, width});
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < length; ++t)
      std::memcpy(static_cast<uint8_t *>(steps.data()) +
                      static_cast<size_t>(t * batch + b) * rowBytes,
                  static_cast<const uint8_t *>(x.data()) +
                      static_cast<size_t>(b * length + t) * rowBytes,
                  rowBytes);
  Tensor stepInputs = session.upload(std::move(steps));
  const ValueSpec &positionSpec = entry.args[entry.findArg(Role::Index)];
  size_t stepBytes = static_cast<size_t>(batch) * rowBytes;
  size_t outputStepBytes =
      static_cast<size_t>(batch * width) * dtypeSize(outputSpec.type);
  Tensor gathered = session.allocate(outputSpec.type, {length, batch, 1, width},
                                     /*zero=*/false);
  log.phase("upload", begin);

  // Steps run at positions 0 .. T-1, in every pass.
  DecodeStepper stepper(session, entry, 0, length - 1);
  // One full pass over the sequence; returns per-step times when timed.
  auto runDecode = [&](DeviceTimer *timer) {
    std::vector<double> stepTimes;
    StatePool states;
    for (int64_t t = 0; t < length; ++t) {
      CallInputs inputs;
      inputs.tensors[inputSpec.name] = Session::view(
          stepInputs, static_cast<size_t>(t) * stepBytes, {batch, 1, width});
      inputs.sources[inputSpec.name] =
          options.input + " step " + std::to_string(t);
      inputs.indices[positionSpec.name] = t;
      if (timer)
        timer->start();
      std::vector<Tensor> results = stepper.step(inputs, states);
      if (timer)
        stepTimes.push_back(timer->stopMs());
      const Tensor &y = results[entry.findResult(Role::Output)];
      if (y.shape != Shape{batch, 1, width})
        throw RatError("entry 'decode': output '" + outputSpec.name +
                       "' has shape " + formatShape(y.shape) + ", expected " +
                       formatShape({batch, 1, width}));
      session.device().copyOnDevice(static_cast<uint8_t *>(gathered.data) +
                                        static_cast<size_t>(t) *
                                            outputStepBytes,
                                    y.data, outputStepBytes);
    }
    stepper.finish();
    return stepTimes;
  };
  begin = Clock::now();
  runDecode(nullptr);
  log.phase("decode", begin, std::to_string(length) + " steps");

  HostTensor stepped = session.download(gathered);
  HostTensor y(outputSpec.type, {batch, length, width});
  size_t outRow = static_cast<size_t>(width) * dtypeSize(outputSpec.type);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t t = 0; t < length; ++t)
      std::memcpy(static_cast<uint8_t *>(y.data()) +
                      static_cast<size_t>(b * length + t) * outRow,
                  static_cast<const uint8_t *>(stepped.data()) +
                      static_cast<size_t>(t * batch + b) * outRow,
                  outRow);
  outputs.add(options.output, std::move(y));
  outputs.commit(log);

  if (options.bench) {
    std::unique_ptr<DeviceTimer> timer = device.createTimer();
    for (int64_t i = 0; i < options.warmup; ++i)
      runDecode(nullptr);
    std::vector<double> steps;
    for (int64_t i = 0; i < *options.bench; ++i) {
      std::vector<double> run = runDecode(timer.get());
      steps.insert(steps.end(), run.begin(), run.end());
    }
    printBench("decode", steps, static_cast<double>(batch), /*perStep=*/true,
               graphNote(session, stepper));
  }
}
