//===- Log.cpp - Verbose log and timing of a run --------------------------===//

#include "rat/Runtime/Log.h"

#include <algorithm>
#include <cstdio>

using namespace rat;

double rat::millisecondsSince(Clock::time_point begin) {
  return std::chrono::duration<double, std::milli>(Clock::now() - begin)
      .count();
}

double rat::median(std::vector<double> values) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle]
                           : (values[middle - 1] + values[middle]) / 2;
}

std::string rat::formatMiB(size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f MiB",
                static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

void Log::note(const std::string &text) const {
  if (enabled)
    std::fprintf(stderr, "[rat] %s\n", text.c_str());
}

void Log::phaseMs(const char *name, double ms,
                  const std::string &detail) const {
  if (!enabled)
    return;
  std::fprintf(stderr, "[rat] %-14s %10.3f ms%s%s\n", name, ms,
               detail.empty() ? "" : "  ", detail.c_str());
}
