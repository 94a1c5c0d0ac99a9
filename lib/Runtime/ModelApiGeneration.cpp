//===- ModelApiGeneration.cpp - The C API's prefill, steps and generation -===//
//
// The calls of rat/Runtime/rat_model.h that carry a decode state or
// generate: rat_model_prefill, rat_model_decode_step (an lm's token or a
// rat_layer's x), rat_model_reset and rat_model_generate, over LmRequest.h's
// checks and Generator, as the executable's RunLm.cpp is.
//
//===----------------------------------------------------------------------===//

#include "ModelApi.h"

#include "rat/Runtime/LmRequest.h"

#include <limits>

using namespace rat;
using namespace rat::capi;

namespace {

/// The greedy token of each row of `logits` [B, ..., V] at its last
/// position: the first maximum, as rat.sample draws with temperature 0.
HostTensor greedyTokens(const HostTensor &logits) {
  int64_t batch = logits.shape()[0], vocab = logits.shape().back();
  int64_t rows = static_cast<int64_t>(logits.numElements()) / (batch * vocab);
  std::vector<float> values(logits.numElements());
  convertElements(logits.data(), logits.dtype(), values.data(), DType::F32,
                  logits.numElements(), "logits");
  HostTensor next(DType::I32, {batch});
  for (int64_t b = 0; b < batch; ++b) {
    const float *row = values.data() + (b * rows + rows - 1) * vocab;
    int64_t best = 0;
    for (int64_t v = 1; v < vocab; ++v)
      if (row[v] > row[best])
        best = v;
    next.dataAs<int32_t>()[b] = static_cast<int32_t>(best);
  }
  return next;
}

void requireLm(const rat_model *model, const char *call) {
  requireModel(model);
  if (model->manifest.kind != ModelKind::Lm)
    throw ApiError(RAT_ERROR_UNSUPPORTED,
                   std::string(call) + " applies to lm models; this is a " +
                       modelKindName(model->manifest.kind) +
                       " model (use rat_model_run)");
}

/// The C API's spelling of the LM options in messages.
const LmOptionNames kApiNames = {"prompt_len", "prompt_lens",
                                 "max_new_tokens", "prefill_rows"};

/// The tokens [B, T] of an lm call as int32, checked against nothing yet.
HostTensor readTokens(const rat_tensor *tokens, const char *what) {
  return readInput(tokens, DType::I32, what);
}

} // namespace

//===----------------------------------------------------------------------===//
// Prefill and decode steps
//===----------------------------------------------------------------------===//

extern "C" rat_status rat_model_prefill(rat_model *model,
                                        const rat_tensor *tokens,
                                        int64_t promptLen,
                                        rat_tensor *nextToken,
                                        rat_tensor *logits) {
  return guard([&] {
    requireLm(model, "rat_model_prefill");
    const Manifest &manifest = model->manifest;
    if (promptLen < 0)
      invalid("prompt_len must be >= 0 (0: all tokens), got " +
              std::to_string(promptLen));
    LmEntries entries = selectLmEntries(manifest, logits != nullptr, 0);
    const EntrySpec &prefill = *entries.prefill;
    HostTensor host = readTokens(tokens, "tokens");
    int64_t prompt = asArgumentCheck([&] {
      return checkLmPrompt(manifest, host,
                           promptLen ? std::optional<int64_t>(promptLen)
                                     : std::nullopt,
                           0, "tokens", kApiNames);
    });
    int64_t batch = host.shape()[0];
    // The greedy next token: the first maximum of the generation state's
    // gen.logits (an LM with a decode entry), else of the last logits row.
    int64_t genLogits = prefill.findResult(Role::State, genstate::kLogits);
    int64_t logitsIndex = prefill.findResult(Role::Output, "logits");
    if (nextToken && genLogits < 0 && logitsIndex < 0)
      throw ApiError(RAT_ERROR_UNSUPPORTED,
                     "entry '" + prefill.name + "' returns no logits");
    std::optional<Output> nextOut, logitsOut;
    if (nextToken)
      nextOut.emplace(nextToken, apiOutput("next_token"), "next_token",
                      Shape{batch});
    if (logits) {
      const ValueSpec &spec = prefill.results[logitsIndex];
      std::optional<Shape> shape;
      if (spec.rank() == 3 && !spec.dims[2].isSymbolic())
        shape = Shape{batch, prompt, spec.dims[2].size};
      logitsOut.emplace(logits, spec, "logits", shape);
    }

    ComputeLock lock(model);
    Session &session = *model->session;
    Generator generator(
        session, prefill, nullptr,
        lmGenerationConfig(manifest, LmPrompt{batch, prompt, {}}, 0, 0));
    CallInputs inputs =
        generator.promptInputs(host, GenerationOptions(), "tokens");
    int64_t rows = prefillSliceRows(prefill, prompt, std::nullopt, kApiNames);
    StatePool states;
    std::vector<Tensor> results =
        callInSlices(session, prefill, inputs, batch, rows, states);
    HostTensor next, values;
    if (nextOut)
      next = greedyTokens(session.download(
          genLogits >= 0 ? states.at(genstate::kLogits) : results[logitsIndex]));
    if (logitsOut)
      values = session.download(results[logitsIndex]);
    model->state = std::move(states);
    if (nextOut)
      nextOut->write(next);
    if (logitsOut)
      logitsOut->write(values);
  });
}

/// rat_model_decode_step of an lm. The decode entry draws its token from
/// the generation state (docs/Runtime.md, "Generation"); a step of the API
/// feeds the caller's token instead: gen.logits is set so that the greedy
/// draw is that token (0 for it, -1 for every other id) and gen.position to
/// `position`, so the entry runs the layers on it there and leaves the next
/// logits in gen.logits, whose first maximum is next_token.
static void lmDecodeStep(rat_model *model, const EntrySpec &decode,
                         const rat_tensor *input, int64_t position,
                         rat_tensor *output, rat_tensor *logits) {
  const Manifest &manifest = model->manifest;
  const ValueSpec &logitsSpec =
      decode.args[decode.findArg(Role::State, genstate::kLogits)];
  int64_t vocab = logitsSpec.dims[1].size;
  HostTensor host = readInput(input, DType::I32, "token");
  if (host.rank() != 1)
    invalid("token has shape " + formatShape(host.shape()) +
            ", expected [B] (one token per sequence)");
  int64_t batch = host.shape()[0];
  asArgumentCheck([&] {
    checkTokenIds(host, 1, manifest.intParam("vocab_size"), "token");
  });
  int64_t tokenIndex = decode.findResult(Role::Output, "token");
  Output out(output, decode.results[tokenIndex], "next_token", Shape{batch});
  std::optional<Output> logitsOut;
  if (logits)
    logitsOut.emplace(logits, apiOutput("logits", DType::F32), "logits",
                      Shape{batch, 1, vocab});

  ComputeLock lock(model);
  Session &session = *model->session;
  HostTensor forced(DType::F32, {batch, vocab});
  HostTensor positions(DType::I32, {batch});
  for (int64_t b = 0; b < batch; ++b) {
    float *row = forced.dataAs<float>() + b * vocab;
    std::fill(row, row + vocab, -1.0f);
    row[host.dataAs<int32_t>()[b]] = 0.0f;
    positions.dataAs<int32_t>()[b] = static_cast<int32_t>(position);
  }
  // A copy of the pool: a step that fails its checks leaves the state as
  // it was. Greedy, no eos id.
  StatePool states = model->state;
  setGenerationState(session, GenerationOptions(), batch, states);
  states[genstate::kLogits] = session.upload(std::move(forced));
  states[genstate::kPosition] = session.upload(std::move(positions));
  // Checks the token against the state (its batch) and creates the state
  // a reset dropped, zero-filled.
  asArgumentCheck(
      [&] { session.call(decode, CallInputs(), states, CallMode::Prepare); });
  std::vector<Tensor> results = session.call(decode, CallInputs(), states);
  HostTensor emitted = session.download(results[tokenIndex]);
  for (int64_t b = 0; b < batch; ++b)
    if (emitted.dataAs<int32_t>()[b] != host.dataAs<int32_t>()[b])
      throw RatError("entry 'decode' emitted token " +
                     std::to_string(emitted.dataAs<int32_t>()[b]) +
                     " for row " + std::to_string(b) + ", not the given " +
                     std::to_string(host.dataAs<int32_t>()[b]));
  HostTensor next = session.download(states.at(genstate::kLogits));
  model->state = std::move(states);
  out.write(greedyTokens(next));
  if (logitsOut) {
    HostTensor rows(DType::F32, {batch, 1, vocab});
    std::memcpy(rows.data(), next.data(),
                static_cast<size_t>(batch * vocab) * sizeof(float));
    logitsOut->write(rows);
  }
}

extern "C" rat_status rat_model_decode_step(rat_model *model,
                                            const rat_tensor *input,
                                            int64_t position,
                                            rat_tensor *output,
                                            rat_tensor *logits) {
  return guard([&] {
    requireModel(model);
    const Manifest &manifest = model->manifest;
    if (manifest.kind == ModelKind::Function)
      throw ApiError(RAT_ERROR_UNSUPPORTED,
                     "rat_model_decode_step applies to lm and rat_layer "
                     "models; this is a function model (use rat_model_run)");
    const EntrySpec *decode = manifest.findEntry("decode");
    if (!decode)
      throw ApiError(RAT_ERROR_UNSUPPORTED,
                     "this model was compiled without a decode entry");
    bool lm = manifest.kind == ModelKind::Lm;
    if (!output)
      invalid("rat_model_decode_step: output is NULL");
    if (logits && !lm)
      invalid("rat_model_decode_step: a rat_layer step has no logits");
    std::optional<int64_t> maxSeqLen = manifest.intParam("max_seq_len");
    if (position < 0 || (maxSeqLen && position >= *maxSeqLen))
      invalid("position " + std::to_string(position) + " is outside [0, " +
              (maxSeqLen ? std::to_string(*maxSeqLen) : std::string("...")) +
              ") (the model's max_seq_len)");
    if (lm)
      return lmDecodeStep(model, *decode, input, position, output, logits);
    const ValueSpec &inputSpec = decode->args[decode->findArg(Role::Input)];
    const ValueSpec &positionSpec = decode->args[decode->findArg(Role::Index)];
    std::string inputName = lm ? "token" : "x";
    HostTensor host = readInput(input, inputSpec.type, inputName);
    std::string where = "entry 'decode': ";
    DimBinder binder;
    asArgumentCheck([&] {
      binder.bind(inputSpec, host.shape(), inputName, where);
      if (lm)
        checkTokenIds(host, 1, manifest.intParam("vocab_size"), inputName);
    });
    int64_t outputIndex =
        lm ? decode->findResult(Role::Output, "next_token")
           : decode->findResult(Role::Output);
    int64_t logitsIndex = lm ? decode->findResult(Role::Output, "logits") : -1;
    Output out(output, decode->results[outputIndex],
               lm ? "next_token" : "y",
               expectedShape(binder, decode->results[outputIndex]));
    std::optional<Output> logitsOut;
    if (logits) {
      if (logitsIndex < 0)
        throw ApiError(RAT_ERROR_UNSUPPORTED,
                       "the decode entry returns no logits");
      logitsOut.emplace(logits, decode->results[logitsIndex], "logits",
                        expectedShape(binder, decode->results[logitsIndex]));
    }

    ComputeLock lock(model);
    Session &session = *model->session;
    CallInputs inputs;
    inputs.tensors[inputSpec.name] = session.upload(std::move(host));
    inputs.sources[inputSpec.name] = inputName;
    inputs.indices[positionSpec.name] = position;
    // Checks the input against the state (its batch) and creates the
    // state a reset dropped, zero-filled.
    asArgumentCheck([&] {
      session.call(*decode, inputs, model->state, CallMode::Prepare);
    });
    std::vector<Tensor> results = session.call(*decode, inputs, model->state);
    out.write(session.download(results[outputIndex]));
    if (logitsOut)
      logitsOut->write(session.download(results[logitsIndex]));
  });
}

extern "C" rat_status rat_model_reset(rat_model *model) {
  return guard([&] {
    requireModel(model);
    ComputeLock lock(model);
    model->state.clear();
  });
}

//===----------------------------------------------------------------------===//
// Generation
//===----------------------------------------------------------------------===//

extern "C" void rat_generate_options_init(rat_generate_options *options) {
  if (!options)
    return;
  std::memset(static_cast<void *>(options), 0, sizeof(*options));
  options->struct_size = sizeof(*options);
  options->prefill_rows = -1;
}

extern "C" rat_status rat_model_generate(rat_model *model,
                                         const rat_tensor *tokens,
                                         const rat_generate_options *given,
                                         rat_tensor *output,
                                         rat_tensor *outputLens) {
  return guard([&] {
    requireLm(model, "rat_model_generate");
    rat_generate_options defaults;
    rat_generate_options_init(&defaults);
    rat_generate_options options =
        copyOptions(given, defaults, "rat_generate_options");
    const Manifest &manifest = model->manifest;
    int64_t generate = options.max_new_tokens;
    if (generate < 1)
      invalid("max_new_tokens must be >= 1, got " + std::to_string(generate));
    if (options.prompt_len < 0)
      invalid("prompt_len must be >= 0 (0: all tokens), got " +
              std::to_string(options.prompt_len));
    if (options.prefill_rows < -1)
      invalid("prefill_rows must be -1 (default), 0 (whole batch) or a "
              "number of sequences, got " +
              std::to_string(options.prefill_rows));
    if (options.num_eos < 0 || (options.num_eos > 0 && !options.eos_ids))
      invalid("num_eos is " + std::to_string(options.num_eos) +
              " but eos_ids is " + (options.eos_ids ? "set" : "NULL"));
    if (!(options.temperature >= 0))
      invalid("temperature must be >= 0, got " +
              std::to_string(options.temperature));
    if (options.top_k < 0)
      invalid("top_k must be >= 0 (0: no limit), got " +
              std::to_string(options.top_k));
    if (!(options.top_p >= 0 && options.top_p <= 1))
      invalid("top_p must be in (0, 1] (0: no limit), got " +
              std::to_string(options.top_p));
    if (!output)
      invalid("rat_model_generate: output is NULL");

    LmEntries entries = selectLmEntries(manifest, false, generate, kApiNames);
    const EntrySpec &prefill = *entries.prefill;
    HostTensor host = readTokens(tokens, "tokens");
    GenerationOptions request;
    request.maxNewTokens = generate;
    for (int32_t e = 0; e < options.num_eos; ++e)
      request.eosIds.push_back(static_cast<int32_t>(std::clamp<int64_t>(
          options.eos_ids[e], std::numeric_limits<int32_t>::min(),
          std::numeric_limits<int32_t>::max())));
    request.sampling.temperature = options.temperature;
    request.sampling.topK = options.top_k;
    request.sampling.topP = options.top_p > 0 ? options.top_p : 1.0;
    request.sampling.seed = options.seed;
    if (options.prompt_lens) {
      // One length per row of the tokens.
      asArgumentCheck([&] { checkLmTokens(host, "tokens"); });
      request.promptLengths.assign(options.prompt_lens,
                                   options.prompt_lens + host.shape()[0]);
    }
    // Every sequence's prompt length; `width`, the longest (the rest of a
    // row is ignored).
    LmPrompt prompt = asArgumentCheck([&] {
      return checkLmRequest(manifest, host,
                            options.prompt_len
                                ? std::optional<int64_t>(options.prompt_len)
                                : std::nullopt,
                            request, "tokens", kApiNames);
    });
    int64_t batch = prompt.batch, width = prompt.width;
    Output out(output, apiOutput("tokens"), "output",
               Shape{batch, width + generate});
    std::optional<Output> lensOut;
    if (outputLens)
      lensOut.emplace(outputLens, apiOutput("output_lens"), "output_lens",
                      Shape{batch});
    int64_t rows = asArgumentCheck([&] {
      return prefillSliceRows(prefill, width,
                              options.prefill_rows < 0
                                  ? std::nullopt
                                  : std::optional<int64_t>(options.prefill_rows),
                              kApiNames);
    });
    if (options.on_token) {
      rat_token_callback callback = options.on_token;
      void *userData = options.user_data;
      request.onTokens = [callback, userData](int64_t step,
                                              const int32_t *ids,
                                              int64_t count) {
        callback(userData, step, ids, count);
      };
    }

    ComputeLock lock(model);
    Session &session = *model->session;
    CachedGenerator &cached = model->cached;
    GenerationConfig config =
        lmGenerationConfig(manifest, prompt, generate, rows);
    if (!cached.fits(prefill, config)) {
      cached.generator.reset();
      cached.generator = std::make_unique<Generator>(
          session, prefill, entries.decode, config);
      cached.prefill = &prefill;
      cached.config = config;
    }
    CallInputs inputs =
        cached.generator->promptInputs(host, request, "tokens");
    GenerationResult run = cached.generator->run(inputs, request);
    GeneratedTokens result = collectTokens(
        host, prompt.lengths, session.download(run.generated), run.steps,
        request.eosIds, manifest.intParam("vocab_size"));
    out.write(result.tokens);
    if (lensOut)
      lensOut->write(result.counts);
  });
}
