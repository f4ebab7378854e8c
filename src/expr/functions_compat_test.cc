// The answers HTCondor users expect (issue 14): reals as text, argument
// conversion, aggregates that skip UNDEFINED, round-half-even, real
// arithmetic, literals, regexp options, and the functions taken over from
// ClassAds. Each case is evaluated optimized (constant-folded) and not.
#include <gtest/gtest.h>

#include <string>

#include "expr/check.h"
#include "expr/compiled.h"
#include "expr/parser.h"

namespace skyrun::expr {
namespace {

constexpr int64_t kNow = 1700000000;  // 2023-11-14T22:13:20Z

struct Case {
  const char* text;
  const char* expected;  // Value::ToString(), or "ERROR"
};

std::string Show(const Value& v) {
  return v.IsError() ? "ERROR" : v.ToString();
}

std::string Eval(const std::string& text, bool optimize, int64_t now = kNow) {
  auto expr = Parse(text);
  if (!expr.ok()) return "PARSE: " + expr.status().message();
  Schema my, target;
  auto compiled = Compile(*expr, my, target, {.optimize = optimize});
  if (!compiled.ok()) return "COMPILE: " + compiled.status().message();
  Ad ad(&my);
  SimulatedClock clock(now * kMicrosPerSecond);
  EvalScratch scratch;
  scratch.set_clock(&clock);
  return Show(Evaluate(*compiled, ad, nullptr, scratch));
}

void ExpectAll(std::initializer_list<Case> cases) {
  for (const Case& c : cases) {
    for (bool optimize : {true, false}) {
      EXPECT_EQ(Eval(c.text, optimize), c.expected) << c.text << (optimize ? " (optimized)" : "");
    }
  }
}

TEST(FunctionsCompatTest, RealsBecomeTextInHtcondorsFormat) {
  ExpectAll({
      {R"(string(2.5))", R"("2.500000000000000E+00")"},
      {R"(strcat("a", 2.5))", R"("a2.500000000000000E+00")"},
      {R"(string(1e20))", R"("1.000000000000000E+20")"},
      {R"~(string(real("INF")))~", R"~("real(\"INF\")")~"},
      {R"~(string(real("-INF")))~", R"~("real(\"-INF\")")~"},
      {R"~(string(real("NaN")))~", R"~("real(\"NaN\")")~"},
      {R"(string(0.0))", R"("0.0")"},
      {R"(string(-0.0))", R"("-0.0")"},
      {R"(string(7))", R"("7")"},
  });
}

TEST(FunctionsCompatTest, FunctionsConvertTheirArguments) {
  ExpectAll({
      {"toLower(true)", R"("true")"},
      {"toUpper(true)", R"("TRUE")"},
      {"toUpper(1)", R"("1")"},
      {R"(floor("3.9"))", "3"},
      {R"(ceiling("3.9"))", "4"},
      {R"(ceil(3.1))", "4"},
      {R"(strcmp(1, "1"))", "0"},
      {R"(stricmp("ABC", "abc"))", "0"},
      {R"(toLower({1}))", "ERROR"},
      {R"(strcmp(UNDEFINED, "a"))", "UNDEFINED"},
  });
}

TEST(FunctionsCompatTest, ListAggregatesSkipUndefined) {
  ExpectAll({
      {"sum({1, undefined})", "1"},
      {"min({-7, undefined, 7})", "-7"},
      {"max({-7, undefined, 7})", "7"},
      {"avg({2, undefined, 4})", "3.0"},
      {"sum({})", "0"},
      {"avg({})", "0"},
      {"min({})", "UNDEFINED"},
      {"min({undefined})", "UNDEFINED"},
      {"sum({1, error})", "ERROR"},
      {R"(sum({1, "a"}))", "ERROR"},
  });
}

TEST(FunctionsCompatTest, RoundTakesHalvesToEven) {
  ExpectAll({
      {"round(2.5)", "2"},
      {"round(-2.5)", "-2"},
      {"round(3.5)", "4"},
      {"round(2.6)", "3"},
      {R"(round("0.5"))", "0"},
  });
}

TEST(FunctionsCompatTest, NumbersAsInClassAds) {
  ExpectAll({
      {"7.5 % 2", "ERROR"},
      {"7 % 2", "1"},
      {"0.0 / 0", "nan"},
      {"-1.0 / 0", "-inf"},
      {"1.0 / 0", "ERROR"},
      {"1e308 * 10", "ERROR"},
      {R"(int("7abc"))", "7"},
      {R"(int("3.9"))", "3"},
      {R"(int("abc"))", "ERROR"},
      {R"(real("0x10"))", "16.0"},
      {R"(real(" 2.5kg"))", "2.5"},
      {R"(real("-0.0") =?= -0.0)", "true"},
      {"9223372036854775807 + 1", "ERROR"},  // overflow stays ERROR on purpose
  });
}

TEST(FunctionsCompatTest, LiteralsHtcondorAccepts) {
  ExpectAll({
      {".5", "0.5"},
      {".5e1 + 1", "6.0"},
      {R"("\101\102" == "AB")", "true"},
      {R"(size("\0"))", "1"},
      {"-9223372036854775808", "-9223372036854775808"},
      {"-9223372036854775808 < 0", "true"},
  });
  EXPECT_NE(Eval("9223372036854775808", true).find("too large"), std::string::npos);
  EXPECT_NE(Eval(R"("\400")", true).find("octal"), std::string::npos);
  // The most negative integer prints and parses back to the same tree.
  auto e = Parse("x - -9223372036854775808");
  ASSERT_TRUE(e.ok());
  auto again = Parse(e->ToString());
  ASSERT_TRUE(again.ok()) << e->ToString();
  EXPECT_TRUE(e->SameTreeAs(*again));
}

TEST(FunctionsCompatTest, RegexpOptionsAndInlineFlags) {
  ExpectAll({
      {R"(regexp("(?i)alain", "ALAIN"))", "true"},
      {R"(regexp("a l a i n  # a comment", "alain", "x"))", "true"},
      {R"(regexp("a[ ]b", "a b", "x"))", "true"},
      {R"(regexp("alain.*roy", "Alain Aslag Roy", "i"))", "true"},
      {R"(regexp("a", "a", "q"))", "ERROR"},
  });
  EXPECT_TRUE(CheckRequirements(R"(regexp("(?i)gpu", Name))").ok());
  EXPECT_TRUE(CheckRequirements(R"(regexp("g p u", Name, "x"))").ok());
}

TEST(FunctionsCompatTest, StringListFunctions) {
  ExpectAll({
      {R"(stringListsIntersect("one,two", "two,three"))", "true"},
      {R"(stringListsIntersect("one;two", "two;three", ";"))", "true"},
      {R"(stringListsIntersect("one,two", "three,four"))", "false"},
      {R"(stringListsIntersect("one,two", undefined))", "UNDEFINED"},
      {R"(stringListMember("b", "a, b, c"))", "true"},
      {R"(stringListIMember("B", "a,b"))", "true"},
      {R"(stringListSize("a, b,,c"))", "3"},
      {R"(stringListSum("1,2,3"))", "6"},
      {R"(stringListSum("1,2.5"))", "3.5"},
      {R"(stringListAvg("1,2,3"))", "2.0"},
      {R"(stringListMin("3,1,2"))", "1"},
      {R"(stringListMax("3,1,2"))", "3"},
      {R"(stringListMax(""))", "UNDEFINED"},
      {R"(stringListSum("1,x"))", "ERROR"},
      {R"(stringListSubsetMatch("a,b", "c,b,a"))", "true"},
      {R"(stringListSubsetMatch("a,d", "c,b,a"))", "false"},
      {R"(stringListISubsetMatch("A,B", "c,b,a"))", "true"},
      {R"(stringListRegexpMember("^b", "aa,bb"))", "true"},
      {R"(stringListRegexpMember("^B", "aa,bb", ",", "i"))", "true"},
      {R"(split("a, b c"))", R"({"a", "b", "c"})"},
      {R"(split("a;b", ";"))", R"({"a", "b"})"},
      {R"(join(", ", "a", 1, true))", R"("a, 1, true")"},
      {R"(join({"a", "b"}))", R"("ab")"},
      {R"(join("-", {"a", "b"}))", R"("a-b")"},
      {R"(join("-", "a", undefined))", "UNDEFINED"},
  });
}

TEST(FunctionsCompatTest, PatternFunctions) {
  ExpectAll({
      {R"(regexpMember("b.*", {"aa", "bb"}))", "true"},
      {R"(regexpMember("b.*", {}))", "false"},
      {R"(regexpMember("b.*", {1, "bb"}))", "ERROR"},
      {R"(regexpMember("B", {"b"}, "i"))", "true"},
      {R"(regexps("[abc]*([def]*)[ghi]*", "aaadddggg", "\\1"))", R"("ddd")"},
      {R"~(regexps("([a-z]+)@([a-z]+)", "mail bob@host now", "\\2:\\1"))~", R"("host:bob")"},
      {R"(regexps("x", "abc", "\\0"))", R"("")"},
      {R"~(regexps("(a)", "abc", "\\2"))~", "ERROR"},
      {R"(replace("o", "foo boo", "0"))", R"("f0o boo")"},
      {R"(replaceAll("o", "foo boo", "0"))", R"("f00 b00")"},
      {R"(replaceAll("(\\w+)@", "a@ b@", "<\\1>"))", R"("<a> <b>")"},
      {R"(replace("x", "abc", "y"))", R"("abc")"},
  });
}

TEST(FunctionsCompatTest, ListComparisons) {
  ExpectAll({
      {R"(anyCompare("<", {1, 2, 3}, 2))", "true"},
      {R"(allCompare("<", {1, 2, 3}, 4))", "true"},
      {R"(allCompare("<", {1, 2, 3}, 3))", "false"},
      {R"(anyCompare("<", {}, 3))", "false"},
      {R"(allCompare("<", {}, 3))", "true"},
      {R"(anyCompare("==", {"A", "b"}, "a"))", "true"},
      {R"(anyCompare("is", {"A", "b"}, "a"))", "false"},
      {R"(allCompare(">=", {1, undefined}, 0))", "false"},
      {R"(anyCompare("<", {"a"}, 1))", "ERROR"},
      {R"(anyCompare("~", {1}, 1))", "ERROR"},
  });
}

TEST(FunctionsCompatTest, MathAndConversions) {
  ExpectAll({
      {"quantize(3, 4)", "4"},
      {"quantize(8, 4)", "8"},
      {"quantize(2.5, 2)", "4.0"},
      {"quantize(3, {2, 4, 8})", "4"},
      {"quantize(9, {2, 4, 8})", "16"},
      {"quantize(5, 0)", "5"},
      {"quantize(-9223372036854775808, -1)", "-9223372036854775808"},
      {"quantize(-3, 4)", "0"},
      {"log(1)", "0.0"},
      {"log(8, 2)", "3.0"},
      {"log(0)", "-inf"},
      {"bool(0)", "false"},
      {"bool(2.5)", "true"},
      {R"(bool("TRUE"))", "true"},
      {R"(bool("maybe"))", "UNDEFINED"},
      {"bool({})", "ERROR"},
      {"unparse(1 + 2)", "ERROR"},
      {"unparse(NoSuchAttribute)", R"("")"},
  });
  // unparse(attr) gives the attribute's text.
  auto e = Parse("unparse(Name)");
  ASSERT_TRUE(e.ok());
  Schema my, target;
  auto c = Compile(*e, my, target);
  ASSERT_TRUE(c.ok());
  Ad ad(&my);
  ad.SetString("Name", "gpu-1");
  EvalScratch scratch;
  EXPECT_EQ(Evaluate(*c, ad, nullptr, scratch).ToString(), R"("\"gpu-1\"")");
}

TEST(FunctionsCompatTest, VersionTests) {
  ExpectAll({
      {R"(versionLT("1.9", "1.10"))", "true"},
      {R"(versionLE("1.10", "1.10"))", "true"},
      {R"(versionGT("2.0", "1.99"))", "true"},
      {R"(versionGE("1.0", "1.1"))", "false"},
      {R"(versionEQ("1.2", "1.2"))", "true"},
      {R"(versionEQ(undefined, "1.2"))", "UNDEFINED"},
      {R"(version_in_range("8.9.3", "8.8", "9.0"))", "true"},
      {R"(version_in_range("9.1", "8.8", "9.0"))", "false"},
      {R"(versioncmp(10, "9"))", "1"},
  });
}

TEST(FunctionsCompatTest, TimeFunctionsReadTheScratchClock) {
  ExpectAll({
      {"time()", "1700000000"},
      {"absTime()", "1700000000"},
      {R"(absTime("1970-01-01T:00:00:01Z"))", "1"},
      {R"(absTime("1970-01-02T03:04:05-06:00"))", "119045"},
      {R"(absTime("2004-01-01"))", "1072915200"},
      {R"(absTime("19970830T160405-0500"))", "872975045"},
      {R"(absTime("yesterday"))", "ERROR"},
      {R"(absTime("2023-02-29"))", "ERROR"},
      {R"(absTime("2024-02-29"))", "1709164800"},
      {R"(relTime("01:00:01"))", "3601"},
      {R"(relTime("2+25:14:16.123"))", "263656.123"},
      {R"(relTime("1d2h3m4.5s"))", "93784.5"},
      {R"(relTime("2h"))", "7200"},
      {R"(relTime("-30m"))", "-1800"},
      {R"(relTime("soon"))", "ERROR"},
      {"time() - 3600 < relTime(\"2h\") + time()", "true"},
      {"formatTime(872975045, \"%m %d %Y %H:%M:%S\")", R"("08 30 1997 21:04:05")"},
      {"formatTime(872975045, \"%A %a %B %b\")", R"("Saturday Sat August Aug")"},
      {"formatTime(872975045)", R"("Sat Aug 30 21:04:05 1997")"},
      {"formatTime()", R"("Tue Nov 14 22:13:20 2023")"},
      {"interval(1)", R"("1")"},
      {"interval(121)", R"("2:01")"},
      {"interval(3600*3 + 121)", R"("3:02:01")"},
      {"interval(3600*24*4 + 3600*3 + 121)", R"("4+03:02:01")"},
      {"splitTime(97445)", "{1970, 1, 2, 3, 4, 5, 0}"},
  });
  // Not folded at compile time: the clock is read when evaluating.
  EXPECT_EQ(Eval("time()", true, 5), "5");
  EXPECT_EQ(Eval("formatTime()", true, 0), R"("Thu Jan  1 00:00:00 1970")");
  // One compiled expression, one scratch, a clock that moves.
  auto e = Parse("time() - Entered < relTime(\"2h\")");
  ASSERT_TRUE(e.ok());
  Schema my, target;
  auto c = Compile(*e, my, target);
  ASSERT_TRUE(c.ok());
  Ad ad(&my);
  ad.SetInt("Entered", kNow);
  SimulatedClock clock(kNow * kMicrosPerSecond);
  EvalScratch scratch;
  scratch.set_clock(&clock);
  EXPECT_TRUE(Evaluate(*c, ad, nullptr, scratch).IsTrue());
  clock.Advance(3 * kMicrosPerHour);
  EXPECT_TRUE(Evaluate(*c, ad, nullptr, scratch).IsFalse());
  // Without a clock, the system's: some time after this was written.
  EvalScratch unpinned;
  EXPECT_GT(unpinned.NowSeconds(), kNow);
}

}  // namespace
}  // namespace skyrun::expr
