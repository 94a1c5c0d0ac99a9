//===- OutOfMemory.h - Allocation failures as clear errors ------*- C++ -*-===//
//
// Every allocation of the runtime and of compiled code is checked: a failure
// is `out of memory allocating N bytes (...) for <what> in entry '<entry>'`
// (`out of device memory` on the GPU) and exit status 1, never a crash
// (docs/Limits.md). Failures inside compiled code cannot unwind through its
// frames, so they print the error and exit; the runtime's own allocations
// throw RatError.
//
// Test hook: RAT_TEST_ALLOC_LIMIT=N makes every allocation of more than N
// bytes (host or device, runtime or compiled code) fail as if memory had run
// out, so the tests need neither `ulimit` nor a full GPU.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_OUTOFMEMORY_H
#define RAT_RUNTIME_OUTOFMEMORY_H

#include "rat/Runtime/Error.h"

#include <cstdint>
#include <new>
#include <string>

namespace rat {

enum class MemorySpace { Host, Device };

/// `out of [device ]memory allocating N bytes (X GiB) for WHAT[ in entry
/// 'E'][ (DETAIL)]`, E being the entry being called on this thread
/// (RunningEntry).
std::string outOfMemoryMessage(MemorySpace space, uint64_t bytes,
                               const std::string &what,
                               const std::string &detail = "");

/// The RatError of a failed allocation in the runtime (message from
/// outOfMemoryMessage), so that callers can tell it from other failures
/// (the C API returns RAT_ERROR_OUT_OF_MEMORY for it).
class OutOfMemoryError : public RatError {
public:
  explicit OutOfMemoryError(const std::string &message) : RatError(message) {}
};

/// Prints `error: ` + outOfMemoryMessage(...) and exits with status 1: for
/// allocations made by compiled code, whose frames cannot be unwound.
[[noreturn]] void exitOutOfMemory(MemorySpace space, uint64_t bytes,
                                  const std::string &what,
                                  const std::string &detail = "");

/// Thrown by DeviceBackend::allocate when memory runs out, with what the
/// backend knows (the driver's error, the memory already held); the caller
/// names what it was allocating.
class AllocationFailure : public std::bad_alloc {
public:
  explicit AllocationFailure(std::string detail) : detail(std::move(detail)) {}
  const char *what() const noexcept override { return "out of memory"; }
  std::string detail;
};

/// True when RAT_TEST_ALLOC_LIMIT is set and `bytes` is above it: the
/// allocation must then fail as if memory had run out.
bool allocationRefusedForTest(uint64_t bytes);

/// While alive, allocation failures name `entry` (the compiled entry being
/// called on this thread).
class RunningEntry {
public:
  explicit RunningEntry(const std::string &entry);
  ~RunningEntry();
  RunningEntry(const RunningEntry &) = delete;
  RunningEntry &operator=(const RunningEntry &) = delete;

private:
  const std::string *previous;
};

} // namespace rat

#endif // RAT_RUNTIME_OUTOFMEMORY_H
