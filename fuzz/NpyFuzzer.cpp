//===- NpyFuzzer.cpp - fuzz the .npy reader -------------------------------===//
//
// Any byte string either parses as an array, which then converts and
// survives an encode/parse round trip bit for bit, or throws RatError.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Error.h"
#include "rat/Runtime/Npy.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

using namespace rat;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  HostTensor tensor;
  try {
    tensor = parseNpy(data, size, "fuzz.npy");
  } catch (const RatError &) {
    return 0;
  }
  // Parsed data comes from the file: never more than it holds.
  if (tensor.sizeInBytes() > size)
    __builtin_trap();
  std::string encoded = encodeNpy(tensor);
  HostTensor again = parseNpy(reinterpret_cast<const uint8_t *>(encoded.data()),
                              encoded.size(), "round trip");
  if (again.dtype() != tensor.dtype() || again.shape() != tensor.shape() ||
      (tensor.sizeInBytes() &&
       std::memcmp(again.data(), tensor.data(), tensor.sizeInBytes()) != 0))
    __builtin_trap();
  try {
    if (isFloatType(tensor.dtype())) {
      (void)convertTensor(tensor, DType::BF16, "fuzz.npy");
      (void)countNonFinite(convertTensor(tensor, DType::F16, "fuzz.npy"));
    } else {
      (void)convertTensor(tensor, DType::I32, "fuzz.npy");
    }
  } catch (const RatError &) {
    // Integers out of i32 range.
  }
  return 0;
}
