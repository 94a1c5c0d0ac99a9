//===- JsonTest.cpp - JSON parser tests -----------------------------------===//

#include "rat/Runtime/Json.h"

#include "TestUtil.h"

using namespace rat;
using rat::test::failsWith;

namespace {

JsonValue parse(const std::string &text) { return parseJson(text, "test"); }

TEST(Json, ParsesAllKinds) {
  JsonValue value = parse(R"( {"a": [1, -2, 3.5, 1e3, true, false, null],
                               "s": "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00",
                               "o": {}} )");
  ASSERT_TRUE(value.isObject());
  const JsonValue *array = value.find("a");
  ASSERT_TRUE(array && array->isArray());
  ASSERT_EQ(array->elements.size(), 7u);
  EXPECT_TRUE(array->elements[0].isInteger());
  EXPECT_EQ(array->elements[1].intValue, -2);
  EXPECT_EQ(array->elements[2].kind, JsonValue::Kind::Number);
  EXPECT_EQ(array->elements[2].numberValue, 3.5);
  EXPECT_FALSE(array->elements[3].isInteger());
  EXPECT_EQ(array->elements[3].numberValue, 1000.0);
  EXPECT_TRUE(array->elements[4].boolValue);
  EXPECT_EQ(array->elements[6].kind, JsonValue::Kind::Null);
  EXPECT_EQ(value.find("s")->stringValue,
            "x\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80");
  EXPECT_TRUE(value.find("o")->isObject());
  EXPECT_EQ(value.find("missing"), nullptr);
}

TEST(Json, KeepsMemberOrder) {
  JsonValue value = parse(R"({"z": 1, "a": 2})");
  ASSERT_EQ(value.keys.size(), 2u);
  EXPECT_EQ(value.keys[0], "z");
  EXPECT_EQ(value.keys[1], "a");
}

TEST(Json, LargeIntegersAreNotExact) {
  EXPECT_TRUE(parse("9223372036854775807").isInteger());
  EXPECT_FALSE(parse("9223372036854775808").isInteger());
}

TEST(Json, RejectsMalformedInput) {
  const char *cases[] = {
      "",         "{",       "}",         "[1,]",        "{\"a\":1,}",
      "{a:1}",    "'a'",     "01",        "1.",          "-",
      "1e",       "tru",     "nul",       "[1 2]",       "{\"a\" 1}",
      "\"abc",    "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"",
      "\"a\nb\"", "{} {}",   "[1] x",     "NaN",         "{\"a\":}"};
  for (const char *text : cases)
    EXPECT_TRUE(failsWith([&] { parse(text); }, {"test: invalid JSON"}))
        << "input: " << text;
}

TEST(Json, RejectsDuplicateKeys) {
  EXPECT_TRUE(
      failsWith([] { parse(R"({"w": 1, "w": 2})"); }, {"duplicate key \"w\""}));
}

TEST(Json, BoundsNestingDepth) {
  std::string deep(100000, '[');
  EXPECT_TRUE(failsWith([&] { parse(deep); }, {"nesting deeper than"}));
  std::string ok = std::string(100, '[') + std::string(100, ']');
  EXPECT_TRUE(parse(ok).isArray());
}

TEST(Json, BoundsNestingDepthOfObjects) {
  std::string deep;
  for (int i = 0; i < 100000; ++i)
    deep += "{\"a\": ";
  deep += "1" + std::string(100000, '}');
  EXPECT_TRUE(failsWith([&] { parse(deep); }, {"nesting deeper than 128"}));
  // The limit itself: 128 levels below the top-level value parse.
  std::string atLimit = std::string(maxJsonNestingDepth + 1, '[') +
                        std::string(maxJsonNestingDepth + 1, ']');
  EXPECT_TRUE(parse(atLimit).isArray());
  std::string pastLimit = "[" + atLimit + "]";
  EXPECT_TRUE(failsWith([&] { parse(pastLimit); }, {"nesting deeper"}));
}

TEST(Json, NamesLineAndColumn) {
  EXPECT_TRUE(failsWith([] { parse("{\"a\": 1,\n  \"a\": 2}"); },
                        {"test: invalid JSON at line 2, column 3 (byte 11): "
                         "duplicate key \"a\""}));
  EXPECT_TRUE(failsWith([] { parse("[1,\n\n  x]"); },
                        {"line 3, column 3 (byte 7): unexpected character"}));
}

TEST(Json, ValidatesUtf8) {
  // Two-, three- and four-byte sequences pass through unchanged.
  EXPECT_EQ(parse("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"").stringValue,
            "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
  const char *bad[] = {
      "\"\xff\"",             // never valid
      "\"\x80\"",             // continuation byte first
      "\"\xc3\"",             // truncated
      "\"\xc0\xaf\"",         // overlong '/'
      "\"\xe0\x80\xaf\"",     // overlong, three bytes
      "\"\xed\xa0\x80\"",     // UTF-16 surrogate
      "\"\xf4\x90\x80\x80\"", // above U+10FFFF
      "{\"\xfe\": 1}",        // in a key
  };
  for (const char *text : bad)
    EXPECT_TRUE(failsWith([&] { parse(text); }, {"invalid UTF-8 in string"}))
        << "input: " << text;
}

TEST(Json, TryParseReportsWithoutThrowing) {
  JsonValue value;
  std::string error;
  EXPECT_TRUE(tryParseJson("{\"a\": [1]}", value, error));
  EXPECT_TRUE(value.isObject());
  EXPECT_FALSE(tryParseJson("{\"a\": 1, \"a\": 2}", value, error));
  EXPECT_EQ(error, "line 1, column 10 (byte 9): duplicate key \"a\"");
  EXPECT_FALSE(tryParseJson(std::string(100000, '['), value, error));
  EXPECT_NE(error.find("nesting deeper than 128 levels"), std::string::npos);
}

TEST(Json, HandlesEmbeddedNul) {
  std::string text("[1]\0", 4);
  EXPECT_TRUE(failsWith([&] { parse(text); }, {"trailing"}));
}

} // namespace
