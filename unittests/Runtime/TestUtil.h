//===- TestUtil.h - Helpers for runtime unit tests --------------*- C++ -*-===//
//
// Builders for well-formed and deliberately malformed .npy and safetensors
// bytes, and an assertion for "throws RatError mentioning X".
//
//===----------------------------------------------------------------------===//

#ifndef RAT_UNITTESTS_RUNTIME_TESTUTIL_H
#define RAT_UNITTESTS_RUNTIME_TESTUTIL_H

#include "rat/Runtime/Error.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

namespace rat::test {

/// Succeeds if `body` throws a RatError whose message contains every string
/// in `expected`; prints the actual message otherwise.
template <typename Body>
::testing::AssertionResult
failsWith(Body &&body, std::initializer_list<std::string> expected) {
  try {
    body();
  } catch (const RatError &error) {
    std::string message = error.what();
    for (const std::string &part : expected)
      if (message.find(part) == std::string::npos)
        return ::testing::AssertionFailure()
               << "message '" << message << "' lacks '" << part << "'";
    return ::testing::AssertionSuccess();
  } catch (const std::exception &error) {
    return ::testing::AssertionFailure()
           << "threw a non-RatError: " << error.what();
  }
  return ::testing::AssertionFailure() << "did not throw";
}

/// A path in gtest's temporary directory that names this process, so the
/// sanitized and plain test binaries, which lit runs at the same time in one
/// TMPDIR, never write, read or remove each other's files.
inline std::string tempPath(const std::string &stem, const std::string &ext) {
  return ::testing::TempDir() + stem + "." + std::to_string(::getpid()) + ext;
}

inline std::vector<uint8_t> toBytes(const std::string &text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

/// Raw bytes of trivially copyable values.
template <typename T> std::string rawBytes(const std::vector<T> &values) {
  std::string bytes(values.size() * sizeof(T), '\0');
  if (!values.empty())
    std::memcpy(&bytes[0], values.data(), bytes.size());
  return bytes;
}

/// An .npy 1.0 file with `header` (padded like numpy) followed by `data`.
inline std::string makeNpy(const std::string &header, const std::string &data) {
  std::string padded = header;
  size_t total = 10 + padded.size() + 1;
  padded.append((64 - total % 64) % 64, ' ');
  padded += '\n';
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(padded.size() & 0xff);
  bytes += static_cast<char>(padded.size() >> 8);
  return bytes + padded + data;
}

/// A safetensors file with the given JSON header text and data section.
inline std::vector<uint8_t> makeSafetensors(const std::string &header,
                                            const std::string &data) {
  std::string bytes;
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i)
    bytes += static_cast<char>((length >> (8 * i)) & 0xff);
  return toBytes(bytes + header + data);
}

} // namespace rat::test

#endif // RAT_UNITTESTS_RUNTIME_TESTUTIL_H
