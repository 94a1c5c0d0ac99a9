//===- CudaToolkit.h - where the CUDA toolkit's tools are -------*- C++ -*-===//
//
// The compiler uses the CUDA toolkit on the build machine for libdevice,
// ptxas (cubins) and fatbinary (multi-chip binaries); this is the one place
// that says where they are looked for, the places MLIR's NVVM target looks.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_TARGET_CUDATOOLKIT_H
#define RAT_TARGET_CUDATOOLKIT_H

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace mlir::rat {

/// $CUDA_ROOT, $CUDA_HOME or $CUDA_PATH (the first set), else
/// /usr/local/cuda.
std::string cudaToolkitPath();

/// The toolkit program `name` (`ptxas`, `fatbinary`): bin/<name> under
/// $CUDA_ROOT, $CUDA_HOME, $CUDA_PATH (each that is set) or
/// /usr/local/cuda, else on PATH.
std::optional<std::string> findCudaTool(llvm::StringRef name);

/// "$CUDA_ROOT/bin, ..., /usr/local/cuda/bin or PATH", for messages.
std::string cudaToolSearchPlaces();

} // namespace mlir::rat

#endif // RAT_TARGET_CUDATOOLKIT_H
