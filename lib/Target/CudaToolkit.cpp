//===- CudaToolkit.cpp - where the CUDA toolkit's tools are -----*- C++ -*-===//

#include "rat/Target/CudaToolkit.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

#include <cstdlib>

using namespace mlir::rat;

static constexpr const char *kToolkitVariables[] = {"CUDA_ROOT", "CUDA_HOME",
                                                    "CUDA_PATH"};

std::string mlir::rat::cudaToolkitPath() {
  for (const char *var : kToolkitVariables)
    if (const char *root = std::getenv(var))
      return root;
  return "/usr/local/cuda";
}

std::optional<std::string> mlir::rat::findCudaTool(llvm::StringRef name) {
  auto inToolkit = [&](llvm::StringRef root) -> std::optional<std::string> {
    llvm::SmallString<128> path(root);
    llvm::sys::path::append(path, "bin", name);
    if (llvm::sys::fs::can_execute(path))
      return std::string(path);
    return std::nullopt;
  };
  for (const char *var : kToolkitVariables)
    if (const char *root = std::getenv(var))
      if (std::optional<std::string> path = inToolkit(root))
        return path;
  if (std::optional<std::string> path = inToolkit("/usr/local/cuda"))
    return path;
  if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(name))
    return *path;
  return std::nullopt;
}

std::string mlir::rat::cudaToolSearchPlaces() {
  std::string places;
  for (const char *var : kToolkitVariables)
    if (const char *root = std::getenv(var))
      places += std::string(root) + "/bin, ";
  return places + "/usr/local/cuda/bin or PATH";
}
