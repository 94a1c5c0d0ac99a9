//===- rat-opt.cpp - the rat optimizer driver -----------------*- C++ -*-===//
//
// mlir-opt with the rat dialect, passes and pipelines registered: the tool
// lit tests and compiler developers use to run any pass on any IR.
//
//===----------------------------------------------------------------------===//

#include "rat/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CommandLine.h"

/// The options registered so far are those of the LLVM libraries linked in
/// (back ends, LLVM IR passes, remarks, ...), none of which applies to
/// rat-opt: hidden from --help (still accepted; --help-hidden lists them).
/// MlirOptMain registers its own options, the passes and the pipelines
/// afterwards, so --help shows those.
static void hideLinkedLLVMOptions() {
  for (auto &entry : llvm::cl::getRegisteredOptions()) {
    llvm::cl::Option *option = entry.second;
    if (option->getOptionHiddenFlag() == llvm::cl::NotHidden &&
        !llvm::is_contained({"help", "help-list", "version"}, entry.first))
      option->setHiddenFlag(llvm::cl::Hidden);
  }
}

int main(int argc, char **argv) {
  hideLinkedLLVMOptions();
  mlir::DialectRegistry registry;
  mlir::rat::registerAllDialects(registry);
  mlir::rat::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "rat optimizer driver\n", registry));
}
