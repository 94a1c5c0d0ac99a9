//===- SourceLimits.cpp - limits on the text the compiler parses ----------===//
//
// The checks that run on the bytes of an input before any parser recurses
// into them: model configs and checkpoint headers go through the runtime's
// strict JSON reader (bounded depth, no duplicate keys); graph-level MLIR
// has its bracket nesting bounded before MLIR's recursive parser sees it.
//
//===----------------------------------------------------------------------===//

#include "rat/Compiler/ConfigLimits.h"

#include "rat/Runtime/Json.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <string>

using namespace mlir;
using namespace mlir::rat;

//===----------------------------------------------------------------------===//
// Strict JSON
//===----------------------------------------------------------------------===//

/// The runtime's DOM as an llvm::json::Value. The reader bounds the nesting
/// depth, so the recursion here is bounded too; it also guarantees valid
/// UTF-8, which llvm::json requires of every string.
static llvm::json::Value toLLVMJson(const ::rat::JsonValue &value) {
  using Kind = ::rat::JsonValue::Kind;
  switch (value.kind) {
  case Kind::Null:
    return nullptr;
  case Kind::Bool:
    return value.boolValue;
  case Kind::Integer:
    return value.intValue;
  case Kind::Number:
    return value.numberValue;
  case Kind::String:
    return value.stringValue;
  case Kind::Array: {
    llvm::json::Array array;
    for (const ::rat::JsonValue &element : value.elements)
      array.push_back(toLLVMJson(element));
    return array;
  }
  case Kind::Object: {
    llvm::json::Object object;
    for (auto [key, element] : llvm::zip(value.keys, value.elements))
      object[key] = toLLVMJson(element);
    return object;
  }
  }
  llvm_unreachable("unknown JSON kind");
}

llvm::Expected<llvm::json::Value>
mlir::rat::parseStrictJson(llvm::StringRef text) {
  ::rat::JsonValue value;
  std::string error;
  if (!::rat::tryParseJson(std::string_view(text.data(), text.size()), value,
                           error))
    return llvm::createStringError(error);
  return toLLVMJson(value);
}

//===----------------------------------------------------------------------===//
// MLIR nesting
//===----------------------------------------------------------------------===//

bool mlir::rat::checkMlirNesting(llvm::StringRef text, std::string &error) {
  int64_t depth = 0;
  size_t line = 1, lineStart = 0;
  for (size_t i = 0, e = text.size(); i < e; ++i) {
    char c = text[i];
    switch (c) {
    case '\n':
      ++line;
      lineStart = i + 1;
      break;
    case '/':
      if (i + 1 < e && text[i + 1] == '/')
        while (i + 1 < e && text[i + 1] != '\n')
          ++i;
      break;
    case '"':
      // A string ends at the next unescaped quote (or the end of the line,
      // where MLIR's lexer stops too).
      for (++i; i < e && text[i] != '"' && text[i] != '\n'; ++i)
        if (text[i] == '\\')
          ++i;
      if (i < e && text[i] == '\n')
        --i;
      break;
    case '(':
    case '[':
    case '{':
    case '<':
      if (++depth > limits::maxMlirNesting) {
        error = "line " + std::to_string(line) + ", column " +
                std::to_string(i - lineStart + 1) + ": nesting deeper than " +
                std::to_string(limits::maxMlirNesting) + " levels";
        return false;
      }
      break;
    case '>':
      if ((i > 0 && text[i - 1] == '-') || (i + 1 < e && text[i + 1] == '='))
        break; // `->`, `>=`
      [[fallthrough]];
    case ')':
    case ']':
    case '}':
      depth = std::max<int64_t>(depth - 1, 0);
      break;
    default:
      break;
    }
  }
  return true;
}
