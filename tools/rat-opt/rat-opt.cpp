//===- rat-opt.cpp - the rat optimizer driver -----------------*- C++ -*-===//
//
// mlir-opt with the rat dialect, passes and pipelines registered: the tool
// lit tests and compiler developers use to run any pass on any IR.
//
//===----------------------------------------------------------------------===//

#include "rat/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::rat::registerAllDialects(registry);
  mlir::rat::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "rat optimizer driver\n", registry));
}
