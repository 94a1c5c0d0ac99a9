//===- ModelApi.cpp - The C API of a model built with --emit shared -------===//
//
// rat/Runtime/rat_model.h over the session API, in the shared library that
// rat-compile links from the model's object and the runtime: a thin client of
// Session, DecodeStepper (through Generator) and LmRequest.h, like the
// executable's command line. Every function catches what the runtime throws
// and turns it into a status and the thread's last error message.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/rat_model.h"

#include "DimBinder.h"
#include "rat/Runtime/Abi.h"
#include "rat/Runtime/Device.h"
#include "rat/Runtime/Error.h"
#include "rat/Runtime/Generation.h"
#include "rat/Runtime/LmRequest.h"
#include "rat/Runtime/OutOfMemory.h"
#include "rat/Runtime/Session.h"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <vector>

using namespace rat;

namespace {

/// A failure with the status the API returns for it.
class ApiError : public std::runtime_error {
public:
  ApiError(rat_status status, const std::string &message)
      : std::runtime_error(message), status(status) {}
  rat_status status;
};

[[noreturn]] void invalid(const std::string &message) {
  throw ApiError(RAT_ERROR_INVALID_ARGUMENT, message);
}

thread_local std::string lastError;

/// Runs `body`, mapping what it throws to a status and lastError.
template <typename Body> rat_status guard(Body &&body) noexcept {
  try {
    body();
    lastError.clear();
    return RAT_OK;
  } catch (const ApiError &error) {
    lastError = error.what();
    return error.status;
  } catch (const OutOfMemoryError &error) {
    lastError = error.what();
    return RAT_ERROR_OUT_OF_MEMORY;
  } catch (const RatError &error) {
    lastError = error.what();
    return RAT_ERROR_FAILED;
  } catch (const std::bad_alloc &) {
    lastError = "out of memory";
    return RAT_ERROR_OUT_OF_MEMORY;
  } catch (const std::exception &error) {
    lastError = std::string("internal: ") + error.what();
    return RAT_ERROR_INTERNAL;
  } catch (...) {
    lastError = "internal: unknown exception";
    return RAT_ERROR_INTERNAL;
  }
}

/// Runs `check`, reporting what it throws as an invalid argument: checks the
/// runtime makes of the caller's values (shapes, ids, lengths).
template <typename Check> auto asArgumentCheck(Check &&check) {
  try {
    return check();
  } catch (const RatError &error) {
    invalid(error.what());
  }
}

/// What the models of this library share: the parsed manifest, the device
/// and the lock that serialises opening, closing and (on CUDA, one stream
/// per process) every compute call.
struct Library {
  std::mutex mutex;
  bool parsed = false;
  Manifest manifest;
  bool deviceOpen = false;
  Device device;
  int ordinal = 0;
  int openModels = 0;

  /// Parses __rat_manifest on first use; the caller holds `mutex`.
  const Manifest &getManifest() {
    if (!parsed) {
      manifest = parseManifest(__rat_manifest);
      parsed = true;
    }
    return manifest;
  }
};

/// Never destroyed: a model may be closed from a global destructor.
Library &library() {
  static Library *instance = new Library;
  return *instance;
}

/// `-1`: $RAT_DEVICE, else 0 (as the CUDA runtime resolves it).
int resolveOrdinal(int requested) {
  if (requested >= 0)
    return requested;
  const char *text = std::getenv("RAT_DEVICE");
  return text && *text ? std::atoi(text) : 0;
}

DType toDType(rat_dtype dtype, const std::string &what) {
  switch (dtype) {
  case RAT_F32:
    return DType::F32;
  case RAT_F64:
    return DType::F64;
  case RAT_F16:
    return DType::F16;
  case RAT_BF16:
    return DType::BF16;
  case RAT_I32:
    return DType::I32;
  case RAT_I64:
    return DType::I64;
  case RAT_DTYPE_DEFAULT:
    break;
  }
  invalid(what + " has no valid dtype (" +
          std::to_string(static_cast<int>(dtype)) + ")");
}

rat_dtype fromDType(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return RAT_F32;
  case DType::F64:
    return RAT_F64;
  case DType::F16:
    return RAT_F16;
  case DType::BF16:
    return RAT_BF16;
  case DType::I32:
    return RAT_I32;
  case DType::I64:
    return RAT_I64;
  }
  return RAT_DTYPE_DEFAULT;
}

/// The shape of a caller's tensor, checked.
Shape shapeOf(const rat_tensor &tensor, const std::string &what) {
  if (tensor.rank < 0 || tensor.rank > RAT_MAX_RANK)
    invalid(what + " has rank " + std::to_string(tensor.rank) +
            " (0 to RAT_MAX_RANK " + std::to_string(RAT_MAX_RANK) + ")");
  Shape shape(tensor.shape, tensor.shape + tensor.rank);
  for (int64_t dim : shape)
    if (dim < 0)
      invalid(what + " has a negative dimension: " + formatShape(shape));
  return shape;
}

/// Copies a caller's input into host memory of the model's type `type`,
/// converted as the executable converts .npy files.
HostTensor readInput(const rat_tensor *tensor, DType type,
                     const std::string &what) {
  if (!tensor)
    invalid(what + " is NULL");
  Shape shape = shapeOf(*tensor, what);
  DType from = toDType(tensor->dtype, what);
  if (isFloatType(from) != isFloatType(type))
    invalid(what + " is " + dtypeName(from) + ", the model takes " +
            dtypeName(type));
  uint64_t count = 0;
  if (!checkedNumElements(shape, dtypeSize(type), count))
    invalid(what + " of shape " + formatShape(shape) + " is too large");
  if (!tensor->data && count != 0)
    invalid(what + " has no data");
  HostTensor host(type, shape);
  asArgumentCheck([&] {
    convertElements(tensor->data, from, host.data(), type, count, what);
  });
  return host;
}

/// An output the caller asked for: where it goes and in which type.
struct Output {
  rat_tensor *tensor = nullptr;
  std::string what;
  DType type = DType::F32;

  /// Checks `tensor` for a result `spec`, before any compute: its dtype,
  /// and, for a caller's buffer, its shape where `expected` is known.
  Output(rat_tensor *tensor, const ValueSpec &spec, std::string what,
         const std::optional<Shape> &expected)
      : tensor(tensor), what(std::move(what)) {
    bool isFloat = isFloatType(spec.type);
    type = tensor->dtype == RAT_DTYPE_DEFAULT
               ? (isFloat ? DType::F32 : spec.type)
               : toDType(tensor->dtype, this->what);
    if (isFloatType(type) != isFloat)
      invalid(this->what + " is " + dtypeName(type) + ", the result is " +
              dtypeName(spec.type));
    if (spec.rank() > RAT_MAX_RANK)
      throw ApiError(RAT_ERROR_UNSUPPORTED,
                     this->what + " has rank " + std::to_string(spec.rank()) +
                         ", more than RAT_MAX_RANK");
    if (tensor->data) {
      Shape shape = shapeOf(*tensor, this->what);
      if (expected && shape != *expected)
        invalid(this->what + " has shape " + formatShape(shape) +
                ", the result will have " + formatShape(*expected));
    }
  }

  /// Writes `result` (host memory) to the caller's buffer or a new one.
  void write(const HostTensor &result) const {
    if (tensor->data) {
      Shape shape(tensor->shape, tensor->shape + tensor->rank);
      if (shape != result.shape())
        invalid(what + " has shape " + formatShape(shape) +
                ", the result has " + formatShape(result.shape()));
      convertElements(result.data(), result.dtype(), tensor->data, type,
                      result.numElements(), what);
      return;
    }
    size_t bytes = result.numElements() * dtypeSize(type);
    void *data = std::malloc(bytes ? bytes : 1);
    if (!data)
      throw std::bad_alloc();
    try {
      convertElements(result.data(), result.dtype(), data, type,
                      result.numElements(), what);
    } catch (...) {
      std::free(data);
      throw;
    }
    tensor->data = data;
    tensor->dtype = fromDType(type);
    tensor->rank = static_cast<int32_t>(result.rank());
    std::copy(result.shape().begin(), result.shape().end(), tensor->shape);
  }
};

/// The shape `spec` will have with the symbols bound by `binder`, if every
/// dim is known.
std::optional<Shape> expectedShape(const DimBinder &binder,
                                   const ValueSpec &spec) {
  try {
    return binder.resolve(spec, spec.name);
  } catch (const RatError &) {
    return std::nullopt;
  }
}

/// The manifest's spelling of dims (`B,T,256`, `-` for rank 0).
std::string spellDims(const ValueSpec &spec) {
  if (spec.role == Role::Index)
    return "";
  if (spec.dims.empty())
    return "-";
  std::string text;
  for (const Dim &dim : spec.dims)
    text += (text.empty() ? "" : ",") +
            (dim.isSymbolic() ? dim.symbol : std::to_string(dim.size));
  return text;
}

/// The generator of the last rat_model_generate and what it was built for:
/// a call with the same shapes reuses it, so its decode steps replay the
/// graph the first call captured.
struct CachedGenerator {
  const EntrySpec *prefill = nullptr;
  int64_t batch = 0, promptLen = 0, generate = 0, sliceRows = 0;
  std::unique_ptr<Generator> generator;
};

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

/// An int32 output of the API that is no result of an entry.
ValueSpec apiOutput(const char *name, DType type = DType::I32) {
  ValueSpec spec;
  spec.role = Role::Output;
  spec.name = name;
  spec.type = type;
  return spec;
}

} // namespace

struct rat_model {
  explicit rat_model(const Manifest &manifest) : manifest(manifest) {}

  const Manifest &manifest;
  /// Lets one call at a time use the model.
  std::mutex mutex;
  std::string manifestText = __rat_manifest;
  std::string deviceText;
  /// The manifest's dims of every arg and result, by entry.
  std::vector<std::vector<std::string>> argDims, resultDims;
  /// Declared before everything that holds its tensors: destroyed last.
  std::unique_ptr<Session> session;
  /// The decode state of rat_model_prefill / rat_model_decode_step.
  StatePool state;
  CachedGenerator cached;
};

namespace {

/// Holds a model for one compute call: its own lock and, on CUDA, the
/// library's (one stream per process).
class ComputeLock {
public:
  explicit ComputeLock(rat_model *model) : modelLock(model->mutex) {
    if (model->manifest.target == Target::Cuda)
      libraryLock = std::unique_lock<std::mutex>(library().mutex);
  }

private:
  std::unique_lock<std::mutex> modelLock;
  std::unique_lock<std::mutex> libraryLock;
};

void requireModel(const rat_model *model) {
  if (!model)
    invalid("the model is NULL");
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
const LmOptionNames kApiNames = {"prompt_len", "max_new_tokens",
                                 "prefill_rows"};

/// The tokens [B, T] of an lm call as int32, checked against nothing yet.
HostTensor readTokens(const rat_tensor *tokens, const char *what) {
  return readInput(tokens, DType::I32, what);
}

/// Copies the options a caller of an older, smaller struct gave; the rest
/// keep their defaults.
template <typename Options>
Options copyOptions(const Options *given, const Options &defaults,
                    const char *what) {
  if (!given)
    invalid(std::string(what) + " is NULL");
  if (given->struct_size < sizeof(size_t) || given->struct_size > (1u << 16))
    invalid(std::string(what) + " has struct_size " +
            std::to_string(given->struct_size) + " (call " + what +
            "_init first)");
  Options options = defaults;
  std::memcpy(static_cast<void *>(&options), given,
              std::min(sizeof(Options), given->struct_size));
  options.struct_size = sizeof(Options);
  return options;
}

/// A string of the manifest as a C string that lives as long as the model.
const char *cString(const std::string &text) { return text.c_str(); }

} // namespace

//===----------------------------------------------------------------------===//
// Errors and versions
//===----------------------------------------------------------------------===//

extern "C" int32_t rat_api_version(void) { return RAT_MODEL_API_VERSION; }

extern "C" const char *rat_last_error(void) { return lastError.c_str(); }

extern "C" const char *rat_status_name(rat_status status) {
  switch (status) {
  case RAT_OK:
    return "RAT_OK";
  case RAT_ERROR_INVALID_ARGUMENT:
    return "RAT_ERROR_INVALID_ARGUMENT";
  case RAT_ERROR_UNSUPPORTED:
    return "RAT_ERROR_UNSUPPORTED";
  case RAT_ERROR_FAILED:
    return "RAT_ERROR_FAILED";
  case RAT_ERROR_OUT_OF_MEMORY:
    return "RAT_ERROR_OUT_OF_MEMORY";
  case RAT_ERROR_INTERNAL:
    return "RAT_ERROR_INTERNAL";
  }
  return "RAT_ERROR_UNKNOWN";
}

extern "C" void rat_free(void *data) { std::free(data); }

extern "C" const char *rat_manifest(void) { return __rat_manifest; }

//===----------------------------------------------------------------------===//
// Opening and closing
//===----------------------------------------------------------------------===//

extern "C" void rat_open_options_init(rat_open_options *options) {
  if (!options)
    return;
  std::memset(static_cast<void *>(options), 0, sizeof(*options));
  options->struct_size = sizeof(*options);
  options->device = -1;
}

extern "C" rat_status rat_model_open(const rat_open_options *given,
                                     rat_model **model) {
  return guard([&] {
    if (!model)
      invalid("rat_model_open: the model pointer is NULL");
    *model = nullptr;
    rat_open_options defaults;
    rat_open_options_init(&defaults);
    rat_open_options options =
        copyOptions(given, defaults, "rat_open_options");
    if (options.device < -1)
      invalid("device must be -1 (the default) or a device number, got " +
              std::to_string(options.device));

    Library &lib = library();
    std::lock_guard<std::mutex> lock(lib.mutex);
    const Manifest &manifest = lib.getManifest();
    int ordinal = resolveOrdinal(options.device);
    Log log(options.verbose != 0);
    if (!lib.deviceOpen) {
      Clock::time_point begin = Clock::now();
      lib.device = openDevice(manifest.target, options.device);
      lib.ordinal = ordinal;
      lib.deviceOpen = true;
      logModelAndDevice(log, manifest, lib.device, begin);
    } else if (manifest.target == Target::Cuda && ordinal != lib.ordinal) {
      invalid("this library already runs its models on CUDA device " +
              std::to_string(lib.ordinal) + "; a loaded library uses one " +
              "device (asked for device " + std::to_string(ordinal) + ")");
    }

    auto opened = std::make_unique<rat_model>(manifest);
    opened->deviceText = lib.device.backend->deviceDescription();
    for (const EntrySpec &entry : manifest.entries) {
      std::vector<std::string> args, results;
      for (const ValueSpec &arg : entry.args)
        args.push_back(spellDims(arg));
      for (const ValueSpec &result : entry.results)
        results.push_back(spellDims(result));
      opened->argDims.push_back(std::move(args));
      opened->resultDims.push_back(std::move(results));
    }
    SessionOptions sessionOptions;
    sessionOptions.verbose = options.verbose != 0;
    const char *noGraphs = std::getenv("RAT_NO_GRAPHS");
    if (options.no_graphs)
      sessionOptions.noDecodeGraphsReason = "no_graphs";
    else if (noGraphs && *noGraphs && std::strcmp(noGraphs, "0") != 0)
      sessionOptions.noDecodeGraphsReason = "RAT_NO_GRAPHS";
    opened->session = std::make_unique<Session>(
        manifest, __rat_entries, __rat_num_entries, lib.device, sessionOptions);

    // Every entry's weights: any call may come.
    std::vector<const EntrySpec *> entries;
    for (const EntrySpec &entry : manifest.entries)
      entries.push_back(&entry);
    const WeightSpecs &declared = opened->session->declaredWeights();
    CheckpointPolicy policy;
    policy.allowUnusedTensors = options.allow_extra_weights != 0;
    policy.unusedTensorHint = "; set allow_extra_weights to ignore it";
    if (options.weights && options.weights_data)
      invalid("give weights (a file) or weights_data, not both");
    if (options.weights_data) {
      const auto *bytes = static_cast<const uint8_t *>(options.weights_data);
      opened->session->loadWeights(
          SafetensorsFile::fromBytes(
              std::vector<uint8_t>(bytes, bytes + options.weights_size),
              "<weights_data>"),
          entries, policy);
    } else if (!options.weights) {
      if (!declared.empty())
        invalid("this model needs weights (a safetensors checkpoint with " +
                std::to_string(declared.size()) + " tensors, e.g. '" +
                declared.begin()->first + "')");
    } else {
      opened->session->loadWeights(options.weights, entries, policy);
    }
    ++lib.openModels;
    *model = opened.release();
  });
}

extern "C" void rat_model_close(rat_model *model) {
  if (!model)
    return;
  Library &lib = library();
  std::lock_guard<std::mutex> lock(lib.mutex);
  bool verbose = model->session->options().verbose;
  delete model;
  // The last model's buffers are back in the allocator's cache: return it.
  if (--lib.openModels == 0 && lib.device.execution) {
    try {
      lib.device.execution->releaseCachedMemory();
      Log(verbose).note("device memory: " +
                        lib.device.execution->memoryReport());
    } catch (const std::exception &) {
      // Nothing to report to: the memory stays cached.
    }
  }
}

//===----------------------------------------------------------------------===//
// The manifest
//===----------------------------------------------------------------------===//

extern "C" rat_status rat_model_get_info(const rat_model *model,
                                         rat_model_info *info) {
  return guard([&] {
    requireModel(model);
    if (!info)
      invalid("rat_model_get_info: info is NULL");
    const Manifest &manifest = model->manifest;
    info->kind = modelKindName(manifest.kind);
    info->target = manifest.target == Target::Cuda ? "cuda" : "cpu";
    info->dtype = dtypeName(manifest.dtype);
    info->manifest = cString(model->manifestText);
    info->device = cString(model->deviceText);
    info->num_params = static_cast<int32_t>(manifest.params.size());
    info->num_entries = static_cast<int32_t>(manifest.entries.size());
  });
}

extern "C" rat_status rat_model_get_param(const rat_model *model, int32_t index,
                                          const char **key,
                                          const char **value) {
  return guard([&] {
    requireModel(model);
    const auto &params = model->manifest.params;
    if (index < 0 || static_cast<size_t>(index) >= params.size())
      invalid("parameter index " + std::to_string(index) +
              " is out of range (the model has " +
              std::to_string(params.size()) + ")");
    if (key)
      *key = params[index].first.c_str();
    if (value)
      *value = params[index].second.c_str();
  });
}

extern "C" const char *rat_model_find_param(const rat_model *model,
                                            const char *key) {
  if (!model || !key)
    return nullptr;
  const std::string *value = model->manifest.findParam(key);
  return value ? value->c_str() : nullptr;
}

extern "C" rat_status rat_model_get_entry(const rat_model *model, int32_t index,
                                          rat_entry_info *info) {
  return guard([&] {
    requireModel(model);
    const auto &entries = model->manifest.entries;
    if (index < 0 || static_cast<size_t>(index) >= entries.size())
      invalid("entry index " + std::to_string(index) +
              " is out of range (the model has " +
              std::to_string(entries.size()) + ")");
    if (!info)
      invalid("rat_model_get_entry: info is NULL");
    info->name = entries[index].name.c_str();
    info->num_args = static_cast<int32_t>(entries[index].args.size());
    info->num_results = static_cast<int32_t>(entries[index].results.size());
  });
}

extern "C" rat_status rat_model_get_value(const rat_model *model, int32_t entry,
                                          int32_t result, int32_t index,
                                          rat_value_info *info) {
  return guard([&] {
    requireModel(model);
    const auto &entries = model->manifest.entries;
    if (entry < 0 || static_cast<size_t>(entry) >= entries.size())
      invalid("entry index " + std::to_string(entry) + " is out of range");
    const auto &values =
        result ? entries[entry].results : entries[entry].args;
    if (index < 0 || static_cast<size_t>(index) >= values.size())
      invalid(std::string(result ? "result" : "argument") + " index " +
              std::to_string(index) + " of entry '" + entries[entry].name +
              "' is out of range (it has " + std::to_string(values.size()) +
              ")");
    if (!info)
      invalid("rat_model_get_value: info is NULL");
    const ValueSpec &spec = values[index];
    std::memset(static_cast<void *>(info), 0, sizeof(*info));
    info->name = spec.name.c_str();
    info->role = static_cast<rat_role>(spec.role);
    info->dtype =
        spec.role == Role::Index ? RAT_DTYPE_DEFAULT : fromDType(spec.type);
    info->rank = static_cast<int32_t>(spec.rank());
    for (int64_t d = 0; d < std::min<int64_t>(spec.rank(), RAT_MAX_RANK); ++d)
      info->shape[d] = spec.dims[d].isSymbolic() ? -1 : spec.dims[d].size;
    info->dims =
        (result ? model->resultDims : model->argDims)[entry][index].c_str();
    info->in_place = spec.inPlace ? 1 : 0;
  });
}

static_assert(static_cast<int>(Role::Input) == RAT_ROLE_INPUT &&
                  static_cast<int>(Role::Weight) == RAT_ROLE_WEIGHT &&
                  static_cast<int>(Role::State) == RAT_ROLE_STATE &&
                  static_cast<int>(Role::Index) == RAT_ROLE_INDEX &&
                  static_cast<int>(Role::Output) == RAT_ROLE_OUTPUT,
              "rat_role follows rat::Role");

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

extern "C" rat_status rat_model_run(rat_model *model, const char *entryName,
                                    int32_t numInputs, const rat_tensor *inputs,
                                    int32_t numIndices, const int64_t *indices,
                                    int32_t numOutputs, rat_tensor *outputs) {
  return guard([&] {
    requireModel(model);
    const Manifest &manifest = model->manifest;
    const EntrySpec *entry = entryName ? manifest.findEntry(entryName)
                                       : &manifest.entries.front();
    if (!entry)
      throw ApiError(RAT_ERROR_UNSUPPORTED,
                     std::string("no entry '") + entryName + "' (entries: " +
                         manifest.entryNames() + ")");
    std::string where = "entry '" + entry->name + "': ";
    std::vector<const ValueSpec *> inputSpecs =
        entry->argsWithRole(Role::Input);
    std::vector<const ValueSpec *> indexSpecs =
        entry->argsWithRole(Role::Index);
    if (numInputs != static_cast<int32_t>(inputSpecs.size()) ||
        (numInputs > 0 && !inputs))
      invalid(where + "takes " + std::to_string(inputSpecs.size()) +
              " input(s), got " + std::to_string(numInputs));
    if (numIndices != static_cast<int32_t>(indexSpecs.size()) ||
        (numIndices > 0 && !indices))
      invalid(where + "takes " + std::to_string(indexSpecs.size()) +
              " index value(s), got " + std::to_string(numIndices));
    if (numOutputs < 0 ||
        numOutputs > static_cast<int32_t>(entry->results.size()) ||
        (numOutputs > 0 && !outputs))
      invalid(where + "returns " + std::to_string(entry->results.size()) +
              " result(s); num_outputs is " + std::to_string(numOutputs));

    std::vector<HostTensor> hostInputs;
    DimBinder binder;
    for (size_t i = 0; i < inputSpecs.size(); ++i) {
      std::string what = "input " + std::to_string(i) + " ('" +
                         inputSpecs[i]->name + "')";
      hostInputs.push_back(readInput(&inputs[i], inputSpecs[i]->type, what));
      asArgumentCheck([&] {
        binder.bind(*inputSpecs[i], hostInputs.back().shape(), what, where);
      });
    }
    std::vector<Output> outs;
    for (int32_t i = 0; i < numOutputs; ++i)
      outs.emplace_back(&outputs[i], entry->results[i],
                        "output " + std::to_string(i) + " ('" +
                            entry->results[i].name + "')",
                        expectedShape(binder, entry->results[i]));

    ComputeLock lock(model);
    Session &session = *model->session;
    CallInputs call;
    for (size_t i = 0; i < inputSpecs.size(); ++i)
      call.tensors[inputSpecs[i]->name] =
          session.upload(std::move(hostInputs[i]));
    for (size_t i = 0; i < indexSpecs.size(); ++i)
      call.indices[indexSpecs[i]->name] = indices[i];
    StatePool states;
    asArgumentCheck(
        [&] { session.call(*entry, call, states, CallMode::Prepare); });
    std::vector<Tensor> results = session.call(*entry, call, states);
    for (int32_t i = 0; i < numOutputs; ++i)
      outs[i].write(session.download(results[i]));
  });
}

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
    GenerationConfig config;
    config.batch = batch;
    config.promptLen = prompt;
    Generator generator(session, prefill, nullptr, config);
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
    std::optional<int64_t> vocabSize = manifest.intParam("vocab_size");
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
    // Every sequence's prompt length; `width`, the longest.
    std::vector<int64_t> lengths;
    int64_t batch = 0, width = 0;
    if (options.prompt_lens) {
      if (options.prompt_len)
        invalid("prompt_len and prompt_lens exclude each other");
      asArgumentCheck(
          [&] { checkLmPrompt(manifest, host, 1, 0, "tokens", kApiNames); });
      batch = host.shape()[0];
      request.promptLengths.assign(options.prompt_lens,
                                   options.prompt_lens + batch);
      asArgumentCheck([&] {
        validateGenerationOptions(request, batch, host.shape()[1], vocabSize,
                                  manifest.intParam("max_seq_len"));
      });
      lengths = request.promptLengths;
      width = *std::max_element(lengths.begin(), lengths.end());
      // The ids of each prompt (the rest of its row is ignored).
      HostTensor prompts(DType::I32, {batch, width});
      for (int64_t b = 0; b < batch; ++b)
        for (int64_t t = 0; t < width; ++t)
          prompts.dataAs<int32_t>()[b * width + t] =
              t < lengths[b] ? host.dataAs<int32_t>()[b * host.shape()[1] + t]
                             : 0;
      asArgumentCheck(
          [&] { checkTokenIds(prompts, width, vocabSize, "tokens"); });
    } else {
      width = asArgumentCheck([&] {
        return checkLmPrompt(manifest, host,
                             options.prompt_len
                                 ? std::optional<int64_t>(options.prompt_len)
                                 : std::nullopt,
                             generate, "tokens", kApiNames);
      });
      batch = host.shape()[0];
      asArgumentCheck([&] {
        validateGenerationOptions(request, batch, width, vocabSize,
                                  manifest.intParam("max_seq_len"));
      });
      lengths.assign(static_cast<size_t>(batch), width);
    }
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
    if (!cached.generator || cached.prefill != &prefill ||
        cached.batch != batch || cached.promptLen != width ||
        cached.generate != generate || cached.sliceRows != rows) {
      GenerationConfig config;
      config.batch = batch;
      config.promptLen = width;
      config.generate = generate;
      config.sliceRows = rows;
      config.vocabSize = vocabSize;
      cached.generator.reset();
      cached.generator = std::make_unique<Generator>(
          session, prefill, entries.decode, config);
      cached.prefill = &prefill;
      cached.batch = batch;
      cached.promptLen = width;
      cached.generate = generate;
      cached.sliceRows = rows;
    }
    CallInputs inputs =
        cached.generator->promptInputs(host, request, "tokens");
    GenerationResult run = cached.generator->run(inputs, request);
    GeneratedTokens result =
        collectTokens(host, lengths, session.download(run.generated),
                      run.steps, request.eosIds, vocabSize);
    out.write(result.tokens);
    if (lensOut)
      lensOut->write(result.counts);
  });
}
