//===- ConfigLimits.cpp - limits on model configs and flags ---*- C++ -*-===//
//
// Everything here runs before the importer builds IR: a config that passes
// cannot make a size computation overflow, exhaust memory while the graph is
// built, or produce an executable whose manifest the runtime refuses.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/ConfigLimits.h"

#include "rat/Compiler/Layer.h"

#include "rat/Compiler/ModelConfig.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Operation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MathExtras.h"

#include <cassert>
#include <cmath>
#include <limits>
#include <optional>

using namespace mlir;
using namespace mlir::rat;

//===----------------------------------------------------------------------===//
// Formatting
//===----------------------------------------------------------------------===//

/// `16777216 (2^24)` for large powers of two, else the decimal number.
static std::string formatLimit(int64_t limit) {
  std::string text = std::to_string(limit);
  if (limit >= 1024 && llvm::isPowerOf2_64(static_cast<uint64_t>(limit)))
    text += " (2^" + std::to_string(llvm::Log2_64(limit)) + ")";
  return text;
}

/// `4398046511104 bytes (4.0 TiB)`.
static std::string formatBytes(int64_t bytes) {
  static const char *units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  std::string text = std::to_string(bytes) + " bytes";
  if (bytes < 1024)
    return text;
  double scaled = static_cast<double>(bytes);
  int unit = -1;
  while (scaled >= 1024 && unit + 1 < 6) {
    scaled /= 1024;
    ++unit;
  }
  return text + llvm::formatv(" ({0:F1} {1})", scaled, units[unit]).str();
}

static std::string formatShape(llvm::ArrayRef<int64_t> dims) {
  std::string text = "[";
  for (auto [i, d] : llvm::enumerate(dims))
    text += (i ? ", " : "") + std::to_string(d);
  return text + "]";
}

//===----------------------------------------------------------------------===//
// Config keys and flags
//===----------------------------------------------------------------------===//

namespace {
struct KeyLimit {
  const char *key;
  int64_t max;
};
} // namespace

/// Upper limits of the integer keys (lower limits: parseModelConfig).
static const KeyLimit keyLimits[] = {
    {"d_model", limits::maxDModel},
    {"num_head", limits::maxNumHead},
    {"d_head", limits::maxDHead},
    {"ngroups", limits::maxNumHead},
    {"chunk_size", limits::maxSequenceLength},
    {"window_size", limits::maxSequenceLength},
    {"vocab_size", limits::maxVocabSize},
    {"num_layers", limits::maxNumLayers},
};

bool mlir::rat::checkConfigKeyLimits(const llvm::json::Object &config,
                                     std::string &error) {
  for (const KeyLimit &limit : keyLimits) {
    const llvm::json::Value *value = config.get(limit.key);
    if (!value)
      continue;
    std::optional<double> number = value->getAsNumber();
    if (!number)
      continue; // Not a number: parseModelConfig names the expected type.
    std::optional<int64_t> integer = value->getAsInteger();
    // An integer written with an exponent or too large for int64 arrives as
    // a double: compare it as one.
    bool above = integer ? *integer > limit.max
                         : std::isfinite(*number) &&
                               *number > static_cast<double>(limit.max);
    if (above) {
      error = "key '" + std::string(limit.key) + "' (" +
              llvm::formatv("{0}", *value).str() + ") is above the limit of " +
              formatLimit(limit.max);
      return false;
    }
    if (!integer && std::trunc(*number) == *number) {
      error = "key '" + std::string(limit.key) + "' (" +
              llvm::formatv("{0}", *value).str() +
              ") must be an integer between its bounds (docs/Limits.md)";
      return false;
    }
  }
  for (const char *key : {"rms_eps", "rope_base"}) {
    const llvm::json::Value *value = config.get(key);
    if (!value)
      continue;
    std::optional<double> number = value->getAsNumber();
    if (number && !std::isfinite(*number)) {
      error = "key '" + std::string(key) + "' must be a finite number, got " +
              llvm::formatv("{0}", *value).str();
      return false;
    }
  }
  return true;
}

bool mlir::rat::checkConfigSize(size_t bytes, std::string &error) {
  if (bytes <= static_cast<size_t>(limits::maxConfigBytes))
    return true;
  error = "the model config is " + std::to_string(bytes) +
          " bytes, above the limit of " + formatLimit(limits::maxConfigBytes) +
          " (a config takes a few hundred)";
  return false;
}

bool mlir::rat::checkMaxSeqLen(int64_t maxSeqLen, std::string &error,
                               llvm::StringRef option) {
  if (maxSeqLen < 1) {
    error = option.str() + " must be >= 1, got " + std::to_string(maxSeqLen);
    return false;
  }
  if (maxSeqLen > limits::maxSequenceLength) {
    error = option.str() + " " + std::to_string(maxSeqLen) +
            " is above the limit of " + formatLimit(limits::maxSequenceLength) +
            " (the decode state holds this many positions)";
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Derived sizes
//===----------------------------------------------------------------------===//

namespace {
/// Checks tensor sizes against limits::maxTensorBytes and accumulates totals,
/// every product and sum with an overflow check.
class SizeChecker {
public:
  explicit SizeChecker(std::string &error) : error(error) {}

  /// Checks one tensor; adds its bytes to `total` when given.
  bool tensor(const std::string &what, llvm::ArrayRef<int64_t> dims,
              int64_t elementBytes, const std::string &from,
              int64_t *total = nullptr) {
    int64_t bytes = elementBytes;
    bool overflow = false;
    for (int64_t d : dims)
      overflow |= llvm::MulOverflow(bytes, d, bytes);
    if (overflow || bytes > limits::maxTensorBytes) {
      error = what + " " + formatShape(dims) + " needs " +
              (overflow ? std::string("more than 2^63 bytes")
                        : formatBytes(bytes)) +
              ", above the limit of " + formatBytes(limits::maxTensorBytes) +
              " per tensor (" + from + ")";
      return false;
    }
    if (total && llvm::AddOverflow(*total, bytes, *total))
      *total = std::numeric_limits<int64_t>::max();
    return true;
  }

  /// Checks an accumulated total.
  bool total(const std::string &what, int64_t bytes, const std::string &from) {
    if (bytes <= limits::maxTensorBytes)
      return true;
    error = what + " " + formatBytes(bytes) + ", above the limit of " +
            formatBytes(limits::maxTensorBytes) + " (" + from + ")";
    return false;
  }

private:
  std::string &error;
};
} // namespace

bool mlir::rat::checkModelSizes(const ModelConfig &c, const ImportOptions &o,
                                std::string &error) {
  if (!checkMaxSeqLen(o.maxSeqLen, error))
    return false;
  // parseModelConfig and checkConfigKeyLimits bound every key, so the sums
  // and products of two keys below cannot overflow; the tensor sizes, which
  // multiply more, are checked.
  bool isLm = c.kind == "lm";
  int64_t numLayers = isLm ? c.numLayers : 1;
  int64_t d = c.dModel, gd = c.ngroups * c.dHead, v = c.vocabSize;
  assert(o.elementType && "the storage type is part of the options");
  int64_t storage = o.elementType.getIntOrFloatBitWidth() / 8;
  SizeChecker sizes(error);
  std::string seqLen = "--max-seq-len " + std::to_string(o.maxSeqLen);
  std::string dModel = "'d_model' " + std::to_string(d);

  // The weights and decode state the importer will build: the layers' own
  // lists (Layer.h), the ones the entries are built from.
  ModelLayers model = buildModelLayers(c, o);
  std::string weightKeys = dModel + ", 'ngroups' * 'd_head' " +
                           std::to_string(gd) +
                           (isLm ? ", 'vocab_size' " + std::to_string(v) : "");
  std::string stateKeys = seqLen + ", 'num_head' " + std::to_string(c.numHead) +
                          ", 'd_head' " + std::to_string(c.dHead) +
                          ", 'chunk_size' " + std::to_string(c.chunkSize) +
                          ", 'window_size' " + std::to_string(c.windowSize);
  int64_t weightBytes = 0, stateBytes = 0;
  for (const Layer *layer : model.inOrder())
    for (const WeightSpec &weight : layer->weights())
      if (!sizes.tensor("weight '" + weight.name + "'", weight.shape, storage,
                        weightKeys, &weightBytes))
        return false;
  if (o.withDecode && !o.intermediates)
    for (const std::unique_ptr<Layer> &mixer : model.mixers)
      for (const StateSpec &state : mixer->state())
        if (!sizes.tensor("decode state '" + state.name + "' of one sequence",
                          state.shape, storage, stateKeys, &stateBytes))
          return false;
  std::string layers = "'num_layers' " + std::to_string(numLayers);
  if (!sizes.total("the weights together need", weightBytes,
                   layers + ", " + dModel +
                       (isLm ? ", 'vocab_size' " + std::to_string(v) : "")) ||
      !sizes.total("the decode state of one sequence needs", stateBytes,
                   layers + ", " + seqLen))
    return false;

  // The widest activation of one sequence of --max-seq-len tokens; products
  // and projections are computed in f32.
  std::string widest = "projection", widestFrom = dModel;
  int64_t width = 3 * d + 2 * gd;
  if (isLm && 4 * d > width) {
    width = 4 * d;
    widest = "feed-forward hidden layer";
  }
  if (isLm && v > width) {
    width = v;
    widest = "logits";
    widestFrom = "'vocab_size' " + std::to_string(v);
  }
  return sizes.tensor("the " + widest + " of one sequence of " + seqLen +
                          " tokens",
                      {o.maxSeqLen, width}, 4, seqLen + ", " + widestFrom);
}

//===----------------------------------------------------------------------===//
// Static tensor sizes of graph-level MLIR
//===----------------------------------------------------------------------===//

LogicalResult mlir::rat::checkStaticTensorSizes(Operation *module) {
  auto check = [](Type type, Location loc) -> LogicalResult {
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped || !shaped.hasRank() || !shaped.hasStaticShape() ||
        !shaped.getElementType().isIntOrIndexOrFloat())
      return success();
    int64_t bits = shaped.getElementType().isIndex()
                       ? 64
                       : shaped.getElementType().getIntOrFloatBitWidth();
    int64_t bytes = (bits + 7) / 8;
    bool overflow = false;
    for (int64_t d : shaped.getShape())
      overflow |= llvm::MulOverflow(bytes, d, bytes);
    if (!overflow && bytes <= limits::maxTensorBytes)
      return success();
    return emitError(loc) << type << " needs "
                          << (overflow ? std::string("more than 2^63 bytes")
                                       : formatBytes(bytes))
                          << ", above the limit of "
                          << formatBytes(limits::maxTensorBytes)
                          << " per tensor";
  };
  WalkResult result = module->walk<WalkOrder::PreOrder>([&](Operation *op) {
    for (Value v : op->getResults())
      if (failed(check(v.getType(), op->getLoc())))
        return WalkResult::interrupt();
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          if (failed(check(arg.getType(), arg.getLoc())))
            return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}
