//===- Json.cpp - Minimal JSON reader -------------------------------------===//
//
// A recursive-descent RFC 8259 parser. Strict where laxness could hide a
// corrupt checkpoint header or config: no trailing commas, no comments, no
// duplicate keys, no control characters or invalid UTF-8 in strings, no
// trailing garbage, bounded nesting (the recursion depth).
//
//===----------------------------------------------------------------------===//

#include "rat/Runtime/Json.h"

#include "rat/Runtime/Error.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <unordered_set>

using namespace rat;

const JsonValue *JsonValue::find(std::string_view key) const {
  if (kind != Kind::Object)
    return nullptr;
  for (size_t i = 0; i < keys.size(); ++i)
    if (keys[i] == key)
      return &elements[i];
  return nullptr;
}

const char *JsonValue::kindName() const {
  switch (kind) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return "boolean";
  case Kind::Integer:
  case Kind::Number:
    return "number";
  case Kind::String:
    return "string";
  case Kind::Array:
    return "array";
  case Kind::Object:
    return "object";
  }
  return "?";
}

namespace {

/// A syntax error, caught by the two entry points below: one adds the
/// caller's `what` and throws RatError, the other returns the message.
struct JsonSyntaxError {
  std::string message;
};

class JsonParser {
public:
  explicit JsonParser(std::string_view text) : text(text) {}

  JsonValue parseDocument() {
    skipWhitespace();
    JsonValue value = parseValue(0);
    skipWhitespace();
    if (pos != text.size())
      fail("unexpected trailing characters");
    return value;
  }

private:
  [[noreturn]] void fail(const std::string &reason) const {
    size_t at = std::min(pos, text.size());
    size_t line = 1, lineStart = 0;
    for (size_t i = 0; i < at; ++i)
      if (text[i] == '\n') {
        ++line;
        lineStart = i + 1;
      }
    throw JsonSyntaxError{"line " + std::to_string(line) + ", column " +
                          std::to_string(at - lineStart + 1) + " (byte " +
                          std::to_string(at) + "): " + reason};
  }

  bool atEnd() const { return pos >= text.size(); }
  char peek() const { return atEnd() ? '\0' : text[pos]; }

  void skipWhitespace() {
    while (!atEnd() && (text[pos] == ' ' || text[pos] == '\t' ||
                        text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  void expect(char c) {
    if (peek() != c || atEnd())
      fail(std::string("expected '") + c + "'");
    ++pos;
  }

  void expectWord(std::string_view word) {
    if (text.substr(pos, word.size()) != word)
      fail("invalid literal");
    pos += word.size();
  }

  JsonValue parseValue(int depth) {
    if (depth > maxJsonNestingDepth)
      fail("nesting deeper than " + std::to_string(maxJsonNestingDepth) +
           " levels");
    JsonValue value;
    if (atEnd())
      fail("unexpected end of input");
    switch (peek()) {
    case '{':
      parseObject(value, depth);
      break;
    case '[':
      parseArray(value, depth);
      break;
    case '"':
      value.kind = JsonValue::Kind::String;
      value.stringValue = parseString();
      break;
    case 't':
      expectWord("true");
      value.kind = JsonValue::Kind::Bool;
      value.boolValue = true;
      break;
    case 'f':
      expectWord("false");
      value.kind = JsonValue::Kind::Bool;
      break;
    case 'n':
      expectWord("null");
      break;
    default:
      parseNumber(value);
      break;
    }
    return value;
  }

  void parseObject(JsonValue &value, int depth) {
    value.kind = JsonValue::Kind::Object;
    expect('{');
    skipWhitespace();
    if (peek() == '}' && !atEnd()) {
      ++pos;
      return;
    }
    std::unordered_set<std::string> seen;
    while (true) {
      skipWhitespace();
      if (peek() != '"' || atEnd())
        fail("expected a string key");
      size_t keyPos = pos;
      std::string key = parseString();
      if (!seen.insert(key).second) {
        pos = keyPos;
        fail("duplicate key \"" + key + "\"");
      }
      skipWhitespace();
      expect(':');
      skipWhitespace();
      value.keys.push_back(std::move(key));
      value.elements.push_back(parseValue(depth + 1));
      skipWhitespace();
      if (peek() == ',' && !atEnd()) {
        ++pos;
        continue;
      }
      expect('}');
      return;
    }
  }

  void parseArray(JsonValue &value, int depth) {
    value.kind = JsonValue::Kind::Array;
    expect('[');
    skipWhitespace();
    if (peek() == ']' && !atEnd()) {
      ++pos;
      return;
    }
    while (true) {
      skipWhitespace();
      value.elements.push_back(parseValue(depth + 1));
      skipWhitespace();
      if (peek() == ',' && !atEnd()) {
        ++pos;
        continue;
      }
      expect(']');
      return;
    }
  }

  unsigned parseHex4() {
    if (text.size() - pos < 4)
      fail("truncated \\u escape");
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text[pos++];
      code <<= 4;
      if (c >= '0' && c <= '9')
        code |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f')
        code |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        code |= static_cast<unsigned>(c - 'A' + 10);
      else
        fail("invalid \\u escape");
    }
    return code;
  }

  static void appendUtf8(std::string &out, unsigned code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xc0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xe0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (code & 0x3f));
    }
  }

  /// Copies one well-formed multi-byte UTF-8 sequence (RFC 3629: no overlong
  /// forms, no surrogates, at most U+10FFFF) starting at `pos`.
  void appendUtf8Sequence(std::string &out) {
    auto byte = [&](size_t i) {
      return static_cast<unsigned char>(text[pos + i]);
    };
    unsigned char lead = byte(0);
    size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    bool valid = lead >= 0xc2 && lead <= 0xf4 && text.size() - pos >= length;
    for (size_t i = 1; valid && i < length; ++i)
      valid = (byte(i) & 0xc0) == 0x80;
    if (valid && length == 3)
      valid = !(lead == 0xe0 && byte(1) < 0xa0) && // overlong
              !(lead == 0xed && byte(1) >= 0xa0);  // surrogate
    if (valid && length == 4)
      valid = !(lead == 0xf0 && byte(1) < 0x90) && // overlong
              !(lead == 0xf4 && byte(1) >= 0x90);  // above U+10FFFF
    if (!valid)
      fail("invalid UTF-8 in string");
    out.append(text.substr(pos, length));
    pos += length;
  }

  std::string parseString() {
    expect('"');
    std::string out;
    while (true) {
      if (atEnd())
        fail("unterminated string");
      char c = text[pos++];
      if (c == '"')
        return out;
      if (static_cast<unsigned char>(c) < 0x20) {
        --pos;
        fail("control character in string");
      }
      if (static_cast<unsigned char>(c) >= 0x80) {
        --pos;
        appendUtf8Sequence(out);
        continue;
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (atEnd())
        fail("unterminated string");
      char escape = text[pos++];
      switch (escape) {
      case '"':
      case '\\':
      case '/':
        out += escape;
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        unsigned code = parseHex4();
        if (code >= 0xd800 && code < 0xdc00) {
          // A high surrogate must be followed by an escaped low surrogate.
          if (text.substr(pos, 2) != "\\u")
            fail("unpaired surrogate in \\u escape");
          pos += 2;
          unsigned low = parseHex4();
          if (low < 0xdc00 || low >= 0xe000)
            fail("unpaired surrogate in \\u escape");
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        } else if (code >= 0xdc00 && code < 0xe000) {
          fail("unpaired surrogate in \\u escape");
        }
        appendUtf8(out, code);
        break;
      }
      default:
        --pos;
        fail(std::string("invalid escape '\\") + escape + "'");
      }
    }
  }

  static bool isDigit(char c) { return c >= '0' && c <= '9'; }

  void parseNumber(JsonValue &value) {
    size_t start = pos;
    bool integral = true;
    if (peek() == '-')
      ++pos;
    if (!isDigit(peek()) || atEnd())
      fail("unexpected character");
    if (peek() == '0') {
      ++pos;
      if (isDigit(peek()) && !atEnd())
        fail("leading zero in number");
    } else {
      while (!atEnd() && isDigit(peek()))
        ++pos;
    }
    if (!atEnd() && peek() == '.') {
      integral = false;
      ++pos;
      if (!isDigit(peek()) || atEnd())
        fail("expected digits after '.'");
      while (!atEnd() && isDigit(peek()))
        ++pos;
    }
    if (!atEnd() && (peek() == 'e' || peek() == 'E')) {
      integral = false;
      ++pos;
      if (!atEnd() && (peek() == '+' || peek() == '-'))
        ++pos;
      if (!isDigit(peek()) || atEnd())
        fail("expected digits in exponent");
      while (!atEnd() && isDigit(peek()))
        ++pos;
    }
    // strtoll/strtod need a NUL-terminated copy; numbers are short.
    std::string literal(text.substr(start, pos - start));
    if (integral) {
      errno = 0;
      long long parsed = std::strtoll(literal.c_str(), nullptr, 10);
      if (errno != ERANGE) {
        value.kind = JsonValue::Kind::Integer;
        value.intValue = parsed;
        value.numberValue = static_cast<double>(parsed);
        return;
      }
    }
    value.kind = JsonValue::Kind::Number;
    value.numberValue = std::strtod(literal.c_str(), nullptr);
  }

  std::string_view text;
  size_t pos = 0;
};

} // namespace

JsonValue rat::parseJson(std::string_view text, const std::string &what) {
  try {
    return JsonParser(text).parseDocument();
  } catch (const JsonSyntaxError &error) {
    throw RatError(what + ": invalid JSON at " + error.message);
  }
}

bool rat::tryParseJson(std::string_view text, JsonValue &value,
                       std::string &error) noexcept {
  try {
    value = JsonParser(text).parseDocument();
    return true;
  } catch (JsonSyntaxError &syntax) {
    error = std::move(syntax.message);
  } catch (const std::bad_alloc &) {
    error = "out of memory";
  } catch (const std::exception &other) {
    error = other.what();
  }
  return false;
}
