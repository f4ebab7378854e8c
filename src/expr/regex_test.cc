#include "expr/regex.h"

#include <gtest/gtest.h>

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

TEST(RegexTest, PathologicalPatternsStayLinear) {
  // Exponential for backtracking engines; a DFA does not care.
  std::string text(5000, 'a');
  EXPECT_FALSE(Search("^(a+)+b$", text));
  EXPECT_FALSE(Search("(a|aa)*c", text));
  // A pattern whose DFA would be huge falls back to NFA simulation.
  auto re = Regex::Compile("(a|b)*a(a|b){12}", {});
  ASSERT_TRUE(re.ok());
  EXPECT_EQ(re->dfa_states(), 0u);
  EXPECT_TRUE(re->Search("aaaaaaaaaaaaaaaa"));
  EXPECT_FALSE(re->Search("abbbbbbbbbbb"));
  EXPECT_TRUE(re->Search("babbbbbbbbbbbb"));
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
      ASSERT_EQ(re->Search(text), std::regex_search(text, reference)) << "pattern " << pattern << " text " << text;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 12000);
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
  EXPECT_NE(bad("[a-"), "");
  EXPECT_NE(bad("(\\1)"), "");
  EXPECT_NE(bad("a{5,2}"), "");
  EXPECT_NE(bad("[z-a]"), "");
  EXPECT_NE(bad("a*+"), "");
  EXPECT_NE(bad("(?=a)"), "");
  EXPECT_FALSE(ParseRegexOptions("q").ok());
}

}  // namespace
}  // namespace skyrun::expr
