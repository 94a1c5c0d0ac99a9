//===- InitAll.cpp - register everything rat tools use --------*- C++ -*-===//

#include "rat/InitAll.h"

#include "rat/Dialect/Rat/IR/RatOps.h"
#include "rat/Dialect/Rat/Transforms/Passes.h"
#include "rat/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void mlir::rat::registerAllDialects(DialectRegistry &registry) {
  registry.insert<rat::RatDialect>();
  rat::registerBufferizableOpInterfaceExternalModels(registry);
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary translates kernels to LLVM IR in-process.
  mlir::registerAllToLLVMIRTranslations(registry);
}

void mlir::rat::registerAllPasses() {
  mlir::registerAllPasses();
  rat::registerRatPasses();
  rat::registerRatPipelines();
}
