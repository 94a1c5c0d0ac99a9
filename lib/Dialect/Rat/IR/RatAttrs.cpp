//===- RatAttrs.cpp - rat dialect attributes ------------------*- C++ -*-===//
//
// The #rat.kernel attribute (a kernel decision recorded on an op by
// rat-select-kernels and read by tiling and the kernel passes): its
// generated storage, parser and printer, its verifier, and the helpers that
// read it from an op. The enums it uses (KernelFamily) are generated here
// too, and the dialect's registration, which needs the attribute storage.
//
//===----------------------------------------------------------------------===//

#include "rat/Dialect/Rat/IR/RatOps.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::rat;

#include "rat/Dialect/Rat/IR/RatOpsDialect.cpp.inc"
#include "rat/Dialect/Rat/IR/RatEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "rat/Dialect/Rat/IR/RatAttrs.cpp.inc"

//===----------------------------------------------------------------------===//
// Dialect registration
//===----------------------------------------------------------------------===//

// Here rather than in RatOps.cpp: addAttributes needs the attribute storage,
// which only this file defines.
void RatDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "rat/Dialect/Rat/IR/RatAttrs.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "rat/Dialect/Rat/IR/RatOps.cpp.inc"
      >();
  declarePromisedInterfaces<bufferization::BufferizableOpInterface,
#define GET_OP_LIST
#include "rat/Dialect/Rat/IR/RatOps.cpp.inc"
                            >();
}

//===----------------------------------------------------------------------===//
// #rat.kernel
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>> mlir::rat::parseI64List(AsmParser &parser) {
  SmallVector<int64_t> values;
  if (failed(parser.parseCommaSeparatedList(
          AsmParser::Delimiter::Square, [&]() -> ParseResult {
            return parser.parseInteger(values.emplace_back());
          })))
    return failure();
  return values;
}

LogicalResult
KernelAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                   KernelFamily family, ArrayRef<int64_t> tile,
                   ArrayRef<int64_t> warps, int64_t warpgroups,
                   int64_t stages, int64_t splitK, int64_t groupM,
                   int64_t minBlocks, int64_t blocks) {
  auto positive = [](ArrayRef<int64_t> values) {
    return llvm::all_of(values, [](int64_t v) { return v > 0; });
  };
  if (!positive(tile) || !positive(warps))
    return emitError() << "tile and warps must be positive";
  if (warpgroups < 0 || stages < 0 || splitK < 1 || groupM < 1 ||
      minBlocks < 0 || blocks < 0)
    return emitError() << "warpgroups, stages, min_blocks and blocks must be "
                          ">= 0, split_k and group_m >= 1";
  bool gemm = family == KernelFamily::wgmma ||
              family == KernelFamily::mma_sync;
  if (gemm && tile.size() != 3)
    return emitError() << "a " << stringifyKernelFamily(family)
                       << " kernel needs tile = [M, N, K]";
  if (family == KernelFamily::mma_sync && warps.size() != 2)
    return emitError() << "an mma_sync kernel needs warps = [M, N]";
  if (family == KernelFamily::gemv && (tile.size() != 2 || warps.size() != 1))
    return emitError() << "a gemv kernel needs tile = [rows, rows per block] "
                          "and warps = [warps]";
  if (family == KernelFamily::wgmma && warpgroups < 1)
    return emitError() << "a wgmma kernel needs warpgroups >= 1";
  return success();
}

SmallVector<KernelAttr> mlir::rat::getKernelVariants(Operation *op) {
  SmallVector<KernelAttr> variants;
  Attribute attr = op->getAttr(kKernelAttrName);
  if (auto one = dyn_cast_if_present<KernelAttr>(attr)) {
    variants.push_back(one);
  } else if (auto list = dyn_cast_if_present<ArrayAttr>(attr)) {
    for (Attribute a : list)
      if (auto k = dyn_cast<KernelAttr>(a))
        variants.push_back(k);
  }
  return variants;
}

std::optional<KernelFamily> mlir::rat::getKernelFamily(Operation *op) {
  SmallVector<KernelAttr> variants = getKernelVariants(op);
  if (variants.empty())
    return std::nullopt;
  return variants.front().getFamily();
}
