//===- Log.h - Verbose log and timing of a run ------------------*- C++ -*-===//
//
// The `-v` lines of a run (`[rat] ...` on stderr) and the small helpers that
// format timings and sizes for them and for benchmark lines.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_LOG_H
#define RAT_RUNTIME_LOG_H

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace rat {

using Clock = std::chrono::steady_clock;

/// Milliseconds from `begin` to now.
double millisecondsSince(Clock::time_point begin);

/// Median of `values` (0 if empty).
double median(std::vector<double> values);

/// `12.3 MiB`.
std::string formatMiB(size_t bytes);

/// Notes and phase timings, printed only when enabled.
class Log {
public:
  explicit Log(bool enabled) : enabled(enabled) {}
  /// `[rat] text`.
  void note(const std::string &text) const;
  /// Reports a phase that started at `begin` and ends now.
  void phase(const char *name, Clock::time_point begin,
             const std::string &detail = "") const {
    phaseMs(name, millisecondsSince(begin), detail);
  }
  /// Reports a phase that took `ms`.
  void phaseMs(const char *name, double ms,
               const std::string &detail = "") const;
  bool isEnabled() const { return enabled; }

private:
  bool enabled;
};

} // namespace rat

#endif // RAT_RUNTIME_LOG_H
