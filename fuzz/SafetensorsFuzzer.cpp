//===- SafetensorsFuzzer.cpp - fuzz the safetensors reader ----------------===//
//
// Any byte string either opens as a checkpoint whose every tensor then loads
// in every storage type it converts to, or throws RatError; nothing else
// (crash, sanitizer report, other exception) is acceptable.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Error.h"
#include "rat/Runtime/Safetensors.h"

#include <cstddef>
#include <cstdint>
#include <vector>

using namespace rat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  SafetensorsFile file = [&] {
    try {
      return SafetensorsFile::fromBytes(std::vector<uint8_t>(data, data + size),
                                        "fuzz.safetensors");
    } catch (const RatError &) {
      return SafetensorsFile::fromBytes(
          std::vector<uint8_t>{2, 0, 0, 0, 0, 0, 0, 0, '{', '}'}, "empty");
    }
  }();
  for (const SafetensorsTensorInfo &info : file.tensors()) {
    // A validated header bounds every tensor by the data section.
    if (info.end - info.begin > size)
      __builtin_trap();
    bool isFloat = isFloatType(info.dtype);
    for (DType type :
         isFloat ? std::vector<DType>{DType::F32, DType::BF16, DType::F16}
                 : std::vector<DType>{DType::I32, DType::I64}) {
      try {
        HostTensor tensor = file.load(info, type);
        (void)nonFiniteWarning(tensor, info, file.path());
      } catch (const RatError &) {
        // Integers out of i32 range are a diagnosed error.
      }
    }
  }
  (void)file.find("x");
  return 0;
}
