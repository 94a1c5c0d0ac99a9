//===- ModelConfigFuzzer.cpp - fuzz the compiler's model config reader ----===//
//
// Any text is either refused by parseModelConfig or checkModelSizes with an
// error message, or is a model whose graph the importer builds; for small
// models the graph is built and must verify.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/ConfigLimits.h"
#include "rat/Compiler/ModelImporter.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"

#include <cstddef>
#include <cstdint>
#include <string>

using namespace mlir;
using namespace mlir::rat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef text(reinterpret_cast<const char *>(data), size);
  ModelConfig config;
  std::string error;
  if (!parseModelConfig(text, config, error)) {
    if (error.empty())
      __builtin_trap(); // a refusal always says why
    return 0;
  }
  static MLIRContext *context = [] {
    auto *ctx = new MLIRContext(MLIRContext::Threading::DISABLED);
    // Diagnostics are the product here; keep them off stderr.
    ctx->getDiagEngine().registerHandler(
        [](Diagnostic &) { return success(); });
    return ctx;
  }();
  ImportOptions options;
  options.elementType = Builder(context).getF32Type();
  options.maxSeqLen = 64;
  if (!checkModelSizes(config, options, error)) {
    if (error.empty())
      __builtin_trap();
    return 0;
  }
  // Build and verify small models only: the point is the importer's logic,
  // not its speed on wide ones.
  int64_t layers = config.kind == "lm" ? config.numLayers : 1;
  if (config.dModel > 64 || layers > 3 || config.vocabSize > 256)
    return 0;
  OwningOpRef<ModuleOp> module = importModel(context, config, options);
  if (!module || failed(verify(*module)))
    __builtin_trap();
  return 0;
}
