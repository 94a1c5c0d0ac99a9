//===- MappedFile.h - Read-only file contents -------------------*- C++ -*-===//
//
// Checkpoints can be gigabytes: regular files are memory-mapped so that only
// the tensors the model uses are paged in, and converted straight from the
// mapping. Pipes and other special files are read into memory instead.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_MAPPEDFILE_H
#define RAT_RUNTIME_MAPPEDFILE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rat {

/// The complete, immutable contents of a file (or of a buffer given by the
/// caller). Move-only.
class MappedFile {
public:
  /// Maps or reads `path`; throws RatError `cannot open 'path': reason`.
  static MappedFile open(const std::string &path);

  /// Wraps bytes that are already in memory; `name` is used in diagnostics.
  static MappedFile fromBytes(std::vector<uint8_t> bytes, std::string name);

  MappedFile(MappedFile &&other) noexcept;
  MappedFile &operator=(MappedFile &&other) noexcept;
  MappedFile(const MappedFile &) = delete;
  MappedFile &operator=(const MappedFile &) = delete;
  ~MappedFile();

  const uint8_t *data() const { return bytes; }
  size_t size() const { return length; }
  /// The path (or name) given at creation, for diagnostics.
  const std::string &path() const { return name; }

private:
  MappedFile() = default;
  void reset();

  std::string name;
  const uint8_t *bytes = nullptr;
  size_t length = 0;
  /// Non-null when `bytes` is an mmap region that must be unmapped.
  void *mapping = nullptr;
  std::vector<uint8_t> owned;
};

} // namespace rat

#endif // RAT_RUNTIME_MAPPEDFILE_H
