//===- HostTensor.h - Dense tensors in host memory --------------*- C++ -*-===//
//
// The host-side representation of every array the runtime reads or writes:
// a dtype, a row-major shape and an owned, 64-byte aligned buffer.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_HOSTTENSOR_H
#define RAT_RUNTIME_HOSTTENSOR_H

#include "rat/Runtime/DType.h"

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

namespace rat {

/// Row-major dimensions, outermost first. Rank 0 is a scalar.
using Shape = std::vector<int64_t>;

/// Formats a shape as `[2, 3, 4]` for diagnostics.
std::string formatShape(const Shape &shape);

/// Computes the element count of `shape`, or returns false when a dimension is
/// negative or the product (times `elementSize`, in bytes) overflows.
bool checkedNumElements(const Shape &shape, size_t elementSize,
                        uint64_t &numElements);

/// A dense, C-order array in host memory. The storage is allocated with
/// aligned_alloc so that it can be handed to code that releases it with free()
/// (the CPU target's result convention) without a copy.
class HostTensor {
public:
  HostTensor() = default;
  /// Allocates uninitialised storage; throws RatError if the byte size
  /// overflows and std::bad_alloc if memory is exhausted.
  HostTensor(DType dtype, Shape shape);

  /// Like the constructor, but zero-filled.
  static HostTensor zeros(DType dtype, Shape shape);

  DType dtype() const { return elementType; }
  const Shape &shape() const { return dims; }
  int64_t rank() const { return static_cast<int64_t>(dims.size()); }
  size_t numElements() const { return count; }
  size_t sizeInBytes() const { return count * dtypeSize(elementType); }

  void *data() { return storage.get(); }
  const void *data() const { return storage.get(); }
  template <typename T> T *dataAs() { return static_cast<T *>(data()); }
  template <typename T> const T *dataAs() const {
    return static_cast<const T *>(data());
  }

  /// Gives up ownership of the storage, which must be released with free().
  void *releaseStorage() {
    count = 0;
    return storage.release();
  }

private:
  struct FreeDeleter {
    void operator()(void *pointer) const { std::free(pointer); }
  };

  DType elementType = DType::F32;
  Shape dims;
  size_t count = 0;
  std::unique_ptr<void, FreeDeleter> storage;
};

/// Converts `count` elements from `source` (type `from`, any alignment) into
/// `destination` (type `to`). Floating-point types convert among themselves
/// (narrowing rounds to nearest even) and integer types among themselves with
/// a range check; mixing the two kinds is an error. Errors name `what`.
void convertElements(const void *source, DType from, void *destination,
                     DType to, size_t count, const std::string &what);

/// The NaN and infinite values of a tensor (none for integer types).
struct NonFiniteCount {
  uint64_t nan = 0;
  uint64_t inf = 0;
  /// Flat (row-major) index of the first non-finite value.
  uint64_t first = 0;

  bool any() const { return nan != 0 || inf != 0; }
};

/// Scans every element of `tensor` (a bit test per element, no conversion).
NonFiniteCount countNonFinite(const HostTensor &tensor);

/// `2 NaN and 1 Inf among 4096 values (the first at [0, 17])` for a tensor
/// whose scan found any.
std::string describeNonFinite(const HostTensor &tensor,
                              const NonFiniteCount &count);

/// Returns `tensor` converted to `to` (a copy even when the types match).
HostTensor convertTensor(const HostTensor &tensor, DType to,
                         const std::string &what);

} // namespace rat

#endif // RAT_RUNTIME_HOSTTENSOR_H
