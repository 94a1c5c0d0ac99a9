//===- OutOfMemory.cpp - Allocation failures as clear errors --------------===//

#include "rat/Runtime/OutOfMemory.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

using namespace rat;

namespace {

thread_local const std::string *runningEntry = nullptr;

/// `1.5 GiB`, `12.0 MiB`, `512 bytes`.
std::string formatSize(uint64_t bytes) {
  static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB",
                                      "EiB"};
  if (bytes < 1024)
    return std::to_string(bytes) + " bytes";
  double value = static_cast<double>(bytes);
  int unit = -1;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f %s", value, units[unit]);
  return text;
}

/// RAT_TEST_ALLOC_LIMIT parsed once; UINT64_MAX when unset or malformed.
uint64_t testAllocationLimit() {
  static const uint64_t limit = [] {
    const char *text = std::getenv("RAT_TEST_ALLOC_LIMIT");
    if (!text || !*text)
      return UINT64_MAX;
    char *end = nullptr;
    errno = 0;
    unsigned long long value = std::strtoull(text, &end, 10);
    if (errno || *end || *text == '-') {
      std::fprintf(stderr,
                   "warning: ignoring RAT_TEST_ALLOC_LIMIT='%s' (not a byte "
                   "count)\n",
                   text);
      return UINT64_MAX;
    }
    return static_cast<uint64_t>(value);
  }();
  return limit;
}

} // namespace

std::string rat::outOfMemoryMessage(MemorySpace space, uint64_t bytes,
                                    const std::string &what,
                                    const std::string &detail) {
  std::string message = space == MemorySpace::Device
                            ? "out of device memory allocating "
                            : "out of memory allocating ";
  message += std::to_string(bytes) + " bytes";
  if (bytes >= 1024)
    message += " (" + formatSize(bytes) + ")";
  message += " for " + what;
  if (runningEntry)
    message += " in entry '" + *runningEntry + "'";
  if (!detail.empty())
    message += " (" + detail + ")";
  return message;
}

void rat::exitOutOfMemory(MemorySpace space, uint64_t bytes,
                          const std::string &what, const std::string &detail) {
  std::string message = outOfMemoryMessage(space, bytes, what, detail);
  std::fprintf(stderr, "error: %s\n", message.c_str());
  std::fflush(stderr);
  std::exit(1);
}

bool rat::allocationRefusedForTest(uint64_t bytes) {
  return bytes > testAllocationLimit();
}

RunningEntry::RunningEntry(const std::string &entry)
    : previous(runningEntry) {
  runningEntry = &entry;
}

RunningEntry::~RunningEntry() { runningEntry = previous; }
