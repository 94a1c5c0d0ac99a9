//===- Error.h - Runtime error type -----------------------------*- C++ -*-===//
//
// Every failure the runtime can diagnose (malformed files, shape mismatches,
// driver errors seen by the host-side API) is reported by throwing RatError;
// the executable's main turns it into a one-line `error: ...` message.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_ERROR_H
#define RAT_RUNTIME_ERROR_H

#include <stdexcept>
#include <string>

namespace rat {

/// A diagnosable runtime failure. The message is complete and user-facing: it
/// names the file, tensor or driver call involved, without a trailing period.
class RatError : public std::runtime_error {
public:
  explicit RatError(const std::string &message) : std::runtime_error(message) {}
};

} // namespace rat

#endif // RAT_RUNTIME_ERROR_H
