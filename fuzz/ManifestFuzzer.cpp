//===- ManifestFuzzer.cpp - fuzz the manifest parser ----------------------===//
//
// Any text either parses into a manifest that passed the structural checks
// of its model kind, or throws RatError.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Error.h"
#include "rat/Runtime/Manifest.h"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace rat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Manifest manifest;
  try {
    manifest = parseManifest(
        std::string_view(reinterpret_cast<const char *>(data), size));
  } catch (const RatError &) {
    return 0;
  }
  if (manifest.entries.empty())
    __builtin_trap();
  for (const auto &[key, value] : manifest.params) {
    try {
      (void)manifest.intParam(key);
    } catch (const RatError &) {
      // A param that is not an integer.
    }
  }
  for (const EntrySpec &entry : manifest.entries)
    for (const ValueSpec &arg : entry.args)
      (void)formatDims(arg.dims);
  return 0;
}
