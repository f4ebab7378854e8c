// HTCondor's own ClassAd test vectors (testdata/htcondor/functional_tests.txt,
// see PROVENANCE.md there) evaluated with skyrun's expression language. Each
// `same A, B` / `diff A, B` line is one vector. Vectors that need a feature
// only HTCondor has (nested ads and `.attr` selection, absTime/relTime
// values, eval(), XML) are counted and skipped; every other one must give
// HTCondor's answer or be listed in kDocumentedDifferences (mirrored in
// docs/expressions.md, "Compared with ClassAds").
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "expr/compiled.h"
#include "expr/parser.h"

namespace skyrun::expr {
namespace {

struct Difference {
  int line;
  const char* why;
};

// Where skyrun answers differently on purpose, by line of functional_tests.txt.
constexpr Difference kDocumentedDifferences[] = {
    {16,
     "=?= holds between two NaNs in skyrun (so a value is always identical to itself, which the "
     "optimizer's checks rely on); HTCondor's SameAs says NaN differs from NaN"},
};

// Where HTCondor's library at that commit no longer gives the file's answer,
// the library's answer is what users see (README of the data): line -> the
// library's value.
const std::map<int, std::string> kLibraryAnswers = {
    {235, "0"},  // sum({}) is 0
    {236, "0"},  // avg({}) is 0
};

struct Vector {
  int line = 0;
  bool same = true;
  std::string a, b;
  std::string htcondor_only;  // why it is skipped; empty when skyrun evaluates it
};

// The first comma outside strings and brackets, or npos.
size_t TopLevelComma(const std::string& s) {
  int depth = 0;
  bool in_string = false;
  for (size_t k = 0; k < s.size(); ++k) {
    char c = s[k];
    if (in_string) {
      if (c == '\\') {
        ++k;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == ')' || c == ']' || c == '}') {
      --depth;
    } else if (c == ',' && depth == 0) {
      return k;
    }
  }
  return std::string::npos;
}

int Balance(const std::string& s) {
  int depth = 0;
  bool in_string = false;
  for (size_t k = 0; k < s.size(); ++k) {
    char c = s[k];
    if (in_string) {
      if (c == '\\') ++k;
      if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == ')' || c == ']' || c == '}') {
      --depth;
    }
  }
  return depth;
}

// HTCondor's tester parses the longest expression and ignores what follows
// (a few lines end in a stray ')' or ';'): drop such a tail.
std::string DropTrailingJunk(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == ';' || (s.back() == ')' && Balance(s) < 0)))
    s.pop_back();
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::string WhyHtcondorOnly(const std::string& text) {
  static const std::regex kAdLiteral(R"((^|[(,{=\[])\s*\[)");
  static const std::regex kSelection(R"([)\]}]\s*\.\s*[A-Za-z_])");
  static const std::regex kTimeValue(R"((abstime|reltime)\s*\()", std::regex::icase);
  static const std::regex kEval(R"((^|[^A-Za-z_])eval\s*\()", std::regex::icase);
  if (std::regex_search(text, kAdLiteral)) return "nested ads";
  if (std::regex_search(text, kSelection)) return "attribute selection on nested ads";
  if (std::regex_search(text, kTimeValue)) return "absTime/relTime values";
  if (std::regex_search(text, kEval)) return "eval()";
  return "";
}

// `text` with each $name replaced by its binding in parentheses (bindings
// were substituted when made, so this is one pass). A name bound by readxml
// (or not at all) sets *why to "XML".
std::string Substitute(const std::string& rest, const std::map<std::string, std::string>& bindings,
                       std::string* why) {
  std::string text;
  for (size_t k = 0; k < rest.size(); ++k) {
    if (rest[k] != '$') {
      text += rest[k];
      continue;
    }
    size_t e = k + 1;
    while (e < rest.size() && (std::isalnum(static_cast<unsigned char>(rest[e])) || rest[e] == '_')) ++e;
    auto it = bindings.find(rest.substr(k + 1, e - k - 1));
    if (it == bindings.end() || it->second.empty()) *why = "XML";
    text += "(" + (it == bindings.end() ? std::string("UNDEFINED") : it->second) + ")";
    k = e - 1;
  }
  return text;
}

std::vector<Vector> LoadVectors(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::map<std::string, std::string> bindings;  // eval x = ...; "" for XML-read ones
  std::vector<Vector> out;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const int first = number;
    // A command continues while its brackets are open (multi-line ads and lists).
    while (Balance(line) > 0) {
      std::string more;
      if (!std::getline(in, more)) break;
      ++number;
      line += "\n" + more;
    }
    std::string t = Trim(line);
    auto word_end = t.find_first_of(" \t");
    std::string command = t.substr(0, word_end);
    std::string rest = word_end == std::string::npos ? "" : Trim(t.substr(word_end));
    if (command == "eval") {
      size_t eq = rest.find('=');
      std::string unused;
      if (eq != std::string::npos)
        bindings[Trim(rest.substr(0, eq))] = Substitute(Trim(rest.substr(eq + 1)), bindings, &unused);
      continue;
    }
    if (command == "readxml") {
      bindings[rest.substr(0, rest.find(' '))] = "";
      continue;
    }
    if (command != "same" && command != "diff") continue;
    Vector v;
    v.line = first;
    v.same = command == "same";
    std::string text = Substitute(rest, bindings, &v.htcondor_only);
    size_t comma = TopLevelComma(text);
    EXPECT_NE(comma, std::string::npos) << path << ":" << first << ": no comma";
    if (comma == std::string::npos) continue;
    v.a = Trim(text.substr(0, comma));
    v.b = DropTrailingJunk(Trim(text.substr(comma + 1)));
    if (v.htcondor_only.empty()) v.htcondor_only = WhyHtcondorOnly(text);
    out.push_back(std::move(v));
  }
  return out;
}

// `text` compiled and evaluated alone. The value points into the compiled
// expression and the scratch, so both live here.
struct Evaluation {
  std::optional<CompiledExpr> compiled;
  EvalScratch scratch;
  Value value;
  std::string error;  // set when the text does not parse
};

void EvaluateAlone(const std::string& text, bool optimize, Evaluation* out) {
  auto expr = Parse(text);
  if (!expr.ok()) {
    out->error = expr.status().message();
    out->value = Value::Error("parse error");
    return;
  }
  static Schema my, target;
  auto compiled = Compile(*expr, my, target, {.optimize = optimize});
  if (!compiled.ok()) {
    out->error = compiled.status().message();
    out->value = Value::Error("compile error");
    return;
  }
  out->compiled.emplace(std::move(compiled).value());
  static Ad empty(&my);
  static const SimulatedClock clock(int64_t{1700000000} * kMicrosPerSecond);
  out->scratch.set_clock(&clock);
  out->value = Evaluate(*out->compiled, empty, nullptr, out->scratch);
}

TEST(ClassAdConformanceTest, VectorsAgreeWithHtcondorOrAreDocumented) {
  auto vectors = LoadVectors(std::string(EXPR_TESTDATA_DIR) + "/htcondor/functional_tests.txt");
  std::map<int, const char*> documented;
  for (const Difference& d : kDocumentedDifferences) documented[d.line] = d.why;
  std::map<std::string, int> skipped;
  int evaluated = 0, agree = 0, differ_documented = 0;
  for (const Vector& v : vectors) {
    if (!v.htcondor_only.empty()) {
      ++skipped[v.htcondor_only];
      EXPECT_FALSE(documented.count(v.line))
          << "line " << v.line << " is skipped, yet listed as a difference";
      continue;
    }
    ++evaluated;
    SCOPED_TRACE("functional_tests.txt:" + std::to_string(v.line) + ": " + (v.same ? "same " : "diff ") +
                 v.a + ", " + v.b);
    std::string b = v.b;
    if (auto it = kLibraryAnswers.find(v.line); it != kLibraryAnswers.end()) b = it->second;
    bool agrees = false;
    for (bool optimize : {true, false}) {
      Evaluation ea, eb;
      EvaluateAlone(v.a, optimize, &ea);
      EvaluateAlone(b, optimize, &eb);
      EXPECT_EQ(ea.error + eb.error, "") << "does not parse";
      const Value& x = ea.value;
      const Value& y = eb.value;
      bool ok = Identical(x, y) == v.same;
      if (optimize) {
        agrees = ok;
      } else {
        EXPECT_EQ(ok, agrees) << "the optimizer changed the answer";
      }
      if (optimize && !ok && !documented.count(v.line)) {
        ADD_FAILURE() << "differs from HTCondor: " << v.a << " is " << x.ToString() << " ("
                      << x.error_reason() << "), " << b << " is " << y.ToString();
      }
    }
    if (agrees) {
      ++agree;
      EXPECT_FALSE(documented.count(v.line)) << "agrees now: remove it from kDocumentedDifferences";
    } else if (documented.count(v.line)) {
      ++differ_documented;
    }
  }
  int skipped_total = 0;
  std::string skipped_text;
  for (const auto& [why, n] : skipped) {
    skipped_total += n;
    skipped_text += "  " + std::to_string(n) + " need " + why + "\n";
  }
  std::printf(
      "HTCondor ClassAd vectors: %zu in all; %d need an HTCondor-only feature:\n%s"
      "%d evaluated: %d agree with HTCondor, %d differ as documented\n",
      vectors.size(), skipped_total, skipped_text.c_str(), evaluated, agree, differ_documented);
  EXPECT_EQ(static_cast<int>(vectors.size()), 227);
  EXPECT_EQ(evaluated, 149);  // the issue's count of vectors that need no HTCondor-only feature
  EXPECT_GE(agree, 140);
  EXPECT_EQ(agree + differ_documented, evaluated);
}

}  // namespace
}  // namespace skyrun::expr
