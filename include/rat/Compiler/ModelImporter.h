//===- ModelImporter.h - model config JSON to a rat graph -------*- C++ -*-===//
//
// Builds the graph-level IR of a RAT layer or language model (spec sections
// 4-6) from a model config, with every weight a function argument bound to
// its checkpoint name.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_COMPILER_MODELIMPORTER_H
#define RAT_COMPILER_MODELIMPORTER_H

#include "rat/Compiler/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

namespace mlir {
class MLIRContext;
namespace rat {

/// Parses and validates a model config. On failure returns false and sets
/// `error` to a message naming the offending key.
bool parseModelConfig(llvm::StringRef json, ModelConfig &config,
                      std::string &error);

/// Builds a module with the `prefill` (and `decode`) entries of the model.
/// Entry arguments and results carry `rat.role`, `rat.name` and `rat.dims`
/// attributes from which the runtime manifest is written.
OwningOpRef<ModuleOp> importModel(MLIRContext *context,
                                  const ModelConfig &config,
                                  const ImportOptions &options);

} // namespace rat
} // namespace mlir

#endif // RAT_COMPILER_MODELIMPORTER_H
