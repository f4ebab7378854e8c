#include "expr/regex.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

#include <functional>
#include <random>
#include <regex>

namespace skyrun::expr {
namespace {

bool Search(const char* pattern, std::string_view text, const char* options = "") {
  auto o = ParseRegexOptions(options);
  EXPECT_TRUE(o.ok());
  auto re = Regex::Compile(pattern, *o);
  EXPECT_TRUE(re.ok()) << pattern << ": " << re.status().ToString();
  return re.ok() && re->Search(text);
}

TEST(RegexTest, AlternationSearchesAnywhere) {
  EXPECT_TRUE(Search("A100|H100", "NVIDIA A100-SXM4-80GB"));
  EXPECT_TRUE(Search("A100|H100", "H100"));
  EXPECT_FALSE(Search("A100|H100", "V100"));
  EXPECT_FALSE(Search("A100|H100", ""));
}

TEST(RegexTest, Anchors) {
  EXPECT_TRUE(Search("^A100$", "A100"));
  EXPECT_FALSE(Search("^A100$", "A100-80GB"));
  EXPECT_FALSE(Search("^A100", "xA100"));
  EXPECT_TRUE(Search("80GB$", "A100-80GB"));
  EXPECT_FALSE(Search("a$", "a\nb"));
  EXPECT_TRUE(Search("a$", "a\nb", "m"));
  EXPECT_TRUE(Search("^b", "a\nb", "m"));
  EXPECT_FALSE(Search("^b", "a\nb"));
  EXPECT_TRUE(Search("", "anything"));
  EXPECT_TRUE(Search("^$", ""));
  EXPECT_FALSE(Search("^$", "x"));
}

TEST(RegexTest, ClassesAndRepetition) {
  EXPECT_TRUE(Search("^[A-Z][0-9]{3}$", "A100"));
  EXPECT_FALSE(Search("^[A-Z][0-9]{3}$", "A10"));
  EXPECT_TRUE(Search("^[A-Z][0-9]{2,3}$", "A10"));
  EXPECT_FALSE(Search("^[A-Z][0-9]{2,3}$", "A1000"));
  EXPECT_TRUE(Search("^\\d+GB$", "80GB"));
  EXPECT_TRUE(Search("^[^-]+-", "A100-80GB"));
  EXPECT_FALSE(Search("^[^-]+-", "A100"));
  EXPECT_TRUE(Search("^[[:alpha:]]+$", "abc"));
  EXPECT_TRUE(Search("^(ab)+c?$", "ababab"));
  EXPECT_FALSE(Search("^(ab)+c?$", "aba"));
  EXPECT_TRUE(Search("^a.c$", "abc"));
  EXPECT_FALSE(Search("^a.c$", "a\nc"));
  EXPECT_TRUE(Search("^a.c$", "a\nc", "s"));
  EXPECT_TRUE(Search("^x{2,}$", "xxxx"));
  EXPECT_TRUE(Search("a{,", "a{,"));  // not a repetition: literal, as in PCRE
  EXPECT_TRUE(Search("^\\.\\*$", ".*"));
  EXPECT_TRUE(Search("(?:a|b)*?c", "abababc"));
}

TEST(RegexTest, IgnoreCase) {
  EXPECT_FALSE(Search("a100", "A100"));
  EXPECT_TRUE(Search("a100", "A100", "i"));
  EXPECT_TRUE(Search("^[a-c]+$", "ABC", "i"));
  EXPECT_FALSE(Search("^[^a]$", "A", "i"));
}

// Each of these takes exponential time in a backtracking engine (std::regex,
// PCRE without limits) on these texts; RE2's automata take one pass. Without
// linear matching the test would not finish within ctest's timeout.
TEST(RegexTest, PathologicalPatternsStayLinear) {
  std::string text(5000, 'a');
  EXPECT_FALSE(Search("^(a+)+b$", text));
  EXPECT_FALSE(Search("(a|aa)*c", text));
  EXPECT_FALSE(Search("^(a|a?)+$", text + "b"));
  EXPECT_FALSE(Search("(x+x+)+y", std::string(5000, 'x')));
  // A pattern whose DFA has 2^21 states: RE2 runs out of its DFA budget on a
  // long random text and goes on with NFA simulation, which is still linear.
  std::mt19937 rng(7);
  std::string ab(200000, 'a');
  for (char& c : ab) c = (rng() & 1) ? 'a' : 'b';
  auto re = Regex::Compile("(a|b)*a(a|b){20}c", {});
  ASSERT_TRUE(re.ok()) << re.status().message();
  EXPECT_FALSE(re->Search(ab));
  EXPECT_TRUE(re->Search(ab + "a" + std::string(20, 'b') + "c"));
}

TEST(RegexTest, BackReferencesAndLookAroundAreRefusedWithAReason) {
  auto message = [](const char* p) {
    auto re = Regex::Compile(p, {});
    EXPECT_FALSE(re.ok()) << p;
    return re.ok() ? std::string() : re.status().message();
  };
  EXPECT_EQ(
      message("(a)\\1"),
      "back-reference '\\1' is not supported: regexp() matches in linear time, which back-references rule "
      "out; spell out the repeated text instead at offset 3 of the pattern");
  EXPECT_NE(message("(?P<x>a)(?P=x)").find("back-reference"), std::string::npos);
  EXPECT_NE(message("(?P<n>a)\\k<n>").find("back-reference"), std::string::npos);
  EXPECT_EQ(
      message("A100(?=-80GB)"),
      "look-around '(?=' is not supported: regexp() matches in linear time, which look-around rules out at "
      "offset 4 of the pattern");
  EXPECT_NE(message("(?!a)b").find("look-around"), std::string::npos);
  EXPECT_NE(message("(?<=a)b").find("look-around"), std::string::npos);
  // The type checker says the same at submission.
  EXPECT_FALSE(Regex::Validate("(a)\\1", {}).ok());
  EXPECT_TRUE(Regex::Validate("(a)\\d", {}).ok());
}

TEST(RegexTest, OptionsMapToRe2) {
  EXPECT_TRUE(Search("^gpu$", "GPU", "i"));
  EXPECT_TRUE(Search("^gpu$", "GPU", "I"));
  EXPECT_FALSE(Search("^a.b$", "a\nb", "i"));
  EXPECT_TRUE(Search("^a.b$", "a\nb", "is"));
  EXPECT_TRUE(Search("^b$", "a\nb\nc", "m"));
  EXPECT_TRUE(Search("^B$", "a\nb\nc", "mi"));
  EXPECT_FALSE(Search("^b$", "a\nb\nc", "s"));
  // Bytes are bytes: a text that is not UTF-8 is searched all the same.
  EXPECT_TRUE(Search("^\\xff.x$", std::string_view("\xff\xfex", 3)));
  auto o = ParseRegexOptions("ims");
  ASSERT_TRUE(o.ok());
  EXPECT_TRUE(o->ignore_case && o->multiline && o->dot_all);
  auto bad = ParseRegexOptions("iq");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(
      bad.status().message(),
      "unknown regexp option 'q': the options are i (ignore case), m (multi-line), s (. matches newline), "
      "x (extended)");
  auto x = ParseRegexOptions("x");
  ASSERT_TRUE(x.ok());
  EXPECT_TRUE(Search("a b # comment\n c", "abc", "x"));
  EXPECT_TRUE(Search("a\\ b", "a b", "x"));  // an escaped space stays
  EXPECT_TRUE(Search("(?i)abc", "ABC"));
}

TEST(RegexTest, WordBoundaries) {
  EXPECT_TRUE(Search("\\bA100\\b", "NVIDIA A100 80GB"));
  EXPECT_FALSE(Search("\\bA10\\b", "NVIDIA A100 80GB"));
}

// Differential test against std::regex (ECMAScript) on random patterns over a
// small alphabet: for the shared syntax, "matches somewhere" must agree.
TEST(RegexTest, AgreesWithStdRegexOnRandomPatterns) {
  std::mt19937 rng(20240601);  // fixed: the same cases every run
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::function<std::string(int)> gen = [&](int depth) -> std::string {
    const char* atoms[] = {"a", "b", "c", ".", "[ab]", "[^a]", "\\d", "x"};
    std::string out;
    int parts = 1 + pick(3);
    for (int k = 0; k < parts; ++k) {
      std::string atom = (depth < 3 && pick(4) == 0) ? "(" + gen(depth + 1) + ")" : atoms[pick(8)];
      const char* quant[] = {"", "", "", "*", "+", "?", "{1,2}", "{2}"};
      out += atom + quant[pick(8)];
    }
    if (depth < 3 && pick(5) == 0) out += "|" + gen(depth + 1);
    return out;
  };
  int compared = 0;
  for (int k = 0; k < 1500; ++k) {
    std::string pattern = gen(0);
    if (pick(6) == 0) pattern = "^" + pattern;
    if (pick(6) == 0) pattern += "$";
    auto re = Regex::Compile(pattern, {});
    ASSERT_TRUE(re.ok()) << pattern << ": " << re.status().message();
    std::regex reference(pattern, std::regex::ECMAScript);
    for (int t = 0; t < 8; ++t) {
      std::string text;
      int len = pick(8);
      for (int i = 0; i < len; ++i) text.push_back("abcx1"[pick(5)]);
      ASSERT_EQ(re->Search(text), std::regex_search(text, reference))
          << "pattern " << pattern << " text " << text;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 12000);
}

TEST(RegexTest, LiteralPatternsSkipRe2) {
  auto literal = [](const char* pattern, const char* options = "") {
    auto re = Regex::Compile(pattern, *ParseRegexOptions(options));
    EXPECT_TRUE(re.ok()) << pattern;
    return re.ok() && re->is_literal();
  };
  EXPECT_TRUE(literal("A100|H100"));
  EXPECT_TRUE(literal("^(a100|h100)-", "i"));
  EXPECT_TRUE(literal("^A100$"));
  EXPECT_TRUE(literal("a\\.b(?:c|d)(e|)$|^x"));
  EXPECT_TRUE(literal(""));
  EXPECT_FALSE(literal("A10."));
  EXPECT_FALSE(literal("a*"));
  EXPECT_FALSE(literal("(a|b)+"));
  EXPECT_FALSE(literal("(?i)a100"));
  EXPECT_FALSE(literal("\\d"));
  EXPECT_FALSE(literal("a{,"));
  EXPECT_FALSE(literal("a^b"));
  EXPECT_FALSE(literal("a$b"));
  EXPECT_FALSE(literal("((a))"));
  EXPECT_FALSE(literal("caf\xe9"));
  EXPECT_FALSE(literal("A100", "m"));
  EXPECT_FALSE(literal("A100", "x"));
  // Past kMaxLiteralAlternatives after expanding the groups: RE2.
  EXPECT_FALSE(literal("(a|b)(c|d)(e|f)(g|h)(i|j)(k|l)"));
  EXPECT_TRUE(literal("(a|b)(c|d)(e|f)(g|h)(i|j)"));
}

TEST(RegexTest, LiteralSearchAgreesWithRe2) {
  // Random literal-looking patterns against texts with case variants,
  // newlines (RE2's $ is the end of the text, not before a last newline) and
  // Latin-1 letters (0xC1/0xE1, which RE2 folds into each other under i): the
  // literal search must answer as RE2 does, with the same options.
  std::mt19937 rng(20261202);  // fixed: the same cases every run
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  const char* atoms[] = {"a", "A", "b", "1", "-", "\\.", ".", "\\(", " ", "a*"};
  auto word = [&] {
    std::string w;
    for (int n = pick(4); n > 0; --n) w += atoms[pick(9 + (pick(8) == 0))];  // rarely "a*": not literal
    return w;
  };
  int literal = 0;
  int compared = 0;
  for (int k = 0; k < 3000; ++k) {
    std::string pattern;
    for (int alt = pick(3); alt >= 0; --alt) {
      if (!pattern.empty()) pattern += "|";
      if (pick(3) == 0) pattern += "^";
      pattern += word();
      if (pick(3) == 0) {
        pattern += pick(2) ? "(?:" : "(";
        for (int g = pick(3); g >= 0; --g) pattern += word() + (g ? "|" : "");
        pattern += ")" + word();
      }
      if (pick(3) == 0) pattern += "$";
    }
    const bool ignore_case = pick(2) == 0;
    RegexOptions options;
    options.ignore_case = ignore_case;
    auto re = Regex::Compile(pattern, options);
    ASSERT_TRUE(re.ok()) << pattern << ": " << re.status().message();
    literal += re->is_literal() ? 1 : 0;
    RE2::Options o;
    o.set_encoding(RE2::Options::EncodingLatin1);
    o.set_case_sensitive(!ignore_case);
    o.set_log_errors(false);
    RE2 reference(pattern, o);
    ASSERT_TRUE(reference.ok()) << pattern;
    for (int t = 0; t < 12; ++t) {
      std::string text;
      for (int n = pick(9); n > 0; --n) text.push_back("aAb1-. (\n\xC1\xE1"[pick(11)]);
      ASSERT_EQ(re->Search(text), RE2::PartialMatch(text, reference))
          << "pattern '" << pattern << "' text '" << text << "' i=" << ignore_case;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 36000);
  EXPECT_GT(literal, 1000);  // many cases exercise the literal search
}

TEST(RegexTest, ErrorsSayWhatAndWhere) {
  auto bad = [](const char* p) {
    auto re = Regex::Compile(p, {});
    EXPECT_FALSE(re.ok()) << p;
    return re.ok() ? std::string() : re.status().message();
  };
  EXPECT_EQ(bad("(ab"), "missing ')' for the '(' at offset 0 of the pattern");
  EXPECT_EQ(bad("ab)"), "unmatched ')' at offset 2 of the pattern");
  EXPECT_EQ(bad("*a"), "nothing to repeat before '*' at offset 0 of the pattern");
  EXPECT_EQ(bad("a(b(c)"), "missing ')' for the '(' at offset 1 of the pattern");
  EXPECT_EQ(bad("[)](x"),
            "missing ')' for the '(' at offset 3 of the pattern");  // a ')' in a class pairs nothing
  EXPECT_EQ(bad("\\((a))"), "unmatched ')' at offset 5 of the pattern");
  EXPECT_EQ(bad("x[a-"), "missing ']' for the class '[a-' at offset 1 of the pattern");
  EXPECT_EQ(
      bad("a{5,2}"),
      "invalid repetition '{5,2}' (counts go up to 1000, the smaller first) at offset 1 of the pattern");
  EXPECT_EQ(
      bad("a{1001}"),
      "invalid repetition '{1001}' (counts go up to 1000, the smaller first) at offset 1 of the pattern");
  EXPECT_EQ(bad("[z-a]"), "invalid character range 'z-a' at offset 1 of the pattern");
  EXPECT_EQ(
      bad("a*+"),
      "bad repetition operator '*+' (possessive quantifiers are not supported) at offset 1 of the pattern");
  EXPECT_EQ(bad("a\\"), "the pattern ends with a lone '\\'");
  EXPECT_EQ(bad("\\xZZ"), "invalid escape sequence '\\xZZ' at offset 0 of the pattern");
  // Too large a program: refused at compile time, not at match time.
  EXPECT_NE(bad("((a{100}){100}){100}").find("invalid repetition"), std::string::npos);
  std::string huge;
  for (int k = 0; k < 100; ++k) huge += "[a-q][^u-z]{1000}";
  EXPECT_EQ(bad(huge.c_str()), "the pattern is too large (its compiled form would exceed 2 MiB)");
  EXPECT_FALSE(ParseRegexOptions("q").ok());
}

}  // namespace
}  // namespace skyrun::expr
