//===- Json.h - Minimal JSON reader -----------------------------*- C++ -*-===//
//
// Enough JSON for safetensors headers and config files, with no dependency:
// a DOM of JsonValue and a strict RFC 8259 parser that rejects duplicate keys
// and bounds its nesting depth so that hostile input cannot exhaust the stack.
//
//===----------------------------------------------------------------------===//

#ifndef RAT_RUNTIME_JSON_H
#define RAT_RUNTIME_JSON_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rat {

/// A parsed JSON value. Numbers written without fraction or exponent that fit
/// in int64 are Integer (shapes and offsets must be exact); all others are
/// Number. Object members keep their order of appearance.
class JsonValue {
public:
  enum class Kind { Null, Bool, Integer, Number, String, Array, Object };

  Kind kind = Kind::Null;
  bool boolValue = false;
  int64_t intValue = 0;
  double numberValue = 0;
  std::string stringValue;
  /// Array elements, or object member values (parallel to `keys`).
  std::vector<JsonValue> elements;
  /// Object member names.
  std::vector<std::string> keys;

  bool isObject() const { return kind == Kind::Object; }
  bool isArray() const { return kind == Kind::Array; }
  bool isString() const { return kind == Kind::String; }
  bool isInteger() const { return kind == Kind::Integer; }

  /// Returns the member named `key` of an object, or nullptr.
  const JsonValue *find(std::string_view key) const;

  /// Name of the kind for diagnostics (`object`, `string`, ...).
  const char *kindName() const;
};

/// Objects and arrays nested deeper than this are rejected: deep enough for
/// any real header or config, shallow enough for the default stack.
constexpr int maxJsonNestingDepth = 128;

/// Parses a complete JSON document. Throws RatError
/// `<what>: invalid JSON at line L, column C (byte N): <reason>` on malformed
/// input (duplicate keys, nesting deeper than maxJsonNestingDepth and invalid
/// UTF-8 included).
JsonValue parseJson(std::string_view text, const std::string &what);

/// The same parser without exceptions, for callers built without them (the
/// compiler): returns false and sets `error` to
/// `line L, column C (byte N): <reason>` (or `out of memory`).
bool tryParseJson(std::string_view text, JsonValue &value,
                  std::string &error) noexcept;

} // namespace rat

#endif // RAT_RUNTIME_JSON_H
