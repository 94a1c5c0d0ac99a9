//===- DType.cpp - Element types of runtime tensors -----------------------===//
//
// Sizes and spellings of the runtime's element types.
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/DType.h"

using namespace rat;

size_t rat::dtypeSize(DType type) {
  switch (type) {
  case DType::F32:
  case DType::I32:
    return 4;
  case DType::F64:
  case DType::I64:
    return 8;
  case DType::F16:
  case DType::BF16:
    return 2;
  }
  return 0;
}

const char *rat::dtypeName(DType type) {
  switch (type) {
  case DType::F32:
    return "f32";
  case DType::F64:
    return "f64";
  case DType::F16:
    return "f16";
  case DType::BF16:
    return "bf16";
  case DType::I32:
    return "i32";
  case DType::I64:
    return "i64";
  }
  return "?";
}

std::optional<DType> rat::parseDTypeName(std::string_view name) {
  for (DType type : {DType::F32, DType::F64, DType::F16, DType::BF16,
                     DType::I32, DType::I64})
    if (name == dtypeName(type))
      return type;
  return std::nullopt;
}

bool rat::isFloatType(DType type) {
  return type == DType::F32 || type == DType::F64 || type == DType::F16 ||
         type == DType::BF16;
}
