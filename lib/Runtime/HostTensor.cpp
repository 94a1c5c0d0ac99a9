//===- HostTensor.cpp - Dense tensors in host memory ----------------------===//
//
// Allocation and element-type conversion of host tensors.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/HostTensor.h"

#include "rat/Runtime/Error.h"
#include "rat/Runtime/Float.h"
#include "rat/Runtime/OutOfMemory.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <new>

using namespace rat;

std::string rat::formatShape(const Shape &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

bool rat::checkedNumElements(const Shape &shape, size_t elementSize,
                             uint64_t &numElements) {
  // Bound the byte size, not only the count, so callers can multiply freely.
  const uint64_t limit = std::numeric_limits<int64_t>::max();
  uint64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0)
      return false;
    uint64_t size = static_cast<uint64_t>(dim);
    if (size != 0 && count > limit / size)
      return false;
    count *= size;
  }
  if (elementSize != 0 && count > limit / elementSize)
    return false;
  numElements = count;
  return true;
}

HostTensor::HostTensor(DType dtype, Shape shape)
    : elementType(dtype), dims(std::move(shape)) {
  uint64_t elements = 0;
  if (!checkedNumElements(dims, dtypeSize(dtype), elements) ||
      elements > std::numeric_limits<size_t>::max() / dtypeSize(dtype))
    throw RatError("tensor of shape " + formatShape(dims) + " is too large");
  count = static_cast<size_t>(elements);
  // aligned_alloc wants a multiple of the alignment; one spare line also
  // keeps empty tensors non-null.
  constexpr size_t alignment = 64;
  size_t bytes = count * dtypeSize(dtype);
  size_t rounded = (bytes / alignment + 1) * alignment;
  void *memory = allocationRefusedForTest(rounded)
                     ? nullptr
                     : std::aligned_alloc(alignment, rounded);
  if (!memory)
    throw OutOfMemoryError(outOfMemoryMessage(MemorySpace::Host, rounded,
                                      std::string("a host copy of a ") +
                                          dtypeName(dtype) + " tensor " +
                                          formatShape(dims)));
  storage.reset(memory);
}

HostTensor HostTensor::zeros(DType dtype, Shape shape) {
  HostTensor tensor(dtype, std::move(shape));
  if (tensor.sizeInBytes())
    std::memset(tensor.data(), 0, tensor.sizeInBytes());
  return tensor;
}

namespace {
/// Unaligned load of element `i` of a raw little-endian buffer.
template <typename T> T loadAt(const void *base, size_t i) {
  T value;
  std::memcpy(&value, static_cast<const uint8_t *>(base) + i * sizeof(T),
              sizeof(T));
  return value;
}

template <typename T> void storeAt(void *base, size_t i, T value) {
  std::memcpy(static_cast<uint8_t *>(base) + i * sizeof(T), &value, sizeof(T));
}

double loadFloat(const void *source, DType type, size_t i) {
  switch (type) {
  case DType::F32:
    return loadAt<float>(source, i);
  case DType::F64:
    return loadAt<double>(source, i);
  case DType::F16:
    return f16ToF32(loadAt<uint16_t>(source, i));
  case DType::BF16:
    return bf16ToF32(loadAt<uint16_t>(source, i));
  case DType::I32:
  case DType::I64:
    break;
  }
  return 0;
}

/// Rounds a double to the nearest float. A plain cast is undefined behaviour
/// for finite values beyond the float range; IEEE rounding sends them to the
/// largest float or to infinity.
float narrowToFloat(double value) {
  constexpr double maxFloat = std::numeric_limits<float>::max();
  if (std::isnan(value) || std::fabs(value) <= maxFloat)
    return static_cast<float>(value);
  // Half an ulp above the largest float ties to even, which is infinity.
  const double roundingLimit = maxFloat + std::ldexp(1.0, 103);
  float saturated = std::fabs(value) < roundingLimit
                        ? std::numeric_limits<float>::max()
                        : std::numeric_limits<float>::infinity();
  return value < 0 ? -saturated : saturated;
}

int64_t loadInt(const void *source, DType type, size_t i) {
  return type == DType::I32 ? loadAt<int32_t>(source, i)
                            : loadAt<int64_t>(source, i);
}
} // namespace

void rat::convertElements(const void *source, DType from, void *destination,
                          DType to, size_t count, const std::string &what) {
  if (isFloatType(from) != isFloatType(to))
    throw RatError(what + ": cannot convert " + dtypeName(from) + " to " +
                   dtypeName(to));
  if (from == to) {
    if (count)
      std::memcpy(destination, source, count * dtypeSize(to));
    return;
  }
  if (!isFloatType(to)) {
    for (size_t i = 0; i < count; ++i) {
      int64_t value = loadInt(source, from, i);
      if (to == DType::I32) {
        if (value < std::numeric_limits<int32_t>::min() ||
            value > std::numeric_limits<int32_t>::max())
          throw RatError(what + ": value " + std::to_string(value) +
                         " at flat index " + std::to_string(i) +
                         " does not fit in i32");
        storeAt<int32_t>(destination, i, static_cast<int32_t>(value));
      } else {
        storeAt<int64_t>(destination, i, value);
      }
    }
    return;
  }
  // f32 sources are the common case (checkpoints converted to bf16); keep
  // that loop free of the double round trip.
  if (from == DType::F32 && to == DType::BF16) {
    for (size_t i = 0; i < count; ++i)
      storeAt<uint16_t>(destination, i, f32ToBf16(loadAt<float>(source, i)));
    return;
  }
  for (size_t i = 0; i < count; ++i) {
    double value = loadFloat(source, from, i);
    switch (to) {
    case DType::F32:
      storeAt<float>(destination, i, narrowToFloat(value));
      break;
    case DType::F64:
      storeAt<double>(destination, i, value);
      break;
    case DType::F16:
      // Through f32: f64 -> f16 may double-round, which only matters for
      // f64 inputs and stays within half an f16 ulp plus an f32 ulp.
      storeAt<uint16_t>(destination, i, f32ToF16(narrowToFloat(value)));
      break;
    case DType::BF16:
      storeAt<uint16_t>(destination, i, f32ToBf16(narrowToFloat(value)));
      break;
    case DType::I32:
    case DType::I64:
      break;
    }
  }
}

HostTensor rat::convertTensor(const HostTensor &tensor, DType to,
                              const std::string &what) {
  HostTensor result(to, tensor.shape());
  convertElements(tensor.data(), tensor.dtype(), result.data(), to,
                  tensor.numElements(), what);
  return result;
}

//===----------------------------------------------------------------------===//
// Non-finite values
//===----------------------------------------------------------------------===//

namespace {
/// Counts the elements of type `Bits` whose exponent field (`exponentMask`)
/// is all ones: infinite when the mantissa (`mantissaMask`) is zero, NaN
/// otherwise.
template <typename Bits>
NonFiniteCount scanBits(const void *data, size_t count, Bits exponentMask,
                        Bits mantissaMask) {
  NonFiniteCount result;
  const Bits *values = static_cast<const Bits *>(data);
  for (size_t i = 0; i < count; ++i) {
    Bits bits = values[i];
    if ((bits & exponentMask) != exponentMask)
      continue;
    if (!result.any())
      result.first = i;
    if (bits & mantissaMask)
      ++result.nan;
    else
      ++result.inf;
  }
  return result;
}
} // namespace

NonFiniteCount rat::countNonFinite(const HostTensor &tensor) {
  // Host tensors are 64-byte aligned, so the elements can be read in place.
  const void *data = tensor.data();
  size_t count = tensor.numElements();
  switch (tensor.dtype()) {
  case DType::F32:
    return scanBits<uint32_t>(data, count, 0x7f800000u, 0x007fffffu);
  case DType::F64:
    return scanBits<uint64_t>(data, count, 0x7ff0000000000000ull,
                              0x000fffffffffffffull);
  case DType::F16:
    return scanBits<uint16_t>(data, count, 0x7c00u, 0x03ffu);
  case DType::BF16:
    return scanBits<uint16_t>(data, count, 0x7f80u, 0x007fu);
  case DType::I32:
  case DType::I64:
    return {};
  }
  return {};
}

std::string rat::describeNonFinite(const HostTensor &tensor,
                                   const NonFiniteCount &count) {
  std::string text;
  if (count.nan)
    text += std::to_string(count.nan) + " NaN";
  if (count.nan && count.inf)
    text += " and ";
  if (count.inf)
    text += std::to_string(count.inf) + " Inf";
  // The row-major index of the first one, as coordinates.
  Shape index(tensor.shape().size(), 0);
  uint64_t rest = count.first;
  for (size_t d = index.size(); d-- > 0;) {
    uint64_t size = static_cast<uint64_t>(tensor.shape()[d]);
    index[d] = static_cast<int64_t>(size ? rest % size : 0);
    rest = size ? rest / size : 0;
  }
  return text + " among " + std::to_string(tensor.numElements()) +
         " values (the first at " + formatShape(index) + ")";
}
