//===- RuntimeMain.cpp - The generic main of compiled models --------------===//
//
// Drives a compiled model from the command line (docs/Runtime.md): parses
// options, validates every file against the manifest before any compute,
// moves tensors to the target's memory, calls the entry points through the
// packed convention, carries decode state between calls by name and writes
// the results. All memory goes through a DeviceBackend so that this file
// links into CPU executables without CUDA.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/RuntimeMain.h"

#include "rat/Runtime/DeviceExecution.h"
#include "rat/Runtime/DeviceBackend.h"
#include "rat/Runtime/Error.h"
#include "rat/Runtime/HostTensor.h"
#include "rat/Runtime/Manifest.h"
#include "rat/Runtime/Npy.h"
#include "rat/Runtime/Safetensors.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

using namespace rat;

// Weak: resolves to null unless RatCudaRuntime is linked in (CPU executables
// do not link it). Only this file may see the weak declaration; in
// CudaRuntime.cpp it would make the definition weak too.
extern "C" __attribute__((weak)) rat::DeviceBackend *rat_cuda_backend(void);
extern "C" __attribute__((weak)) rat::DeviceExecution *rat_cuda_execution(void);

namespace {

/// Default token budget of one prefill call of an LM: a larger batch is
/// prefilled in slices of sequences (the activations of a prompt grow with
/// batch x length; the decode state kept for every sequence does not).
constexpr int64_t kPrefillTokens = 16384;

//===----------------------------------------------------------------------===//
// Command line
//===----------------------------------------------------------------------===//

struct Options {
  std::string program = "model";
  std::string weights, input, output, tokens, logits, entry;
  std::vector<std::string> args, results;
  std::vector<int64_t> indices;
  bool decode = false;
  bool verbose = false;
  bool help = false;
  bool printManifest = false;
  bool allowExtraWeights = false;
  /// --no-graphs or RAT_NO_GRAPHS: decode steps run eagerly on CUDA.
  bool noGraphs = false;
  std::optional<int64_t> promptLen, generate, bench, device;
  /// --prefill-rows: sequences per prefill call (0: the whole batch at once;
  /// unset: as many as fit kPrefillTokens tokens).
  std::optional<int64_t> prefillRows;
  int64_t warmup = 2;
  /// Options that were given, to reject those the model kind does not take.
  std::set<std::string> given;
};

/// Options each model kind accepts besides the common ones.
const std::set<std::string> &kindOptions(ModelKind kind) {
  static const std::set<std::string> ratLayer = {"--weights", "--input",
                                                 "--output", "--decode"};
  static const std::set<std::string> lm = {"--weights",    "--tokens",
                                           "--logits",     "--output",
                                           "--prompt-len", "--generate",
                                           "--prefill-rows"};
  static const std::set<std::string> function = {
      "--weights", "--entry", "--arg", "--index", "--result"};
  switch (kind) {
  case ModelKind::RatLayer:
    return ratLayer;
  case ModelKind::Lm:
    return lm;
  case ModelKind::Function:
    break;
  }
  return function;
}

int64_t parseInteger(const std::string &option, const std::string &text,
                     int64_t minimum) {
  errno = 0;
  char *end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || errno == ERANGE || value < minimum)
    throw RatError(option + " expects an integer" +
                   (minimum == 0   ? " >= 0"
                    : minimum == 1 ? " >= 1"
                                   : "") +
                   ", got '" + text + "'");
  return value;
}

Options parseOptions(int argc, char **argv) {
  Options options;
  if (argc > 0 && argv[0]) {
    options.program = argv[0];
    size_t slash = options.program.rfind('/');
    if (slash != std::string::npos)
      options.program = options.program.substr(slash + 1);
  }
  static const std::set<std::string> flags = {"--decode",
                                              "-v",
                                              "--verbose",
                                              "-h",
                                              "--help",
                                              "--print-manifest",
                                              "--allow-extra-weights",
                                              "--no-graphs"};
  static const std::set<std::string> valued = {
      "--weights",  "--input", "--output", "--tokens", "--logits",
      "--entry",    "--arg",   "--index",  "--result", "--prompt-len",
      "--generate", "--bench", "--warmup", "--device", "--prefill-rows"};
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string name = arg, value;
    bool hasValue = false;
    if (size_t equals = arg.find('=');
        arg.rfind("--", 0) == 0 && equals != std::string::npos) {
      name = arg.substr(0, equals);
      value = arg.substr(equals + 1);
      hasValue = true;
    }
    if (flags.count(name)) {
      if (hasValue)
        throw RatError("option " + name + " takes no value");
      if (name == "--decode")
        options.decode = true;
      else if (name == "-v" || name == "--verbose")
        options.verbose = true;
      else if (name == "-h" || name == "--help")
        options.help = true;
      else if (name == "--print-manifest")
        options.printManifest = true;
      else if (name == "--no-graphs")
        options.noGraphs = true;
      else
        options.allowExtraWeights = true;
      options.given.insert(name);
      continue;
    }
    if (!valued.count(name)) {
      if (arg.empty() || arg[0] != '-')
        throw RatError("unexpected argument '" + arg + "' (see --help)");
      throw RatError("unknown option '" + name + "' (see --help)");
    }
    if (!hasValue) {
      if (i + 1 >= argc)
        throw RatError("option " + name + " needs a value");
      value = argv[++i];
    }
    bool repeatable =
        name == "--arg" || name == "--index" || name == "--result";
    if (!repeatable && options.given.count(name))
      throw RatError("option " + name + " given twice");
    options.given.insert(name);
    if (name == "--weights")
      options.weights = value;
    else if (name == "--input")
      options.input = value;
    else if (name == "--output")
      options.output = value;
    else if (name == "--tokens")
      options.tokens = value;
    else if (name == "--logits")
      options.logits = value;
    else if (name == "--entry")
      options.entry = value;
    else if (name == "--arg")
      options.args.push_back(value);
    else if (name == "--result")
      options.results.push_back(value);
    else if (name == "--index")
      options.indices.push_back(
          parseInteger(name, value, std::numeric_limits<int64_t>::min()));
    else if (name == "--prompt-len")
      options.promptLen = parseInteger(name, value, 1);
    else if (name == "--generate")
      options.generate = parseInteger(name, value, 0);
    else if (name == "--bench")
      options.bench = parseInteger(name, value, 1);
    else if (name == "--warmup")
      options.warmup = parseInteger(name, value, 0);
    else if (name == "--device")
      options.device = parseInteger(name, value, 0);
    else if (name == "--prefill-rows")
      options.prefillRows = parseInteger(name, value, 0);
  }
  if (const char *env = std::getenv("RAT_NO_GRAPHS");
      env && *env && std::strcmp(env, "0") != 0)
    options.noGraphs = true;
  return options;
}

void printUsage(const Manifest &manifest, const Options &options) {
  const std::string &p = options.program;
  std::string entries;
  for (const EntrySpec &entry : manifest.entries)
    entries += (entries.empty() ? "" : ", ") + entry.name;
  std::printf("A compiled %s model (target %s, dtype %s; entries: %s).\n\n",
              modelKindName(manifest.kind),
              manifest.target == Target::Cuda ? "cuda" : "cpu",
              dtypeName(manifest.dtype), entries.c_str());
  switch (manifest.kind) {
  case ModelKind::RatLayer:
    std::printf("usage: %s [--weights W.safetensors] --input X.npy "
                "--output Y.npy [--decode] [options]\n"
                "  --decode             run the decode entry token by token "
                "instead of prefill\n",
                p.c_str());
    break;
  case ModelKind::Lm:
    std::printf(
        "usage: %s [--weights W.safetensors] --tokens T.npy --logits L.npy\n"
        "       %s [--weights W.safetensors] --tokens T.npy [--prompt-len P]"
        " --generate N --output G.npy\n"
        "  --tokens FILE        int32/int64 token ids [B, T]\n"
        "  --logits FILE        write the prefill logits [B, P, V] (f32)\n"
        "  --prompt-len P       use the first P tokens as the prompt "
        "(default T)\n"
        "  --generate N         greedily generate N tokens; --output gets "
        "[B, P+N] int32\n"
        "  --prefill-rows R     run the prompt R sequences at a time (0: all "
        "at once;\n"
        "                       default: as many as fit %lld tokens)\n",
        p.c_str(), p.c_str(), static_cast<long long>(kPrefillTokens));
    break;
  case ModelKind::Function:
    std::printf("usage: %s [--weights W.safetensors] [--entry NAME] "
                "[--arg A.npy]... [--index N]... [--result R.npy]...\n"
                "  --entry NAME         entry to run (default: the first)\n"
                "  --arg FILE           one per 'input' argument, in order\n"
                "  --index N            one per 'index' argument, in order\n"
                "  --result FILE        one per result, in order (or none)\n",
                p.c_str());
    break;
  }
  std::printf(
      "common options:\n"
      "  --weights FILE       safetensors checkpoint (F32/BF16/F16/F64 "
      "converted to the model's types)\n"
      "  --allow-extra-weights  accept checkpoint tensors the model does not "
      "use\n"
      "  --bench ITERS        after --warmup runs, time ITERS runs and print "
      "the median and tokens/s\n"
      "  --warmup N           warm-up runs before --bench (default 2)\n"
      "  --device K           CUDA device (default $RAT_DEVICE, else 0)\n"
      "  --no-graphs          CUDA: run decode steps eagerly instead of "
      "replaying a CUDA graph\n"
      "                       (also RAT_NO_GRAPHS=1)\n"
      "  --print-manifest     print the embedded manifest and exit\n"
      "  -v, --verbose        print parameters, device and phase timings\n"
      "  -h, --help           print this help\n");
}

//===----------------------------------------------------------------------===//
// Host backend
//===----------------------------------------------------------------------===//

class HostTimer final : public DeviceTimer {
public:
  void start() override { begin = std::chrono::steady_clock::now(); }
  double stopMs() override {
    return std::chrono::duration<double, std::milli>(
               std::chrono::steady_clock::now() - begin)
        .count();
  }

private:
  std::chrono::steady_clock::time_point begin;
};

/// Tensors of the CPU target live in ordinary heap memory; results of
/// compiled CPU code come from malloc, so deallocate() is free().
class HostBackend final : public DeviceBackend {
public:
  const char *targetName() const override { return "cpu"; }
  void initialize(int) override {}
  std::string deviceDescription() override { return "host CPU"; }
  bool isHostMemory() const override { return true; }
  void *allocate(size_t bytes) override {
    if (bytes == 0)
      return nullptr;
    constexpr size_t alignment = 64;
    if (bytes > std::numeric_limits<size_t>::max() - alignment)
      throw std::bad_alloc();
    void *pointer = std::aligned_alloc(alignment, (bytes + alignment - 1) /
                                                      alignment * alignment);
    if (!pointer)
      throw std::bad_alloc();
    return pointer;
  }
  void deallocate(void *pointer) override { std::free(pointer); }
  void copyToDevice(void *destination, const void *source,
                    size_t bytes) override {
    if (bytes)
      std::memcpy(destination, source, bytes);
  }
  void copyToHost(void *destination, const void *source,
                  size_t bytes) override {
    if (bytes)
      std::memcpy(destination, source, bytes);
  }
  void copyOnDevice(void *destination, const void *source,
                    size_t bytes) override {
    if (bytes)
      std::memmove(destination, source, bytes);
  }
  void fillZero(void *destination, size_t bytes) override {
    if (bytes)
      std::memset(destination, 0, bytes);
  }
  void synchronize() override {}
  std::unique_ptr<DeviceTimer> createTimer() override {
    return std::make_unique<HostTimer>();
  }
};

//===----------------------------------------------------------------------===//
// Device tensors
//===----------------------------------------------------------------------===//

/// Owns one allocation in the backend's memory. Results of compiled code may
/// alias an argument or each other, so buffers are shared and looked up by
/// their base pointer before a result is adopted: nothing is freed twice.
class BufferTable {
public:
  explicit BufferTable(DeviceBackend &backend) : backend(backend) {}

  std::shared_ptr<void> adopt(void *pointer) {
    if (!pointer)
      return nullptr;
    auto it = live.find(pointer);
    if (it != live.end())
      if (std::shared_ptr<void> existing = it->second.lock())
        return existing;
    std::shared_ptr<void> owner(pointer, [this](void *p) { release(p); });
    live[pointer] = owner;
    return owner;
  }

private:
  void release(void *pointer) {
    live.erase(pointer);
    try {
      backend.deallocate(pointer);
    } catch (const std::exception &error) {
      // Runs from shared_ptr destructors, which must not throw.
      std::fprintf(stderr, "warning: %s\n", error.what());
    }
  }

  DeviceBackend &backend;
  std::unordered_map<void *, std::weak_ptr<void>> live;
};

/// A dense row-major tensor in the backend's memory.
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

//===----------------------------------------------------------------------===//
// Symbolic dimensions
//===----------------------------------------------------------------------===//

/// Binds manifest symbols (B, T, ...) to sizes, from the first array that
/// uses each, and checks every later use.
class DimBinder {
public:
  /// Checks `shape` against `spec`, binding new symbols. `what` names the
  /// array (`input 'x' (x.npy)`), `where` prefixes errors (`entry 'f': `).
  void bind(const ValueSpec &spec, const Shape &shape, const std::string &what,
            const std::string &where = "") {
    bool ok = shape.size() == spec.dims.size();
    for (size_t i = 0; ok && i < shape.size(); ++i) {
      const Dim &dim = spec.dims[i];
      if (!dim.isSymbolic()) {
        ok = shape[i] == dim.size;
        continue;
      }
      if (dim.isWildcard())
        continue;
      auto it = bound.find(dim.symbol);
      if (it == bound.end())
        bound.emplace(dim.symbol, Binding{shape[i], what});
      else
        ok = it->second.size == shape[i];
    }
    if (!ok)
      throw RatError(where + what + " has shape " + formatShape(shape) +
                     ", expected " + describe(spec.dims));
  }

  /// The concrete shape of `spec`; every symbol must already be bound.
  Shape resolve(const ValueSpec &spec, const std::string &what) const {
    Shape shape;
    for (const Dim &dim : spec.dims) {
      if (!dim.isSymbolic()) {
        shape.push_back(dim.size);
        continue;
      }
      auto it = bound.find(dim.symbol);
      if (dim.isWildcard())
        throw RatError("cannot size " + what + " " + formatDims(spec.dims) +
                       ": a '?' dimension has no size to start from");
      if (it == bound.end())
        throw RatError("cannot size " + what + " " + formatDims(spec.dims) +
                       ": no earlier argument binds " + dim.symbol);
      shape.push_back(it->second.size);
    }
    return shape;
  }

private:
  struct Binding {
    int64_t size;
    std::string source;
  };

  /// `[B, T, 256] (B = 2 from input 'x')`.
  std::string describe(const std::vector<Dim> &dims) const {
    std::string text = formatDims(dims);
    std::string notes;
    std::set<std::string> seen;
    for (const Dim &dim : dims) {
      auto it = bound.find(dim.symbol);
      if (!dim.isSymbolic() || it == bound.end() ||
          !seen.insert(dim.symbol).second)
        continue;
      notes += (notes.empty() ? "" : ", ") + dim.symbol + " = " +
               std::to_string(it->second.size) + " from " + it->second.source;
    }
    return notes.empty() ? text : text + " (" + notes + ")";
  }

  std::map<std::string, Binding> bound;
};

//===----------------------------------------------------------------------===//
// Verbose log and timing
//===----------------------------------------------------------------------===//

using Clock = std::chrono::steady_clock;

double millisecondsSince(Clock::time_point begin) {
  return std::chrono::duration<double, std::milli>(Clock::now() - begin)
      .count();
}

class Log {
public:
  explicit Log(bool enabled) : enabled(enabled) {}
  void note(const std::string &text) const {
    if (enabled)
      std::fprintf(stderr, "[rat] %s\n", text.c_str());
  }
  /// Reports a phase that started at `begin` and ends now.
  void phase(const char *name, Clock::time_point begin,
             const std::string &detail = "") const {
    phaseMs(name, millisecondsSince(begin), detail);
  }
  void phaseMs(const char *name, double ms,
               const std::string &detail = "") const {
    if (!enabled)
      return;
    std::fprintf(stderr, "[rat] %-14s %10.3f ms%s%s\n", name, ms,
                 detail.empty() ? "" : "  ", detail.c_str());
  }
  bool isEnabled() const { return enabled; }

private:
  bool enabled;
};

double median(std::vector<double> values) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle]
                           : (values[middle - 1] + values[middle]) / 2;
}

std::string formatMiB(size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f MiB",
                static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

//===----------------------------------------------------------------------===//
// Session: one model, its weights and entry calls
//===----------------------------------------------------------------------===//

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

class Session {
public:
  Session(const Manifest &manifest, const RatEntry *entries, int64_t numEntries,
          DeviceBackend &backend, DeviceExecution *execution,
          const Options &options)
      : manifest(manifest), backend(backend), execution(execution),
        options(options), log(options.verbose), buffers(backend) {
    if (numEntries < 0 || (numEntries > 0 && !entries))
      throw RatError("corrupt executable: bad __rat_entries table");
    for (int64_t i = 0; i < numEntries; ++i) {
      if (!entries[i].name || !entries[i].fn)
        throw RatError("corrupt executable: entry " + std::to_string(i) +
                       " of __rat_entries has no name or function");
      functions[entries[i].name] = entries[i].fn;
    }
    for (const EntrySpec &entry : manifest.entries)
      if (!functions.count(entry.name))
        throw RatError("corrupt executable: manifest entry '" + entry.name +
                       "' has no compiled function in __rat_entries");
  }

  DeviceBackend &device() { return backend; }
  /// Streams and graphs of the cuda target; null on the CPU.
  DeviceExecution *deviceExecution() { return execution; }
  const Options &runOptions() const { return options; }
  const Log &logger() const { return log; }

  /// Validates the checkpoint against every weight the manifest names and
  /// uploads those that `used` entries take.
  void loadWeights(const std::vector<const EntrySpec *> &used);

  Tensor upload(HostTensor host) {
    Tensor tensor;
    tensor.dtype = host.dtype();
    tensor.shape = host.shape();
    size_t bytes = host.sizeInBytes();
    if (backend.isHostMemory()) {
      // No copy on the CPU target: adopt the host storage.
      tensor.data = host.releaseStorage();
      tensor.owner = buffers.adopt(tensor.data);
      return tensor;
    }
    tensor.owner = buffers.adopt(backend.allocate(bytes));
    tensor.data = tensor.owner.get();
    backend.copyToDevice(tensor.data, host.data(), bytes);
    return tensor;
  }

  HostTensor download(const Tensor &tensor) {
    HostTensor host(tensor.dtype, tensor.shape);
    backend.copyToHost(host.data(), tensor.data, host.sizeInBytes());
    return host;
  }

  Tensor allocate(DType dtype, Shape shape, bool zero) {
    Tensor tensor;
    tensor.dtype = dtype;
    tensor.shape = std::move(shape);
    uint64_t count = 0;
    if (!checkedNumElements(tensor.shape, dtypeSize(dtype), count))
      throw RatError("tensor of shape " + formatShape(tensor.shape) +
                     " is too large");
    tensor.owner = buffers.adopt(backend.allocate(tensor.sizeInBytes()));
    tensor.data = tensor.owner.get();
    if (zero)
      backend.fillZero(tensor.data, tensor.sizeInBytes());
    return tensor;
  }

  /// A view of `shape` at byte `offset` inside `base` (keeps `base` alive).
  static Tensor view(const Tensor &base, size_t offset, Shape shape) {
    Tensor tensor;
    tensor.dtype = base.dtype;
    tensor.shape = std::move(shape);
    tensor.owner = base.owner;
    tensor.data = static_cast<uint8_t *>(base.data) + offset;
    return tensor;
  }

  /// Calls `entry`: binds and checks shapes, fills missing state with zeros,
  /// returns the results (in manifest order) and stores state results back
  /// into `states` (not in CallMode::Capture, see there).
  std::vector<Tensor> call(const EntrySpec &entry, const CallInputs &inputs,
                           StatePool &states, CallMode mode = CallMode::Eager);

private:
  const Manifest &manifest;
  DeviceBackend &backend;
  DeviceExecution *execution;
  const Options &options;
  Log log;
  std::map<std::string, void (*)(void **)> functions;
  /// Declared before every member holding tensors: destroyed after them.
  BufferTable buffers;
  std::map<std::string, Tensor> weights;
};

void Session::loadWeights(const std::vector<const EntrySpec *> &used) {
  // Every weight the model declares, with its spec (verified consistent
  // across entries by the manifest parser).
  std::map<std::string, const ValueSpec *> declared;
  for (const EntrySpec &entry : manifest.entries)
    for (const ValueSpec &arg : entry.args)
      if (arg.role == Role::Weight)
        declared.emplace(arg.name, &arg);
  std::set<std::string> needed;
  for (const EntrySpec *entry : used)
    for (const ValueSpec &arg : entry->args)
      if (arg.role == Role::Weight)
        needed.insert(arg.name);

  if (options.weights.empty()) {
    if (needed.empty())
      return;
    throw RatError("this model needs --weights (a safetensors checkpoint "
                   "with " +
                   std::to_string(declared.size()) + " tensors, e.g. '" +
                   *needed.begin() + "')");
  }

  Clock::time_point begin = Clock::now();
  SafetensorsFile file = SafetensorsFile::open(options.weights);
  const std::string &path = file.path();
  DimBinder binder;
  for (const auto &[name, spec] : declared) {
    const SafetensorsTensorInfo *info = file.find(name);
    if (!info)
      throw RatError(path + ": missing tensor '" + name +
                     "' (the model needs " + dtypeName(spec->type) + " " +
                     formatDims(spec->dims) + ")");
    binder.bind(*spec, info->shape, path + ": tensor '" + name + "'");
    if (isFloatType(info->dtype) != isFloatType(spec->type))
      throw RatError(path + ": tensor '" + name + "' is " +
                     safetensorsDTypeName(info->dtype) +
                     " but the model needs " + dtypeName(spec->type));
  }
  if (!options.allowExtraWeights) {
    for (const SafetensorsTensorInfo &info : file.tensors())
      if (!declared.count(info.name))
        throw RatError(path + ": tensor '" + info.name +
                       "' is not used by the model (a checkpoint for another "
                       "model?); pass --allow-extra-weights to ignore it");
  }

  size_t bytes = 0;
  for (const std::string &name : needed) {
    const ValueSpec &spec = *declared.at(name);
    HostTensor host = file.load(*file.find(name), spec.type);
    bytes += host.sizeInBytes();
    weights[name] = upload(std::move(host));
  }
  log.phase("load weights", begin,
            std::to_string(needed.size()) + " tensors, " + formatMiB(bytes) +
                " from " + path);
}

std::vector<Tensor> Session::call(const EntrySpec &entry,
                                  const CallInputs &inputs, StatePool &states,
                                  CallMode mode) {
  DimBinder binder;
  size_t numArgs = entry.args.size();
  std::vector<Tensor> argTensors(numArgs);
  std::vector<int64_t> indexValues(numArgs, 0);
  std::string where = "entry '" + entry.name + "': ";

  for (size_t i = 0; i < numArgs; ++i) {
    const ValueSpec &spec = entry.args[i];
    std::string what =
        std::string(roleName(spec.role)) + " '" + spec.name + "'";
    switch (spec.role) {
    case Role::Input: {
      auto it = inputs.tensors.find(spec.name);
      if (it == inputs.tensors.end())
        throw RatError(where + "no value for " + what);
      auto source = inputs.sources.find(spec.name);
      if (source != inputs.sources.end())
        what += " (" + source->second + ")";
      argTensors[i] = it->second;
      break;
    }
    case Role::Weight: {
      auto it = weights.find(spec.name);
      if (it == weights.end())
        throw RatError(where + "weight '" + spec.name + "' was not loaded");
      argTensors[i] = it->second;
      break;
    }
    case Role::State: {
      auto it = states.find(spec.name);
      if (it == states.end() && mode == CallMode::Capture)
        throw RatError(where + "internal: " + what + " has no buffer");
      if (it == states.end()) {
        // State nobody produced yet starts at zero (decode from position 0).
        it =
            states
                .emplace(spec.name,
                         allocate(spec.type, binder.resolve(spec, where + what),
                                  /*zero=*/true))
                .first;
      }
      argTensors[i] = it->second;
      break;
    }
    case Role::Index: {
      auto it = inputs.indices.find(spec.name);
      if (it == inputs.indices.end())
        throw RatError(where + "no value for index '" + spec.name + "'");
      indexValues[i] = it->second;
      continue;
    }
    case Role::Output:
      throw RatError(where + "output role on an argument");
    }
    if (argTensors[i].dtype != spec.type)
      throw RatError(where + what + " is " + dtypeName(argTensors[i].dtype) +
                     ", expected " + dtypeName(spec.type));
    binder.bind(spec, argTensors[i].shape, what, where);
  }
  if (mode == CallMode::Prepare)
    return {};

  // Descriptors: {allocated, aligned, offset, sizes[N], strides[N]}.
  std::vector<std::vector<int64_t>> descriptors(numArgs);
  std::vector<void *> packed;
  size_t resultWords = 0;
  for (const ValueSpec &result : entry.results)
    resultWords += 3 + 2 * result.dims.size();
  std::vector<int64_t> resultDescriptors(std::max<size_t>(resultWords, 1), 0);
  if (!entry.results.empty())
    packed.push_back(resultDescriptors.data());
  for (size_t i = 0; i < numArgs; ++i) {
    if (entry.args[i].role == Role::Index) {
      packed.push_back(&indexValues[i]);
      continue;
    }
    const Tensor &tensor = argTensors[i];
    std::vector<int64_t> &descriptor = descriptors[i];
    // `allocated` is the base of the allocation (views point inside it), so
    // a result that returns an argument's buffer is recognised as shared.
    void *base = tensor.owner ? tensor.owner.get() : tensor.data;
    descriptor = {static_cast<int64_t>(reinterpret_cast<intptr_t>(base)),
                  static_cast<int64_t>(reinterpret_cast<intptr_t>(tensor.data)),
                  0};
    descriptor.insert(descriptor.end(), tensor.shape.begin(),
                      tensor.shape.end());
    std::vector<int64_t> strides(tensor.shape.size(), 1);
    for (size_t d = tensor.shape.size(); d-- > 1;)
      strides[d - 1] = strides[d] * tensor.shape[d];
    descriptor.insert(descriptor.end(), strides.begin(), strides.end());
    packed.push_back(descriptor.data());
  }

  functions.at(entry.name)(packed.data());

  // Take ownership of every result before checking any, so that a bad
  // result never leaks the others.
  std::vector<Tensor> results(entry.results.size());
  std::vector<const int64_t *> resultWordsAt;
  for (size_t i = 0, word = 0; i < entry.results.size(); ++i) {
    const int64_t *descriptor = resultDescriptors.data() + word;
    word += 3 + 2 * entry.results[i].dims.size();
    resultWordsAt.push_back(descriptor);
    results[i].owner = buffers.adopt(
        reinterpret_cast<void *>(static_cast<intptr_t>(descriptor[0])));
  }
  // CUDA: the entry's kernels were only enqueued on the process stream; wait
  // for them once (a fault names the kernel launched last).
  if (execution && mode == CallMode::Eager)
    execution->synchronize();
  for (size_t i = 0; i < entry.results.size(); ++i) {
    const ValueSpec &spec = entry.results[i];
    const int64_t *descriptor = resultWordsAt[i];
    size_t rank = spec.dims.size();
    Tensor &tensor = results[i];
    tensor.dtype = spec.type;
    tensor.shape.assign(descriptor + 3, descriptor + 3 + rank);
    std::string what =
        "result " + std::string(roleName(spec.role)) + " '" + spec.name + "'";
    binder.bind(spec, tensor.shape, what, where);
    what = where + what;
    // The runtime reads results as dense row-major arrays.
    Shape strides(descriptor + 3 + rank, descriptor + 3 + 2 * rank);
    int64_t expectedStride = 1;
    for (size_t d = rank; d-- > 0;) {
      if (tensor.shape[d] != 1 && strides[d] != expectedStride)
        throw RatError(what + " is not a dense row-major array (strides " +
                       formatShape(strides) + ")");
      expectedStride *= tensor.shape[d];
    }
    if (descriptor[2] < 0)
      throw RatError(what + " has a negative offset");
    auto *aligned =
        reinterpret_cast<uint8_t *>(static_cast<intptr_t>(descriptor[1]));
    tensor.data =
        aligned + static_cast<size_t>(descriptor[2]) * dtypeSize(spec.type);
    if (!aligned && tensor.numElements() != 0)
      throw RatError(what + " has a null buffer");
  }
  if (mode == CallMode::Eager)
    for (size_t i = 0; i < entry.results.size(); ++i)
      if (entry.results[i].role == Role::State)
        states[entry.results[i].name] = results[i];
  return results;
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

/// Reads an .npy input and converts it to the type `spec` expects (f32 to
/// bf16, f64 to f32, int64 to int32 with a range check, ...).
HostTensor readInput(const std::string &path, const ValueSpec &spec) {
  HostTensor tensor = readNpy(path);
  if (tensor.dtype() == spec.type)
    return tensor;
  if (isFloatType(tensor.dtype()) != isFloatType(spec.type))
    throw RatError(path + ": dtype " + dtypeName(tensor.dtype()) +
                   " does not match the model's " + spec.name + " (" +
                   dtypeName(spec.type) + ")");
  return convertTensor(tensor, spec.type, path);
}

/// Converts a result for writing: 16-bit floats become f32 (numpy has no
/// bf16), everything else is written as is.
HostTensor toWritable(HostTensor tensor) {
  if (tensor.dtype() == DType::BF16 || tensor.dtype() == DType::F16)
    return convertTensor(tensor, DType::F32, "result");
  return tensor;
}

/// Outputs are written only after every computation succeeded; each file is
/// written atomically.
class OutputFiles {
public:
  void add(const std::string &path, HostTensor tensor) {
    files.emplace_back(path, toWritable(std::move(tensor)));
  }
  void commit(const Log &log) {
    Clock::time_point begin = Clock::now();
    // Encode everything first: an unwritable dtype fails before any file.
    std::vector<std::string> encoded;
    for (const auto &file : files)
      encoded.push_back(encodeNpy(file.second));
    for (size_t i = 0; i < files.size(); ++i)
      writeFileAtomically(files[i].first, encoded[i]);
    if (!files.empty())
      log.phase("write", begin, std::to_string(files.size()) + " file(s)");
  }

private:
  std::vector<std::pair<std::string, HostTensor>> files;
};

//===----------------------------------------------------------------------===//
// Benchmarks
//===----------------------------------------------------------------------===//

/// Prints the median of `times` and the throughput it gives, for whole runs
/// or, with `perStep`, for single decode steps.
void printBench(const char *what, const std::vector<double> &times,
                double tokensPerRun, bool perStep = false,
                const std::string &note = "") {
  double ms = median(times);
  double tokensPerSecond = ms > 0 ? tokensPerRun / (ms / 1000.0) : 0;
  std::printf("bench: %-8s median %.4f %s over %zu %s, %.1f tokens/s%s\n", what,
              ms, perStep ? "ms/step" : "ms", times.size(),
              perStep ? "steps" : "runs", tokensPerSecond, note.c_str());
  std::fflush(stdout);
}

//===----------------------------------------------------------------------===//
// Decode steps
//===----------------------------------------------------------------------===//

/// Runs a decode entry step after step (LM generation, rat_layer --decode).
///
/// On the CPU, and on CUDA with --no-graphs, every step is an eager
/// Session::call. On CUDA the first step runs eagerly (it loads the modules
/// and fills the allocator's cache for the step's sizes) and is watched for
/// operations a graph cannot replay; the second captures the step into a
/// CUDA graph, and from then on every step is a replay of that graph:
///
/// - a graph replays fixed device addresses, so the step's inputs get
///   persistent buffers (each step's input is copied into them, ordered on
///   the stream before the replay), its state args use persistent buffers
///   (state_inout is updated there in place; a state result that is a
///   separate buffer is copied back after the replay), weights do not move,
///   and the results are the buffers the captured call returned, kept alive
///   here and rewritten by every replay;
/// - the position is passed to the kernels by value, so the graph holds it
///   in kernel parameters. Two captures at the first and last position of
///   the run locate those parameters (findPositionSlots); each replay
///   rewrites them first. A step whose kernels depend on the position in
///   any other way (launch shapes, derived values, allocations) is not
///   replayed: the stepper falls back to eager steps and says why under -v.
///
/// Replays are not synchronised one by one: finish() waits for them.
class DecodeStepper {
public:
  /// `first` and `last`: the range of positions the steps will use.
  DecodeStepper(Session &session, const EntrySpec &entry, int64_t first,
                int64_t last)
      : session(session), entry(entry), execution(session.deviceExecution()),
        first(first), last(last) {
    if (!execution) {
      phase = Phase::Eager; // CPU: as always
      return;
    }
    const Log &log = session.logger();
    if (session.runOptions().noGraphs) {
      log.note("decode graphs: off (--no-graphs or RAT_NO_GRAPHS)");
      phase = Phase::Eager;
      return;
    }
    if (entry.countArgs(Role::Index) != 1) {
      log.note("decode graphs: not used, eager steps: entry '" + entry.name +
               "' does not take exactly one index argument");
      phase = Phase::Eager;
      return;
    }
    positionName = entry.args[entry.findArg(Role::Index)].name;
  }

  /// Runs one step; the results stay valid until the next step.
  std::vector<Tensor> step(const CallInputs &inputs, StatePool &states) {
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

  /// Waits for the replays enqueued so far (a fault names the graph).
  void finish() {
    if (pending)
      execution->synchronize();
    pending = false;
  }

  /// Whether steps are replayed from a graph.
  bool replaying() const { return phase == Phase::Replay; }

  /// The state buffers the captured graph reads (empty before a capture):
  /// a later run's prefill can write its state there directly.
  const StatePool &graphStates() const { return stateBuffers; }

private:
  enum class Phase { Eager, WarmUp, Capture, Replay };

  void disable(const std::string &why) {
    session.logger().note("decode graphs: not used, eager steps: " + why);
    phase = Phase::Eager;
    releaseGraph();
  }

  void releaseGraph() {
    graph.reset();
    results.clear();
    inputBuffers.clear();
    stateBuffers.clear();
  }

  /// One capture of the step at `position`; on success fills `log` and, with
  /// `instantiate`, `graph` and `results`.
  bool captureAt(const CallInputs &inputs, StatePool &states, int64_t position,
                 bool instantiate, CaptureLog &log, std::string &why) {
    CallInputs at = inputs;
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

  bool capture(const CallInputs &inputs, StatePool &states, std::string &why) {
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
        inputBuffers[arg.name] = session.allocate(
            it->second.dtype, it->second.shape, /*zero=*/false);
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
    if (!captureAt(persistent, states, last, /*instantiate=*/true, atLast,
                   why)) {
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
    session.logger().note(
        "decode graphs: captured entry '" + entry.name + "' (" +
        std::to_string(atLast.launches.size()) + " kernels, " +
        std::to_string(atLast.allocations.size()) + " allocations); " +
        std::to_string(slots.size()) + " position parameter(s) in " +
        std::to_string(patched.size()) +
        " kernel(s) are rewritten before each replay, for positions " +
        std::to_string(first) + ".." + std::to_string(last));
    return true;
  }

  std::vector<Tensor> replay(const CallInputs &inputs, StatePool &states) {
    auto index = inputs.indices.find(positionName);
    if (index == inputs.indices.end())
      throw RatError("entry '" + entry.name + "': no value for index '" +
                     positionName + "'");
    int64_t position = index->second;
    // Outside the captured range the position parameters were not checked.
    if (position < first || position > last)
      return session.call(entry, inputs, states);
    DeviceBackend &device = session.device();
    for (auto &[name, buffer] : inputBuffers) {
      auto it = inputs.tensors.find(name);
      if (it == inputs.tensors.end())
        throw RatError("entry '" + entry.name + "': no value for input '" +
                       name + "'");
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
        if (it->second.dtype != buffer.dtype ||
            it->second.shape != buffer.shape)
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

/// The end of a decode bench line on the cuda target: how steps ran.
std::string graphNote(Session &session, const DecodeStepper &stepper) {
  if (!session.deviceExecution())
    return "";
  return stepper.replaying() ? " (CUDA graph replays)" : " (eager steps)";
}

//===----------------------------------------------------------------------===//
// rat_layer
//===----------------------------------------------------------------------===//

void requireOption(const std::string &value, const char *option,
                   const char *purpose) {
  if (value.empty())
    throw RatError(std::string("missing ") + option + " " + purpose);
}

void runRatLayer(Session &session, const Manifest &manifest,
                 const Options &options) {
  requireOption(options.input, "--input", "(the x array [B, T, D])");
  requireOption(options.output, "--output", "(where to write y)");
  const EntrySpec &prefill = *manifest.findEntry("prefill");
  const EntrySpec *decode = manifest.findEntry("decode");
  if (options.decode && !decode)
    throw RatError("--decode: this model was compiled without a decode entry");
  const EntrySpec &entry = options.decode ? *decode : prefill;
  session.loadWeights({&entry});
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

//===----------------------------------------------------------------------===//
// lm
//===----------------------------------------------------------------------===//

/// Checks token ids against vocab_size; `columns` limits the check to the
/// prompt.
void checkTokens(const HostTensor &tokens, int64_t columns,
                 std::optional<int64_t> vocabSize, const std::string &what) {
  const int32_t *ids = tokens.dataAs<int32_t>();
  int64_t rows = tokens.shape()[0], stride = tokens.shape()[1];
  for (int64_t b = 0; b < rows; ++b) {
    for (int64_t t = 0; t < columns; ++t) {
      int32_t id = ids[b * stride + t];
      if (id < 0 || (vocabSize && id >= *vocabSize))
        throw RatError(
            what + ": token " + std::to_string(id) + " at [" +
            std::to_string(b) + ", " + std::to_string(t) + "] is out of range" +
            (vocabSize ? " for vocab_size " + std::to_string(*vocabSize)
                       : std::string(" (negative)")));
    }
  }
}

/// Calls `entry` on `rows`-sequence slices of the batch (dim 0 of the input
/// `tokensName` and of every result and state) and gathers the results and
/// states into full-batch tensors; one call when rows >= batch. States are
/// gathered into the buffers of `reuse` where name, type and shape match
/// (the buffers a captured decode graph reads: no second copy of the state).
std::vector<Tensor> callInSlices(Session &session, const EntrySpec &entry,
                                 const CallInputs &inputs,
                                 const std::string &tokensName, int64_t rows,
                                 StatePool &states,
                                 const StatePool *reuse = nullptr) {
  const Tensor &tokens = inputs.tensors.at(tokensName);
  int64_t batch = tokens.shape[0];
  if (rows <= 0 || rows >= batch)
    return session.call(entry, inputs, states);
  DeviceBackend &device = session.device();
  std::vector<Tensor> results;
  size_t tokenRow = tokens.sizeInBytes() / static_cast<size_t>(batch);
  // Copies rows [b0, b0 + n) of `part` into `full` (allocated on first use).
  auto gather = [&](Tensor &full, const Tensor &part, int64_t b0, int64_t n,
                    const std::string &what) {
    if (part.shape.empty() || part.shape[0] != n)
      throw RatError("entry '" + entry.name + "': " + what + " has shape " +
                     formatShape(part.shape) + ", expected " +
                     std::to_string(n) + " rows (a batch slice)");
    if (!full.data) {
      Shape shape = part.shape;
      shape[0] = batch;
      full = session.allocate(part.dtype, shape, /*zero=*/false);
    }
    size_t row = part.sizeInBytes() / static_cast<size_t>(n);
    device.copyOnDevice(static_cast<uint8_t *>(full.data) +
                            static_cast<size_t>(b0) * row,
                        part.data, part.sizeInBytes());
  };
  for (int64_t b0 = 0; b0 < batch; b0 += rows) {
    int64_t n = std::min(rows, batch - b0);
    CallInputs slice = inputs;
    Shape shape = tokens.shape;
    shape[0] = n;
    slice.tensors[tokensName] =
        Session::view(tokens, static_cast<size_t>(b0) * tokenRow, shape);
    StatePool part;
    std::vector<Tensor> out = session.call(entry, slice, part);
    results.resize(out.size());
    // State results are gathered once, into `states` (below).
    for (size_t i = 0; i < out.size(); ++i)
      if (entry.results[i].role != Role::State)
        gather(results[i], out[i], b0, n,
               "result '" + entry.results[i].name + "'");
    for (auto &[name, tensor] : part) {
      Tensor &full = states[name];
      if (b0 == 0 && reuse) {
        auto it = reuse->find(name);
        if (it != reuse->end() && it->second.dtype == tensor.dtype &&
            it->second.shape.size() == tensor.shape.size() &&
            it->second.shape[0] == batch &&
            std::equal(tensor.shape.begin() + 1, tensor.shape.end(),
                       it->second.shape.begin() + 1))
          full = it->second;
      }
      gather(full, tensor, b0, n, "state '" + name + "'");
    }
  }
  for (size_t i = 0; i < results.size(); ++i)
    if (entry.results[i].role == Role::State)
      results[i] = states.at(entry.results[i].name);
  return results;
}

/// Whether every result and state of `entry` has the batch of its input as
/// dim 0 (so that the batch can be prefilled in slices).
bool batchLeads(const EntrySpec &entry, const ValueSpec &input) {
  if (input.dims.empty() || !input.dims[0].isSymbolic())
    return false;
  const Dim &batch = input.dims[0];
  for (const ValueSpec &arg : entry.args)
    if (arg.role == Role::State && (arg.dims.empty() || !(arg.dims[0] == batch)))
      return false;
  for (const ValueSpec &result : entry.results)
    if (result.dims.empty() || !(result.dims[0] == batch))
      return false;
  return true;
}

void runLm(Session &session, const Manifest &manifest, const Options &options) {
  requireOption(options.tokens, "--tokens", "(token ids [B, T])");
  int64_t generate = options.generate.value_or(0);
  if (generate > 0 && options.output.empty())
    throw RatError("--generate needs --output (where to write the tokens)");
  if (generate == 0 && !options.output.empty())
    throw RatError("--output needs --generate N (use --logits for prefill)");
  if (generate == 0 && options.logits.empty())
    throw RatError("nothing to do: give --logits FILE and/or --generate N "
                   "--output FILE");
  // Generation without --logits starts with the `prompt` entry when the
  // model has one: the same prefill without the [B, T, V] logits.
  const EntrySpec *promptEntry = manifest.findEntry("prompt");
  const EntrySpec &prefill = options.logits.empty() && promptEntry
                                 ? *promptEntry
                                 : *manifest.findEntry("prefill");
  const EntrySpec *decode = manifest.findEntry("decode");
  if (generate > 1 && !decode)
    throw RatError("--generate: this model was compiled without a decode "
                   "entry");
  std::vector<const EntrySpec *> used = {&prefill};
  if (generate > 1)
    used.push_back(decode);
  std::optional<int64_t> vocabSize = manifest.intParam("vocab_size");
  std::optional<int64_t> maxSeqLen = manifest.intParam("max_seq_len");

  // Validate the user's files before loading a possibly large checkpoint.
  const ValueSpec &tokensSpec = prefill.args[prefill.findArg(Role::Input)];
  HostTensor tokens = readInput(options.tokens, tokensSpec);
  if (tokens.rank() != 2 || tokens.shape()[1] < 1)
    throw RatError(options.tokens +
                   ": expected token ids [B, T] with T >= 1, "
                   "got shape " +
                   formatShape(tokens.shape()));
  int64_t batch = tokens.shape()[0], length = tokens.shape()[1];
  int64_t promptLen = options.promptLen.value_or(length);
  if (promptLen > length)
    throw RatError("--prompt-len " + std::to_string(promptLen) +
                   " exceeds the " + std::to_string(length) + " tokens in " +
                   options.tokens);
  if (generate > 0 && maxSeqLen && promptLen + generate > *maxSeqLen)
    throw RatError("--prompt-len " + std::to_string(promptLen) +
                   " + --generate " + std::to_string(generate) +
                   " exceeds the model's max_seq_len " +
                   std::to_string(*maxSeqLen));
  checkTokens(tokens, promptLen, vocabSize, options.tokens);

  session.loadWeights(used);
  const Log &log = session.logger();
  DeviceBackend &device = session.device();

  Clock::time_point begin = Clock::now();
  HostTensor prompt(DType::I32, {batch, promptLen});
  for (int64_t b = 0; b < batch; ++b)
    std::memcpy(prompt.dataAs<int32_t>() + b * promptLen,
                tokens.dataAs<int32_t>() + b * length,
                static_cast<size_t>(promptLen) * sizeof(int32_t));
  CallInputs prefillInputs;
  prefillInputs.tensors[tokensSpec.name] = session.upload(std::move(prompt));
  // Sequences per prefill call.
  int64_t sliceRows = 0;
  if (batchLeads(prefill, tokensSpec))
    sliceRows = options.prefillRows.value_or(
        std::max<int64_t>(1, kPrefillTokens / promptLen));
  else if (options.prefillRows.value_or(0) > 0)
    throw RatError("--prefill-rows: entry '" + prefill.name +
                   "' has a result or state without the batch as its first "
                   "dimension");
  if (sliceRows > 0 && sliceRows < batch)
    log.note("prefill in slices of " + std::to_string(sliceRows) +
             " sequence(s) (--prefill-rows)");
  prefillInputs.sources[tokensSpec.name] = options.tokens;
  log.phase("upload", begin);

  int64_t logitsIndex =
      options.logits.empty() ? -1 : prefill.findResult(Role::Output, "logits");
  int64_t nextIndex = prefill.findResult(Role::Output, "next_token");
  const ValueSpec *tokenSpec = nullptr;
  const ValueSpec *positionSpec = nullptr;
  int64_t decodeNextIndex = -1;
  if (decode && generate > 1) {
    tokenSpec = &decode->args[decode->findArg(Role::Input)];
    positionSpec = &decode->args[decode->findArg(Role::Index)];
    decodeNextIndex = decode->findResult(Role::Output, "next_token");
  }

  // Generated tokens are gathered in device memory, [N, B], and downloaded
  // once at the end; on the host they are also checked as they come, before
  // being fed back.
  auto checkGenerated = [&](const Tensor &next, int64_t step) {
    if (!device.isHostMemory())
      return;
    const auto *ids = static_cast<const int32_t *>(next.data);
    for (int64_t b = 0; b < batch; ++b)
      if (ids[b] < 0 || (vocabSize && ids[b] >= *vocabSize))
        throw RatError("the model generated token " + std::to_string(ids[b]) +
                       " at step " + std::to_string(step) + ", row " +
                       std::to_string(b) + ": out of range");
  };

  size_t tokenBytes = static_cast<size_t>(batch) * sizeof(int32_t);
  // Decode steps run at positions P .. P+N-2, in every generation.
  std::optional<DecodeStepper> stepper;
  if (decode && generate > 1)
    stepper.emplace(session, *decode, promptLen, promptLen + generate - 2);
  struct Generation {
    std::vector<Tensor> prefillResults;
    /// [N, B] int32 in device memory: the token generated at each step.
    Tensor generated;
    /// Device-timed (with a timer) prefill and per-step decode times.
    double prefillMs = 0;
    std::vector<double> stepMs;
    /// Host wall-clock times of the two phases, for -v.
    Clock::time_point start, prefillDone, decodeDone;
    /// Bytes of decode state after the prefill (all sequences).
    size_t stateBytes = 0;
  };
  auto runGeneration = [&](DeviceTimer *timer) {
    Generation run;
    StatePool states;
    if (generate > 0)
      run.generated = session.allocate(DType::I32, {generate, batch},
                                       /*zero=*/false);
    auto record = [&](const Tensor &next, int64_t step) {
      checkGenerated(next, step);
      device.copyOnDevice(static_cast<uint8_t *>(run.generated.data) +
                              static_cast<size_t>(step) * tokenBytes,
                          next.data, tokenBytes);
    };
    run.start = Clock::now();
    if (timer)
      timer->start();
    run.prefillResults =
        callInSlices(session, prefill, prefillInputs, tokensSpec.name,
                     sliceRows, states, stepper ? &stepper->graphStates() : nullptr);
    if (timer)
      run.prefillMs = timer->stopMs();
    run.prefillDone = run.decodeDone = Clock::now();
    for (const auto &[name, tensor] : states)
      run.stateBytes += tensor.sizeInBytes();
    if (generate == 0)
      return run;
    const Tensor &first = run.prefillResults[nextIndex];
    if (first.shape != Shape{batch})
      throw RatError("entry '" + prefill.name + "': next_token has shape " +
                     formatShape(first.shape) + ", expected [" +
                     std::to_string(batch) + "]");
    record(first, 0);
    Tensor previous = first;
    for (int64_t step = 1; step < generate; ++step) {
      CallInputs inputs;
      inputs.tensors[tokenSpec->name] = previous;
      inputs.sources[tokenSpec->name] =
          "the token generated at step " + std::to_string(step - 1);
      inputs.indices[positionSpec->name] = promptLen + step - 1;
      if (timer)
        timer->start();
      std::vector<Tensor> results = stepper->step(inputs, states);
      if (timer)
        run.stepMs.push_back(timer->stopMs());
      const Tensor &next = results[decodeNextIndex];
      if (next.shape != Shape{batch})
        throw RatError("entry 'decode': next_token has shape " +
                       formatShape(next.shape) + ", expected [" +
                       std::to_string(batch) + "]");
      record(next, step);
      previous = next;
    }
    if (stepper)
      stepper->finish();
    run.decodeDone = Clock::now();
    return run;
  };

  Generation run = runGeneration(nullptr);
  if (run.stateBytes)
    log.note("decode state: " + formatMiB(run.stateBytes) + " for " +
             std::to_string(batch) + " sequence(s), " +
             formatMiB(run.stateBytes / static_cast<size_t>(batch)) +
             " per sequence");
  auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  log.phaseMs("prefill", ms(run.start, run.prefillDone),
              std::to_string(batch) + " x " + std::to_string(promptLen) +
                  " tokens");
  if (generate > 1) {
    double decodeMs = ms(run.prefillDone, run.decodeDone);
    char detail[64];
    std::snprintf(detail, sizeof(detail), "%lld steps, %.3f ms/step",
                  static_cast<long long>(generate - 1),
                  decodeMs / static_cast<double>(generate - 1));
    log.phaseMs("decode", decodeMs, detail);
  }

  OutputFiles outputs;
  if (!options.logits.empty())
    outputs.add(options.logits,
                session.download(run.prefillResults[logitsIndex]));
  if (generate > 0) {
    HostTensor all(DType::I32, {batch, promptLen + generate});
    int32_t *ids = all.dataAs<int32_t>();
    for (int64_t b = 0; b < batch; ++b)
      std::memcpy(ids + b * (promptLen + generate),
                  tokens.dataAs<int32_t>() + b * length,
                  static_cast<size_t>(promptLen) * sizeof(int32_t));
    HostTensor generated = session.download(run.generated);
    for (int64_t step = 0; step < generate; ++step)
      for (int64_t b = 0; b < batch; ++b)
        ids[b * (promptLen + generate) + promptLen + step] =
            generated.dataAs<int32_t>()[step * batch + b];
    checkTokens(all, promptLen + generate, vocabSize, "generated tokens");
    outputs.add(options.output, std::move(all));
  }
  run = Generation();
  outputs.commit(log);

  if (options.bench) {
    std::unique_ptr<DeviceTimer> timer = device.createTimer();
    for (int64_t i = 0; i < options.warmup; ++i)
      runGeneration(nullptr);
    std::vector<double> prefillTimes, stepTimes;
    for (int64_t i = 0; i < *options.bench; ++i) {
      Generation timed = runGeneration(timer.get());
      prefillTimes.push_back(timed.prefillMs);
      stepTimes.insert(stepTimes.end(), timed.stepMs.begin(),
                       timed.stepMs.end());
    }
    printBench("prefill", prefillTimes, static_cast<double>(batch * promptLen));
    if (!stepTimes.empty())
      printBench("decode", stepTimes, static_cast<double>(batch),
                 /*perStep=*/true, graphNote(session, *stepper));
  }
}

//===----------------------------------------------------------------------===//
// function
//===----------------------------------------------------------------------===//

void runFunction(Session &session, const Manifest &manifest,
                 const Options &options) {
  const EntrySpec *entry = options.entry.empty()
                               ? &manifest.entries.front()
                               : manifest.findEntry(options.entry);
  if (!entry) {
    std::string names;
    for (const EntrySpec &candidate : manifest.entries)
      names += (names.empty() ? "" : ", ") + candidate.name;
    throw RatError("--entry: no entry '" + options.entry +
                   "' (entries: " + names + ")");
  }
  std::vector<const ValueSpec *> inputSpecs, indexSpecs;
  for (const ValueSpec &arg : entry->args) {
    if (arg.role == Role::Input)
      inputSpecs.push_back(&arg);
    else if (arg.role == Role::Index)
      indexSpecs.push_back(&arg);
  }
  auto names = [](const std::vector<const ValueSpec *> &specs) {
    std::string text;
    for (const ValueSpec *spec : specs)
      text += (text.empty() ? "" : ", ") + spec->name;
    return text.empty() ? std::string("none") : text;
  };
  if (options.args.size() != inputSpecs.size())
    throw RatError("entry '" + entry->name + "' takes " +
                   std::to_string(inputSpecs.size()) + " --arg file(s) (" +
                   names(inputSpecs) + "), got " +
                   std::to_string(options.args.size()));
  if (options.indices.size() != indexSpecs.size())
    throw RatError("entry '" + entry->name + "' takes " +
                   std::to_string(indexSpecs.size()) + " --index value(s) (" +
                   names(indexSpecs) + "), got " +
                   std::to_string(options.indices.size()));
  if (!options.results.empty() &&
      options.results.size() != entry->results.size())
    throw RatError("entry '" + entry->name + "' returns " +
                   std::to_string(entry->results.size()) + " result(s), got " +
                   std::to_string(options.results.size()) +
                   " --result file(s)");

  std::vector<HostTensor> hostInputs;
  for (size_t i = 0; i < inputSpecs.size(); ++i)
    hostInputs.push_back(readInput(options.args[i], *inputSpecs[i]));
  session.loadWeights({entry});
  const Log &log = session.logger();

  Clock::time_point begin = Clock::now();
  CallInputs inputs;
  for (size_t i = 0; i < inputSpecs.size(); ++i) {
    inputs.tensors[inputSpecs[i]->name] =
        session.upload(std::move(hostInputs[i]));
    inputs.sources[inputSpecs[i]->name] = options.args[i];
  }
  for (size_t i = 0; i < indexSpecs.size(); ++i)
    inputs.indices[indexSpecs[i]->name] = options.indices[i];
  log.phase("upload", begin);

  begin = Clock::now();
  StatePool states;
  std::vector<Tensor> results = session.call(*entry, inputs, states);
  log.phase(entry->name.c_str(), begin);
  OutputFiles outputs;
  for (size_t i = 0; i < options.results.size(); ++i)
    outputs.add(options.results[i], session.download(results[i]));
  results.clear();
  outputs.commit(log);

  if (options.bench) {
    std::unique_ptr<DeviceTimer> timer = session.device().createTimer();
    for (int64_t i = 0; i < options.warmup; ++i) {
      StatePool fresh;
      session.call(*entry, inputs, fresh);
    }
    std::vector<double> times;
    for (int64_t i = 0; i < *options.bench; ++i) {
      StatePool fresh;
      timer->start();
      std::vector<Tensor> timed = session.call(*entry, inputs, fresh);
      times.push_back(timer->stopMs());
    }
    double ms = median(times);
    std::printf("bench: %-8s median %.4f ms over %zu runs\n",
                entry->name.c_str(), ms, times.size());
  }
}

//===----------------------------------------------------------------------===//
// Top level
//===----------------------------------------------------------------------===//

int run(int argc, char **argv, const char *manifestText,
        const RatEntry *entries, int64_t numEntries) {
  if (!manifestText)
    throw RatError("corrupt executable: no __rat_manifest");
  Manifest manifest = parseManifest(manifestText);
  Options options = parseOptions(argc, argv);
  if (options.help) {
    printUsage(manifest, options);
    return 0;
  }
  if (options.printManifest) {
    std::fputs(manifestText, stdout);
    return 0;
  }
  static const std::set<std::string> common = {
      "-v",         "--verbose",        "-h",
      "--help",     "--print-manifest", "--bench",
      "--warmup",   "--device",         "--allow-extra-weights",
      "--no-graphs"};
  const std::set<std::string> &allowed = kindOptions(manifest.kind);
  for (const std::string &option : options.given)
    if (!common.count(option) && !allowed.count(option))
      throw RatError("option " + option + " does not apply to a " +
                     modelKindName(manifest.kind) + " model (see --help)");

  HostBackend host;
  DeviceBackend *backend = &host;
  if (manifest.target == Target::Cuda) {
    // Weak reference: null unless RatCudaRuntime is linked in.
    if (!rat_cuda_backend)
      throw RatError("this model targets CUDA but the executable was linked "
                     "without RatCudaRuntime");
    backend = rat_cuda_backend();
  }
  Log log(options.verbose);
  Clock::time_point begin = Clock::now();
  backend->initialize(options.device ? static_cast<int>(*options.device) : -1);
  // CUDA: all work of the run, compiled code's and the runtime's copies, goes
  // to one stream, synchronised once per entry call.
  DeviceExecution *execution = nullptr;
  if (manifest.target == Target::Cuda && rat_cuda_execution) {
    execution = rat_cuda_execution();
    execution->useProcessStream();
  }
  if (log.isEnabled()) {
    log.note(std::string("model ") + modelKindName(manifest.kind) +
             ", target " + backend->targetName() + ", dtype " +
             dtypeName(manifest.dtype));
    for (const auto &[key, value] : manifest.params)
      log.note("param " + key + " = " + value);
    log.phase("init device", begin, backend->deviceDescription());
    if (execution)
      log.note("one CUDA stream, synchronised after each entry call; "
               "caching device allocator");
  }

  {
    Session session(manifest, entries, numEntries, *backend, execution,
                    options);
    switch (manifest.kind) {
    case ModelKind::RatLayer:
      runRatLayer(session, manifest, options);
      break;
    case ModelKind::Lm:
      runLm(session, manifest, options);
      break;
    case ModelKind::Function:
      runFunction(session, manifest, options);
      break;
    }
  }
  if (execution) {
    // Every tensor is back in the allocator's cache: return it all.
    execution->releaseCachedMemory();
    log.note("device memory: " + execution->memoryReport());
  }
  return 0;
}

} // namespace

int rat::runtimeMain(int argc, char **argv, const char *manifestText,
                     const RatEntry *entries, int64_t numEntries) {
  try {
    return run(argc, argv, manifestText, entries, numEntries);
  } catch (const RatError &error) {
    std::fprintf(stderr, "error: %s\n", error.what());
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "error: out of memory\n");
  } catch (const std::exception &error) {
    std::fprintf(stderr, "error: internal: %s\n", error.what());
  }
  return 1;
}
