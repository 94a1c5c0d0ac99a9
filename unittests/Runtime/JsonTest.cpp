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

TEST(Json, HandlesEmbeddedNul) {
  std::string text("[1]\0", 4);
  EXPECT_TRUE(failsWith([&] { parse(text); }, {"trailing"}));
}

} // namespace
