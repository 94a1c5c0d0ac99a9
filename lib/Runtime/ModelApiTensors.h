//===- ModelApiTensors.h - The C API's tensors and errors -------*- C++ -*-===//
//
// The C API's side of every call (ModelApiTensors.cpp): the status and
// the thread's last error for what the runtime throws (guard), the checks
// of a caller's values as invalid arguments, a caller's rat_tensor checked
// and copied into a HostTensor of the model's type, a result written to the
// caller's buffer or a new one, and the versioned option structs.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_LIB_RUNTIME_MODELAPITENSORS_H
#define RAT_LIB_RUNTIME_MODELAPITENSORS_H

#include "rat/Runtime/rat_model.h"

#include "DimBinder.h"
#include "rat/Runtime/Error.h"
#include "rat/Runtime/HostTensor.h"
#include "rat/Runtime/Manifest.h"
#include "rat/Runtime/OutOfMemory.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>

namespace rat::capi {

/// A failure with the status the API returns for it.
class ApiError : public std::runtime_error {
public:
  ApiError(rat_status status, const std::string &message)
      : std::runtime_error(message), status(status) {}
  rat_status status;
};

/// Throws an ApiError with RAT_ERROR_INVALID_ARGUMENT.
[[noreturn]] void invalid(const std::string &message);

/// The message of the thread's last failed call (rat_last_error).
std::string &lastError();

/// Runs `body`, mapping what it throws to a status and lastError.
template <typename Body> rat_status guard(Body &&body) noexcept {
  try {
    body();
    lastError().clear();
    return RAT_OK;
  } catch (const ApiError &error) {
    lastError() = error.what();
    return error.status;
  } catch (const OutOfMemoryError &error) {
    lastError() = error.what();
    return RAT_ERROR_OUT_OF_MEMORY;
  } catch (const RatError &error) {
    lastError() = error.what();
    return RAT_ERROR_FAILED;
  } catch (const std::bad_alloc &) {
    lastError() = "out of memory";
    return RAT_ERROR_OUT_OF_MEMORY;
  } catch (const std::exception &error) {
    lastError() = std::string("internal: ") + error.what();
    return RAT_ERROR_INTERNAL;
  } catch (...) {
    lastError() = "internal: unknown exception";
    return RAT_ERROR_INTERNAL;
  }
}

/// Runs `check`, reporting what it throws as an invalid argument: checks the
/// runtime makes of the caller's values (shapes, ids, lengths).
template <typename Check> auto asArgumentCheck(Check &&check) {
  try {
    return check();
  } catch (const RatError &error) {
    invalid(error.what());
  }
}

DType toDType(rat_dtype dtype, const std::string &what);
rat_dtype fromDType(DType dtype);

/// The shape of a caller's tensor, checked.
Shape shapeOf(const rat_tensor &tensor, const std::string &what);

/// Copies a caller's input into host memory of the model's type `type`,
/// converted as the executable converts .npy files.
HostTensor readInput(const rat_tensor *tensor, DType type,
                     const std::string &what);

/// An output the caller asked for: where it goes and in which type.
struct Output {
  rat_tensor *tensor = nullptr;
  std::string what;
  DType type = DType::F32;

  /// Checks `tensor` for a result `spec`, before any compute: its dtype,
  /// and, for a caller's buffer, its shape where `expected` is known.
  Output(rat_tensor *tensor, const ValueSpec &spec, std::string what,
         const std::optional<Shape> &expected);

  /// Writes `result` (host memory) to the caller's buffer or a new one.
  void write(const HostTensor &result) const;
};

/// The shape `spec` will have with the symbols bound by `binder`, if every
/// dim is known.
std::optional<Shape> expectedShape(const DimBinder &binder,
                                   const ValueSpec &spec);

/// An int32 output of the API that is no result of an entry.
ValueSpec apiOutput(const char *name, DType type = DType::I32);

/// Copies the options a caller of an older, smaller struct gave; the rest
/// keep their defaults.
template <typename Options>
Options copyOptions(const Options *given, const Options &defaults,
                    const char *what) {
  if (!given)
    invalid(std::string(what) + " is NULL");
  if (given->struct_size < sizeof(size_t) || given->struct_size > (1u << 16))
    invalid(std::string(what) + " has struct_size " +
            std::to_string(given->struct_size) + " (call " + what +
            "_init first)");
  Options options = defaults;
  std::memcpy(static_cast<void *>(&options), given,
              std::min(sizeof(Options), given->struct_size));
  options.struct_size = sizeof(Options);
  return options;
}

} // namespace rat::capi

#endif // RAT_LIB_RUNTIME_MODELAPITENSORS_H
