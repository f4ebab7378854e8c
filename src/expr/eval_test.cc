#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "expr/ad_json.h"
#include "expr/compiled.h"
#include "expr/parser.h"

namespace skyrun::expr {
namespace {

struct Case {
  int line;
  std::string text;
  std::string expected;
  std::string my_json;
  std::string target_json;  // empty: no target
};

std::vector<Case> LoadCases(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::vector<Case> cases;
  std::string line, my = "{}", target;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("my:", 0) == 0) {
      my = line.substr(3);
      target.clear();
      continue;
    }
    if (line.rfind("target:", 0) == 0) {
      target = line.substr(7);
      continue;
    }
    size_t arrow = line.rfind(" => ");
    EXPECT_NE(arrow, std::string::npos) << path << ":" << number << ": no ' => '";
    if (arrow == std::string::npos) continue;
    cases.push_back({number, line.substr(0, arrow), line.substr(arrow + 4), my, target});
  }
  return cases;
}

// The value as the cases file writes it: ERROR(reason) when asked for.
bool Matches(const Value& v, const std::string& expected) {
  if (v.IsError()) {
    if (expected == "ERROR") return true;
    return expected == "ERROR(" + std::string(v.error_reason()) + ")";
  }
  return v.ToString() == expected;
}

std::string Show(const Value& v) {
  return v.IsError() ? "ERROR(" + std::string(v.error_reason()) + ")" : v.ToString();
}

TEST(EvalCasesTest, EveryCaseGivesTheExpectedValueOptimizedOrNot) {
  auto cases = LoadCases(std::string(EXPR_TESTDATA_DIR) + "/eval_cases.txt");
  ASSERT_GT(cases.size(), 300u);
  for (const Case& c : cases) {
    SCOPED_TRACE("eval_cases.txt:" + std::to_string(c.line) + ": " + c.text);
    auto expr = Parse(c.text);
    ASSERT_TRUE(expr.ok()) << expr.status().message();
    for (bool optimize : {true, false}) {
      Schema my_schema, target_schema;
      auto my = ParseAdJson(c.my_json, my_schema);
      ASSERT_TRUE(my.ok()) << my.status().message();
      my->Set("Err", Value::Error("test error"));
      std::optional<Ad> target;
      if (!c.target_json.empty()) {
        auto t = ParseAdJson(c.target_json, target_schema);
        ASSERT_TRUE(t.ok()) << t.status().message();
        t->Set("Err", Value::Error("test error"));
        target.emplace(std::move(t).value());
      }
      auto compiled = Compile(*expr, my_schema, target_schema, {.optimize = optimize});
      ASSERT_TRUE(compiled.ok());
      EvalScratch scratch;
      Value v = Evaluate(*compiled, *my, target ? &*target : nullptr, scratch);
      EXPECT_TRUE(Matches(v, c.expected))
          << (optimize ? "optimized" : "unoptimized") << ": got " << Show(v) << ", want " << c.expected;
    }
  }
}

TEST(EvalTest, AdsFromAnotherSchemaGiveError) {
  Schema a, b, other;
  auto e = Parse("Cpus > 1");
  ASSERT_TRUE(e.ok());
  auto c = Compile(*e, a, b);
  ASSERT_TRUE(c.ok());
  Ad wrong(&other);
  wrong.SetInt("Cpus", 4);
  EvalScratch scratch;
  EXPECT_TRUE(Evaluate(*c, wrong, nullptr, scratch).IsError());
  Ad right(&a);
  right.SetInt("Cpus", 4);
  EXPECT_TRUE(Evaluate(*c, right, nullptr, scratch).IsTrue());
}

TEST(EvalTest, AttributesAddedToTheSchemaLaterReadUndefined) {
  Schema my, target;
  Ad early(&my);
  early.SetInt("Cpus", 4);
  auto e = Parse("isUndefined(Gpus) && Cpus == 4");
  ASSERT_TRUE(e.ok());
  auto c = Compile(*e, my, target);  // interns Gpus after `early` was filled
  ASSERT_TRUE(c.ok());
  EvalScratch scratch;
  EXPECT_TRUE(Evaluate(*c, early, nullptr, scratch).IsTrue());
}

TEST(EvalTest, FoldingAndFusionShowInTheCompiledForm) {
  Schema my, target;
  auto constant = Parse("40GiB * 2 > 1000 && member(\"US\", {\"us\", \"de\"})");
  ASSERT_TRUE(constant.ok());
  auto c = Compile(*constant, my, target);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->is_constant());
  auto unopt = Compile(*constant, my, target, {.optimize = false});
  ASSERT_TRUE(unopt.ok());
  EXPECT_FALSE(unopt->is_constant());
}

TEST(EvalTest, ResultsOutliveTheAdsWhenCopiedIntoAnAd) {
  Schema s, t;
  auto e = Parse("strcat(Name, \"-x\")");
  ASSERT_TRUE(e.ok());
  auto c = Compile(*e, s, t);
  ASSERT_TRUE(c.ok());
  Ad ad(&s);
  ad.SetString("Name", "n1");
  EvalScratch scratch;
  Value v = Evaluate(*c, ad, nullptr, scratch);
  Ad copy(&s);
  copy.Set("Result", v);
  scratch.Reset();
  Value again = Evaluate(*c, ad, nullptr, scratch);  // reuses the scratch memory
  EXPECT_EQ(again.ToString(), "\"n1-x\"");
  EXPECT_EQ(copy.Get("result").ToString(), "\"n1-x\"");
}

TEST(EvalTest, PatternsFromAdsGiveTheSameAnswersOnEveryUse) {
  // The scratch keeps the last pattern compiled and compiles again when the
  // pattern changes; the answers must not depend on what came before.
  Schema s, t;
  auto e = Parse("regexp(Pattern, Model, \"i\")");
  ASSERT_TRUE(e.ok());
  auto c = Compile(*e, s, t);
  ASSERT_TRUE(c.ok());
  EvalScratch scratch;
  const std::pair<const char*, const char*> cases[] = {{"^a100", "A100-80GB"},
                                                       {"^a100", "H100"},
                                                       {"^a100", "a100"},
                                                       {"h100$", "NVIDIA H100"},
                                                       {"h100$", "H100-80GB"},
                                                       {"h100$", "h100"},
                                                       {"(", "x"},
                                                       {"(", "x"},
                                                       {"x", "X"}};
  const bool want[] = {true, false, true, true, false, true, false, false, true};
  for (int round = 0; round < 2; ++round) {
    for (size_t k = 0; k < std::size(cases); ++k) {
      Ad ad(&s);
      ad.SetString("Pattern", cases[k].first);
      ad.SetString("Model", cases[k].second);
      Value v = Evaluate(*c, ad, nullptr, scratch);
      if (std::string_view(cases[k].first) == "(") {
        EXPECT_TRUE(v.IsError()) << k;
      } else {
        EXPECT_EQ(v.IsTrue(), want[k]) << cases[k].first << " " << cases[k].second;
      }
    }
  }
}

TEST(EvalTest, RunawayStringGrowthIsErrorNotExhaustion) {
  // strcat of strcats of a 100 kB attribute: 91 x 91 copies, about 830 MB if
  // unchecked; the scratch budget turns it into ERROR.
  std::string inner = "strcat(S";
  for (int k = 0; k < 90; ++k) inner += ", S";
  inner += ")";
  std::string outer = "strcat(" + inner;
  for (int k = 0; k < 90; ++k) outer += ", " + inner;
  outer += ")";
  auto e = Parse(outer);
  ASSERT_TRUE(e.ok()) << e.status().message();
  Schema s, t;
  auto c = Compile(*e, s, t);
  ASSERT_TRUE(c.ok());
  Ad ad(&s);
  ad.SetString("S", std::string(100000, 'x'));
  EvalScratch scratch;
  Value v = Evaluate(*c, ad, nullptr, scratch);
  ASSERT_TRUE(v.IsError());
  EXPECT_STREQ(v.error_reason(), "value too large");
  ad.SetString("S", "x");  // the same expression on a small value is fine
  EXPECT_EQ(Evaluate(*c, ad, nullptr, scratch).AsString().size(), 91u * 91u);
}

}  // namespace
}  // namespace skyrun::expr
