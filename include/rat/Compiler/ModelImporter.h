//===- ModelImporter.h - model config JSON to a rat graph -------*- C++ -*-===//
//
// Builds the graph-level IR of a RAT layer or language model (spec sections
// 4-6) from a model config, with every weight a function argument bound to
// its checkpoint name.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_COMPILER_MODELIMPORTER_H
#define RAT_COMPILER_MODELIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
class Type;
namespace rat {

/// The model hyper-parameters: the fields of the golden `meta.json` files.
struct ModelConfig {
  std::string kind; ///< "rat_layer" or "lm".
  int64_t vocabSize = 0;
  int64_t dModel = 0;
  int64_t numHead = 0;
  int64_t dHead = 0;
  int64_t ngroups = 1;
  int64_t chunkSize = 16;
  int64_t windowSize = 0;
  int64_t numLayers = 1;
  std::vector<std::string> layerPattern = {"rat"};
  double rmsEps = 1e-6;
  double ropeBase = 10000.0;

  /// The kind of layer `i` (`layer_pattern` cycled).
  llvm::StringRef layerKind(int64_t i) const {
    return layerPattern[i % layerPattern.size()];
  }
};

/// Parses and validates a model config. On failure returns false and sets
/// `error` to a message naming the offending key.
bool parseModelConfig(llvm::StringRef json, ModelConfig &config,
                      std::string &error);

/// How to build the graph.
struct ImportOptions {
  /// Storage type of weights and activations (f32, bf16 or f16).
  Type elementType;
  /// Longest sequence (prompt + generated) the decode state must hold.
  int64_t maxSeqLen = 4096;
  /// Also build the `decode` entry (one token with explicit state).
  bool withDecode = true;
  /// rat_layer only: the prefill entry also returns the intermediates of
  /// the golden files (gate, z, q, k, v, v_scan, k_scan), and the module is
  /// a plain `function` model so every result can be written.
  bool intermediates = false;
};

/// Builds a module with the `prefill` (and `decode`) entries of the model.
/// Entry arguments and results carry `rat.role`, `rat.name` and `rat.dims`
/// attributes from which the runtime manifest is written.
OwningOpRef<ModuleOp> importModel(MLIRContext *context,
                                  const ModelConfig &config,
                                  const ImportOptions &options);

} // namespace rat
} // namespace mlir

#endif // RAT_COMPILER_MODELIMPORTER_H
