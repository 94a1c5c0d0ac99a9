//===- ModelApi.cpp - The C API of a model built with --emit shared -------===//
//
// rat/Runtime/rat_model.h over the session API, in the shared library that
// rat-compile links from the model's object and the runtime: a thin client of
// Session, DecodeStepper (through Generator) and LmRequest.h, like the
// executable's command line. Every function catches what the runtime throws
// and turns it into a status and the thread's last error message (guard,
// ModelApi.h). This file has the versions and errors, opening and closing,
// the manifest queries and rat_model_run; the LM and decode-step calls are
// in ModelApiGeneration.cpp, the marshalling of tensors in
// ModelApiTensors.cpp.
//
//===----------------------------------------------------------------------===//

#include "ModelApi.h"

#include <cstdlib>

using namespace rat;
using namespace rat::capi;

namespace {

/// `-1`: $RAT_DEVICE, else 0 (as the CUDA runtime resolves it).
int resolveOrdinal(int requested) {
  if (requested >= 0)
    return requested;
  const char *text = std::getenv("RAT_DEVICE");
  return text && *text ? std::atoi(text) : 0;
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

/// A string of the manifest as a C string that lives as long as the model.
const char *cString(const std::string &text) { return text.c_str(); }

} // namespace

Library &capi::library() {
  static Library *instance = new Library;
  return *instance;
}

//===----------------------------------------------------------------------===//
// Errors and versions
//===----------------------------------------------------------------------===//

extern "C" int32_t rat_api_version(void) { return RAT_MODEL_API_VERSION; }

extern "C" const char *rat_last_error(void) { return lastError().c_str(); }

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
