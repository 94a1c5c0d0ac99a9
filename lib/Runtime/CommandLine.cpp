//===- CommandLine.cpp - The command line of compiled models --------------===//

#include "CommandLine.h"

#include "rat/Runtime/Error.h"
#include "rat/Runtime/Generation.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

using namespace rat;

namespace {

/// Options each model kind accepts besides the common ones.
const std::set<std::string> &kindOptions(ModelKind kind) {
  static const std::set<std::string> ratLayer = {"--weights", "--input",
                                                 "--output", "--decode"};
  static const std::set<std::string> lm = {
      "--weights",     "--tokens",      "--logits",      "--output",
      "--prompt-len",  "--generate",    "--prefill-rows", "--prompt-lens",
      "--eos",         "--output-lens", "--temperature", "--top-k",
      "--top-p",       "--seed",        "--stream"};
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

double parseReal(const std::string &option, const std::string &text) {
  errno = 0;
  char *end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || errno == ERANGE || !std::isfinite(value))
    throw RatError(option + " expects a number, got '" + text + "'");
  return value;
}

uint64_t parseUnsigned(const std::string &option, const std::string &text) {
  errno = 0;
  char *end = nullptr;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || *end || errno == ERANGE)
    throw RatError(option + " expects an integer in [0, 2^64), got '" + text +
                   "'");
  return value;
}

} // namespace

CommandLineOptions rat::parseOptions(int argc, char **argv) {
  CommandLineOptions options;
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
                                              "--no-graphs",
                                              "--stream"};
  static const std::set<std::string> valued = {
      "--weights",  "--input", "--output", "--tokens", "--logits",
      "--entry",    "--arg",   "--index",  "--result", "--prompt-len",
      "--generate", "--bench", "--warmup", "--device", "--prefill-rows",
      "--prompt-lens", "--eos", "--output-lens", "--temperature", "--top-k",
      "--top-p", "--seed"};
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
      else if (name == "--stream")
        options.stream = true;
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
    bool repeatable = name == "--arg" || name == "--index" ||
                      name == "--result" || name == "--eos";
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
    else if (name == "--prompt-lens")
      options.promptLens = value;
    else if (name == "--output-lens")
      options.outputLens = value;
    else if (name == "--eos")
      options.eos.push_back(parseInteger(name, value, 0));
    else if (name == "--temperature") {
      options.temperature = parseReal(name, value);
      if (*options.temperature < 0)
        throw RatError("--temperature must be >= 0 (0 is greedy), got '" +
                       value + "'");
    } else if (name == "--top-k")
      options.topK = parseInteger(name, value, 1);
    else if (name == "--top-p") {
      options.topP = parseReal(name, value);
      if (!(*options.topP > 0 && *options.topP <= 1))
        throw RatError("--top-p must be in (0, 1], got '" + value + "'");
    } else if (name == "--seed")
      options.seed = parseUnsigned(name, value);
  }
  if (const char *env = std::getenv("RAT_NO_GRAPHS");
      env && *env && std::strcmp(env, "0") != 0)
    options.noGraphs = true;
  return options;
}

void rat::checkOptionsApply(const CommandLineOptions &options, ModelKind kind) {
  static const std::set<std::string> common = {
      "-v",         "--verbose",        "-h",
      "--help",     "--print-manifest", "--bench",
      "--warmup",   "--device",         "--allow-extra-weights",
      "--no-graphs"};
  const std::set<std::string> &allowed = kindOptions(kind);
  for (const std::string &option : options.given)
    if (!common.count(option) && !allowed.count(option))
      throw RatError("option " + option + " does not apply to a " +
                     modelKindName(kind) + " model (see --help)");
}

void rat::printUsage(const Manifest &manifest,
                     const CommandLineOptions &options) {
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
        "       %s [--weights W.safetensors] --tokens T.npy [--prompt-len P | "
        "--prompt-lens L.npy]\n"
        "           --generate N --output G.npy [--eos ID]... [--temperature T "
        "[--top-k K] [--top-p P] [--seed S]]\n"
        "  --tokens FILE        int32/int64 token ids [B, T]\n"
        "  --logits FILE        write the prefill logits [B, P, V] (f32)\n"
        "  --prompt-len P       use the first P tokens as the prompt "
        "(default T)\n"
        "  --prompt-lens FILE   int32/int64 [B]: sequence b's prompt is its "
        "first L[b] tokens\n"
        "  --generate N         generate N tokens; --output gets [B, max(L)+N] "
        "int32 (-1 after\n"
        "                       a sequence's tokens)\n"
        "  --eos ID             stop a sequence after it emits ID (repeatable)\n"
        "  --output-lens FILE   write each sequence's number of generated "
        "tokens (int32 [B])\n"
        "  --temperature T      sample from softmax(logits / T) (default 0: "
        "greedy)\n"
        "  --top-k K            sample among the K most likely tokens\n"
        "  --top-p P            sample within the nucleus of probability P, "
        "0 < P <= 1\n"
        "  --seed S             random seed (sequence b uses S + b; default "
        "0)\n"
        "  --stream             B = 1: print each generated token id on its "
        "own line as it comes\n"
        "  --prefill-rows R     run the prompt R sequences at a time (0: all "
        "at once;\n"
        "                       default: as many as fit %lld tokens)\n",
        p.c_str(), p.c_str(), static_cast<long long>(kDefaultPrefillTokens));
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
