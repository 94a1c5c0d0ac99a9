//===- Safetensors.h - safetensors checkpoints ------------------*- C++ -*-===//
//
// Reader for the safetensors format: an 8-byte little-endian header length,
// a JSON header mapping tensor names to dtype, shape and data offsets (plus an
// optional string-to-string `__metadata__`), then the raw little-endian data.
// The whole header is validated when the file is opened, so a bad checkpoint
// fails before any compute, with a message naming the file and the tensor.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_SAFETENSORS_H
#define RAT_RUNTIME_SAFETENSORS_H

#include "rat/Runtime/HostTensor.h"
#include "rat/Runtime/MappedFile.h"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rat {

/// One tensor of a safetensors header.
struct SafetensorsTensorInfo {
  std::string name;
  /// Storage type in the file (F32, F16, BF16, F64, I32 or I64).
  DType dtype = DType::F32;
  Shape shape;
  /// Byte range [begin, end) relative to the start of the data section.
  uint64_t begin = 0;
  uint64_t end = 0;
};

/// An opened, validated safetensors file.
class SafetensorsFile {
public:
  /// Opens and validates `path`; throws RatError on any malformation.
  static SafetensorsFile open(const std::string &path);

  /// Validates a file that is already in memory (used by tests).
  static SafetensorsFile fromBytes(std::vector<uint8_t> bytes,
                                   std::string name);

  const std::string &path() const { return file.path(); }

  /// Tensors in the order of the header.
  const std::vector<SafetensorsTensorInfo> &tensors() const { return infos; }

  /// The tensor named `name`, or nullptr.
  const SafetensorsTensorInfo *find(std::string_view name) const;

  /// The `__metadata__` entries (empty if absent).
  const std::map<std::string, std::string> &metadata() const { return meta; }

  /// Copies a tensor into host memory converted to `storageType` (f32, bf16
  /// and f16 from any float dtype; i32 and i64 from integer dtypes).
  HostTensor load(const SafetensorsTensorInfo &info, DType storageType) const;

  /// Same, by name; throws RatError if the tensor is absent.
  HostTensor load(std::string_view name, DType storageType) const;

private:
  explicit SafetensorsFile(MappedFile file) : file(std::move(file)) {}
  void parseHeader();

  MappedFile file;
  /// Offset of the data section in the file (8 + header length).
  uint64_t dataStart = 0;
  std::vector<SafetensorsTensorInfo> infos;
  std::unordered_map<std::string, size_t> index;
  std::map<std::string, std::string> meta;
};

/// The warning for a weight loaded from `path` that holds NaN or infinite
/// values (a corrupt or diverged checkpoint; outputs that depend on it are
/// NaN): `w.safetensors: tensor 'x' has 2 NaN among 4096 values (the first
/// at [0, 17]); outputs that depend on it will be NaN or infinite`, noting a
/// conversion (f32 values past the f16 range become Inf). Empty when every
/// value is finite. The runtime prints it and runs on (docs/Limits.md).
std::string nonFiniteWarning(const HostTensor &tensor,
                             const SafetensorsTensorInfo &info,
                             const std::string &path);

/// The safetensors spelling of a dtype (`F32`, `BF16`, ...).
const char *safetensorsDTypeName(DType type);

} // namespace rat

#endif // RAT_RUNTIME_SAFETENSORS_H
