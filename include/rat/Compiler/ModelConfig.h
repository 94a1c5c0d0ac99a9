//===- ModelConfig.h - what the importer builds ------------------*- C++ -*-===//
//
// The model hyper-parameters read from a config (ModelConfig, parsed by
// parseModelConfig in ModelImporter.h) and the options of the graph build
// (ImportOptions): the vocabulary that the config checks (ConfigLimits.h),
// the layer kinds (Layer.h) and the importer share. Data only: nothing here
// depends on the rest of the compiler.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_COMPILER_MODELCONFIG_H
#define RAT_COMPILER_MODELCONFIG_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir {
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

} // namespace rat
} // namespace mlir

#endif // RAT_COMPILER_MODELCONFIG_H
