//===- RatIRFuzzer.cpp - fuzz parsing and verifying rat IR ----------------===//
//
// Any text either fails to parse or verify with a diagnostic, or is a
// verified module that prints in generic form and parses back. Text nested
// deeper than rat-compile accepts (checkMlirNesting) is skipped, as the
// tool refuses it before parsing.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/ConfigLimits.h"
#include "rat/Dialect/Rat/IR/RatOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

using namespace mlir;

/// A fresh context per input: uniqued types and attributes would otherwise
/// pile up over millions of inputs.
static std::unique_ptr<MLIRContext> makeContext() {
  DialectRegistry registry;
  registry.insert<rat::RatDialect, func::FuncDialect, arith::ArithDialect,
                  tensor::TensorDialect, memref::MemRefDialect,
                  linalg::LinalgDialect, scf::SCFDialect, math::MathDialect,
                  affine::AffineDialect, bufferization::BufferizationDialect>();
  rat::registerBufferizableOpInterfaceExternalModels(registry);
  auto context =
      std::make_unique<MLIRContext>(registry, MLIRContext::Threading::DISABLED);
  context->getDiagEngine().registerHandler(
      [](Diagnostic &) { return success(); });
  return context;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::unique_ptr<MLIRContext> context = makeContext();
  // MLIR's lexer relies on the NUL after the buffer, as every file the tools
  // read has (MemoryBuffer); the fuzzer's bytes have none.
  std::string text(reinterpret_cast<const char *>(data), size);
  std::string error;
  if (!rat::checkMlirNesting(text, error))
    return 0;
  ParserConfig config(context.get());
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, config);
  if (!module)
    return 0;
  std::string printed;
  llvm::raw_string_ostream os(printed);
  module->print(os, OpPrintingFlags().printGenericOpForm());
  OwningOpRef<ModuleOp> again = parseSourceString<ModuleOp>(printed, config);
  if (!again)
    __builtin_trap(); // verified IR that does not survive printing
  return 0;
}
