//===- Npy.h - numpy .npy files ---------------------------------*- C++ -*-===//
//
// Reader and writer for the .npy format (versions 1.0 to 3.0), restricted to
// what the runtime exchanges with users: little-endian f32, f64, f16, i32 and
// i64 arrays in C order. Anything else is rejected with a message that names
// the file and the problem, never silently reinterpreted.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_NPY_H
#define RAT_RUNTIME_NPY_H

#include "rat/Runtime/HostTensor.h"

#include <cstddef>
#include <cstdint>
#include <string>

namespace rat {

/// Reads an .npy file. The result keeps the file's dtype (f64 stays f64;
/// convert with convertTensor). Throws RatError naming `path`.
HostTensor readNpy(const std::string &path);

/// Parses .npy bytes; `name` is used in diagnostics.
HostTensor parseNpy(const uint8_t *data, size_t size, const std::string &name);

/// Serializes a tensor as .npy 1.0 (2.0 if the header needs it). bf16 has no
/// numpy dtype and is rejected: convert to f32 first.
std::string encodeNpy(const HostTensor &tensor);

/// Writes `tensor` to `path` through `path.tmp` and a rename, so that a
/// failure never leaves a truncated file behind.
void writeNpy(const std::string &path, const HostTensor &tensor);

/// Writes `bytes` to `path` atomically (writeTemporaryFile, then
/// replaceWithTemporary): `path` is either untouched or completely replaced.
void writeFileAtomically(const std::string &path, const std::string &bytes);

/// Writes `bytes` to a new file next to `path` (`path.tmp.<pid>.<n>`,
/// created exclusively, so never an existing file) and returns its name.
/// Throws RatError naming `path`, leaving no file, when that fails.
std::string writeTemporaryFile(const std::string &path,
                               const std::string &bytes);

/// Renames `temporary` over `path` (atomic within one file system); removes
/// `temporary` and throws RatError when that fails.
void replaceWithTemporary(const std::string &temporary,
                          const std::string &path);

} // namespace rat

#endif // RAT_RUNTIME_NPY_H
