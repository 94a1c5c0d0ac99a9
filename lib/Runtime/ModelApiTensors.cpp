//===- ModelApiTensors.cpp - The C API's tensors and errors ---------------===//
//
// Marshalling for the C API (ModelApiTensors.h): a caller's rat_tensor
// checked and copied into a HostTensor of the model's type, a result written
// to the caller's buffer or a new one in the type asked for, rat_dtype to
// DType and back, and the thread's last error.
//
//===----------------------------------------------------------------------===//

#include "ModelApiTensors.h"

#include <cstdlib>

using namespace rat;
using namespace rat::capi;

void capi::invalid(const std::string &message) {
  throw ApiError(RAT_ERROR_INVALID_ARGUMENT, message);
}

std::string &capi::lastError() {
  thread_local std::string message;
  return message;
}

DType capi::toDType(rat_dtype dtype, const std::string &what) {
  switch (dtype) {
  case RAT_F32:
    return DType::F32;
  case RAT_F64:
    return DType::F64;
  case RAT_F16:
    return DType::F16;
  case RAT_BF16:
    return DType::BF16;
  case RAT_I32:
    return DType::I32;
  case RAT_I64:
    return DType::I64;
  case RAT_DTYPE_DEFAULT:
    break;
  }
  invalid(what + " has no valid dtype (" +
          std::to_string(static_cast<int>(dtype)) + ")");
}

rat_dtype capi::fromDType(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return RAT_F32;
  case DType::F64:
    return RAT_F64;
  case DType::F16:
    return RAT_F16;
  case DType::BF16:
    return RAT_BF16;
  case DType::I32:
    return RAT_I32;
  case DType::I64:
    return RAT_I64;
  }
  return RAT_DTYPE_DEFAULT;
}

Shape capi::shapeOf(const rat_tensor &tensor, const std::string &what) {
  if (tensor.rank < 0 || tensor.rank > RAT_MAX_RANK)
    invalid(what + " has rank " + std::to_string(tensor.rank) +
            " (0 to RAT_MAX_RANK " + std::to_string(RAT_MAX_RANK) + ")");
  Shape shape(tensor.shape, tensor.shape + tensor.rank);
  for (int64_t dim : shape)
    if (dim < 0)
      invalid(what + " has a negative dimension: " + formatShape(shape));
  return shape;
}

HostTensor capi::readInput(const rat_tensor *tensor, DType type,
                           const std::string &what) {
  if (!tensor)
    invalid(what + " is NULL");
  Shape shape = shapeOf(*tensor, what);
  DType from = toDType(tensor->dtype, what);
  if (isFloatType(from) != isFloatType(type))
    invalid(what + " is " + dtypeName(from) + ", the model takes " +
            dtypeName(type));
  uint64_t count = 0;
  if (!checkedNumElements(shape, dtypeSize(type), count))
    invalid(what + " of shape " + formatShape(shape) + " is too large");
  if (!tensor->data && count != 0)
    invalid(what + " has no data");
  HostTensor host(type, shape);
  asArgumentCheck([&] {
    convertElements(tensor->data, from, host.data(), type, count, what);
  });
  return host;
}

Output::Output(rat_tensor *tensor, const ValueSpec &spec, std::string what,
               const std::optional<Shape> &expected)
    : tensor(tensor), what(std::move(what)) {
  bool isFloat = isFloatType(spec.type);
  type = tensor->dtype == RAT_DTYPE_DEFAULT
             ? (isFloat ? DType::F32 : spec.type)
             : toDType(tensor->dtype, this->what);
  if (isFloatType(type) != isFloat)
    invalid(this->what + " is " + dtypeName(type) + ", the result is " +
            dtypeName(spec.type));
  if (spec.rank() > RAT_MAX_RANK)
    throw ApiError(RAT_ERROR_UNSUPPORTED,
                   this->what + " has rank " + std::to_string(spec.rank()) +
                       ", more than RAT_MAX_RANK");
  if (tensor->data) {
    Shape shape = shapeOf(*tensor, this->what);
    if (expected && shape != *expected)
      invalid(this->what + " has shape " + formatShape(shape) +
              ", the result will have " + formatShape(*expected));
  }
}

void Output::write(const HostTensor &result) const {
  if (tensor->data) {
    Shape shape(tensor->shape, tensor->shape + tensor->rank);
    if (shape != result.shape())
      invalid(what + " has shape " + formatShape(shape) +
              ", the result has " + formatShape(result.shape()));
    convertElements(result.data(), result.dtype(), tensor->data, type,
                    result.numElements(), what);
    return;
  }
  size_t bytes = result.numElements() * dtypeSize(type);
  void *data = std::malloc(bytes ? bytes : 1);
  if (!data)
    throw std::bad_alloc();
  try {
    convertElements(result.data(), result.dtype(), data, type,
                    result.numElements(), what);
  } catch (...) {
    std::free(data);
    throw;
  }
  tensor->data = data;
  tensor->dtype = fromDType(type);
  tensor->rank = static_cast<int32_t>(result.rank());
  std::copy(result.shape().begin(), result.shape().end(), tensor->shape);
}

std::optional<Shape> capi::expectedShape(const DimBinder &binder,
                                         const ValueSpec &spec) {
  try {
    return binder.resolve(spec, spec.name);
  } catch (const RatError &) {
    return std::nullopt;
  }
}

ValueSpec capi::apiOutput(const char *name, DType type) {
  ValueSpec spec;
  spec.role = Role::Output;
  spec.name = name;
  spec.type = type;
  return spec;
}
