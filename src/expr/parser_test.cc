#include "expr/parser.h"

#include <gtest/gtest.h>

namespace skyrun::expr {
namespace {

std::string Print(std::string_view text) {
  auto e = Parse(text);
  EXPECT_TRUE(e.ok()) << text << "\n" << e.status().message();
  return e.ok() ? e->ToString() : "<error>";
}

std::string ErrorOf(std::string_view text) {
  auto e = Parse(text);
  EXPECT_FALSE(e.ok()) << text << " parsed as " << (e.ok() ? e->ToString() : "");
  return e.ok() ? "" : e.status().message();
}

TEST(ParserTest, PrecedenceShowsInMinimalParentheses) {
  // Each line: input -> canonical print. Parentheses appear exactly where
  // the grouping differs from what precedence gives.
  const std::pair<const char*, const char*> cases[] = {
      {"1 + 2 * 3", "1 + 2 * 3"},
      {"(1 + 2) * 3", "(1 + 2) * 3"},
      {"1 - (2 - 3)", "1 - (2 - 3)"},
      {"(1 - 2) - 3", "1 - 2 - 3"},
      {"a || b && c", "a || b && c"},
      {"(a || b) && c", "(a || b) && c"},
      {"!a && b", "!a && b"},
      {"!(a && b)", "!(a && b)"},
      {"a < b == c > d", "a < b == c > d"},
      {"a == (b < c)", "a == b < c"},
      {"(a == b) < c", "(a == b) < c"},
      {"a | b ^ c & d", "a | b ^ c & d"},
      {"(a | b) & c", "(a | b) & c"},
      {"1 << 2 + 3", "1 << 2 + 3"},
      {"-a * -b", "-a * -b"},
      {"-(a + b)", "-(a + b)"},
      {"- -5", "--5"},
      {"a ? b : c ? d : e", "a ? b : c ? d : e"},
      {"(a ? b : c) ? d : e", "(a ? b : c) ? d : e"},
      {"a ? b ? c : d : e", "a ? b ? c : d : e"},
      {"a ?: b ?: c", "a ?: b ?: c"},
      {"(a ?: b) ?: c", "(a ?: b) ?: c"},
      {"a || b ? c : d", "a || b ? c : d"},
      {"x[1][2]", "x[1][2]"},
      {"(-x)[0]", "(-x)[0]"},
      {"{1, {2, 3}, \"a\"}[1]", "{1, {2, 3}, \"a\"}[1]"},
      {"a is b", "a =?= b"},
      {"a isnt UNDEFINED", "a =!= UNDEFINED"},
      {"a >>> 2 >> 1 << 3", "a >>> 2 >> 1 << 3"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(Print(in), want) << in;
}

TEST(ParserTest, LiteralsAndUnits) {
  EXPECT_EQ(Print("40GiB"), "40GiB");
  auto e = Parse("40GiB");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->LiteralValue(e->root()).AsInt(), 40960);
  auto m = Parse("500m");
  ASSERT_TRUE(m.ok());
  EXPECT_DOUBLE_EQ(m->LiteralValue(m->root()).AsReal(), 0.5);
  auto k = Parse("2048K");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->LiteralValue(k->root()).AsInt(), 2);
  auto half = Parse("1.5GiB");
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(half->LiteralValue(half->root()).AsInt(), 1536);
  EXPECT_EQ(Print("0x1F"), "0x1F");
  EXPECT_EQ(Print("1e3"), "1e3");
  EXPECT_EQ(Print("2.50"), "2.50");
  EXPECT_EQ(Print("2.5"), "2.5");
  EXPECT_EQ(Print("TRUE && False"), "true && false");
  EXPECT_EQ(Print("undefined || Error"), "UNDEFINED || ERROR");
  EXPECT_EQ(Print("\"a\\\"b\\\\c\\n\\x01\""), "\"a\\\"b\\\\c\\n\\x01\"");
  EXPECT_EQ(Print("{}"), "{}");
}

TEST(ParserTest, NamesScopesAndCalls) {
  EXPECT_EQ(Print("my.Cpus + Target.GpuModel"), "MY.Cpus + TARGET.GpuModel");
  EXPECT_EQ(Print("'nvidia.com/gpu' > 0"), "'nvidia.com/gpu' > 0");
  EXPECT_EQ(Print("TARGET.'gpu-type' == \"a\""), "TARGET.'gpu-type' == \"a\"");
}

TEST(ParserTest, QuotedNamesRoundTrip) {
  EXPECT_EQ(Print("'it\\'s'"), "'it\\'s'");
  EXPECT_EQ(Print("'true'"), "'true'");
  EXPECT_EQ(Print("MY.true"), "MY.'true'");
  EXPECT_EQ(Print("STRCAT(\"a\", 1)"), "strcat(\"a\", 1)");
  EXPECT_EQ(Print("StringListIMember(\"x\", \"a, x\")"), "stringListIMember(\"x\", \"a, x\")");
}

TEST(ParserTest, ErrorsCarryLineColumnAndCaret) {
  EXPECT_EQ(ErrorOf("member(Country, {\"US\", \"DE\"}"),
            "expected ')', found the end of the expression (to close the '(' at 1:7) at 1:29\n"
            "  member(Country, {\"US\", \"DE\"}\n"
            "                              ^");
  EXPECT_EQ(ErrorOf("Cpus >= 8 &&\n  (Gpus > 1"),
            "expected ')', found the end of the expression (to close the '(' at 2:3) at 2:12\n"
            "    (Gpus > 1\n"
            "             ^");
  EXPECT_EQ(ErrorOf("Cpus = 8"),
            "'=' is not an operator: use == to compare (or =?= for identity) at 1:6\n"
            "  Cpus = 8\n"
            "       ^");
  EXPECT_EQ(ErrorOf("regex(\"a\", b)").substr(0, 60),
            "unknown function 'regex'; did you mean 'regexp'? at 1:1\n  re");
  EXPECT_EQ(ErrorOf("member(x)").substr(0, 58), "member() takes 2 arguments, got 1: member(value, list) at ");
  EXPECT_NE(ErrorOf("\"abc").find("unterminated string"), std::string::npos);
  EXPECT_NE(ErrorOf("40Gb").find("unknown unit 'Gb'"), std::string::npos);
  EXPECT_NE(ErrorOf("0.1GiB").find("not a whole number of MiB"), std::string::npos);
  EXPECT_NE(ErrorOf("99999999999999999999").find("too large"), std::string::npos);
  EXPECT_NE(
      ErrorOf("a b").find("expected an operator or the end of the expression, found the name 'b' at 1:3"),
      std::string::npos);
  EXPECT_NE(ErrorOf("").find("expected an expression"), std::string::npos);
  EXPECT_NE(ErrorOf("a)").find("unmatched ')'"), std::string::npos);
  EXPECT_NE(ErrorOf("x.y").find("'.' may only follow MY or TARGET"), std::string::npos);
  EXPECT_NE(ErrorOf("a ? b").find("expected ':'"), std::string::npos);
  EXPECT_TRUE(Parse(".5").ok());  // a real, as in ClassAds
  EXPECT_NE(ErrorOf("5.x").find("expected a digit after the decimal point"), std::string::npos);
}

TEST(ParserTest, NestingIsBounded) {
  std::string deep(5000, '(');
  EXPECT_NE(ErrorOf(deep + "1" + std::string(5000, ')')).find("nested more than"), std::string::npos);
  std::string chain = "a";
  for (int k = 0; k < 3000; ++k) chain += " + a";
  EXPECT_NE(ErrorOf(chain).find("nested more than"), std::string::npos);
  std::string ok = "a";
  for (int k = 0; k < 500; ++k) ok += " && a";
  EXPECT_TRUE(Parse(ok).ok());
}

TEST(ParserTest, RoundTripKeepsTheTree) {
  const char* inputs[] = {
      "GpuMemoryMB >= 40000 && member(Country, {\"US\",\"DE\"})",
      "ifThenElse(isUndefined(MY.Rank), -1, MY.Rank * 2.5) ?: 0",
      "regexp(\"A100|H100\", GpuModel, \"i\") || !(Spot =?= true)",
      "{1, 2.0, \"x\", undefined, error, {true}}[0]",
      "a - (b - (c - d)) / e % f",
      "-HourlyPrice",
      "(a ? b : c)[1]",
      "~x & 0xff | 1 << 4",
      "'weird name' + 40GiB + 500m",
  };
  for (const char* in : inputs) {
    auto first = Parse(in);
    ASSERT_TRUE(first.ok()) << in;
    auto second = Parse(first->ToString());
    ASSERT_TRUE(second.ok()) << first->ToString();
    EXPECT_TRUE(first->SameTreeAs(*second)) << in << " -> " << first->ToString();
    EXPECT_EQ(first->ToString(), second->ToString());
  }
}

TEST(ParserTest, ConjunctsAreTheTopLevelAndClauses) {
  auto e = Parse("a > 1 && (b || c) && member(d, {1}) && (e && f)");
  ASSERT_TRUE(e.ok());
  std::vector<std::string> got;
  for (int id : e->Conjuncts()) got.push_back(e->ToString(id));
  EXPECT_EQ(got, (std::vector<std::string>{"a > 1", "b || c", "member(d, {1})", "e && f"}));
}

TEST(ParserTest, CommentsAreIgnored) {
  EXPECT_EQ(Print("a // the first\n + /* inline */ b"), "a + b");
}

}  // namespace
}  // namespace skyrun::expr
