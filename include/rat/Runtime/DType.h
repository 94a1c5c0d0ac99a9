//===- DType.h - Element types of runtime tensors ---------------*- C++ -*-===//
//
// The element types that appear in manifests, .npy files and safetensors
// checkpoints, with their sizes and spellings.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_DTYPE_H
#define RAT_RUNTIME_DTYPE_H

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace rat {

/// Element type of a tensor. Only little-endian layouts are supported.
enum class DType : uint8_t { F32, F64, F16, BF16, I32, I64 };

/// Size of one element in bytes.
size_t dtypeSize(DType type);

/// Lower-case manifest spelling (`f32`, `bf16`, `i32`, ...).
const char *dtypeName(DType type);

/// Parses a manifest spelling; returns std::nullopt for anything else.
std::optional<DType> parseDTypeName(std::string_view name);

/// True for the floating-point types.
bool isFloatType(DType type);

} // namespace rat

#endif // RAT_RUNTIME_DTYPE_H
