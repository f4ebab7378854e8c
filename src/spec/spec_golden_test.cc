// Data-driven tests of the spec parser: every tests/specs/good/*.yaml parses
// and its canonical JSON equals good/NAME.yaml.json; every
// tests/specs/bad/*.yaml is refused with exactly the problems (ToString, one
// per line) in bad/NAME.yaml.golden. A new case is a new pair of files.
// SKYRUN_UPDATE_GOLDEN=1 rewrites the golden files (review the diff!).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "spec/spec_parser.h"
#include "support/golden.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;

fs::path SpecsDir() {
  return (test_support::SourceDir() / "tests" / "specs").lexically_normal();
}

std::vector<std::string> YamlFiles(const std::string& kind) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(SpecsDir() / kind, ec)) {
    if (entry.path().extension() == ".yaml") out.push_back(entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string TestName(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param.substr(0, info.param.size() - 5);
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

class GoodSpecTest : public testing::TestWithParam<std::string> {};
class BadSpecTest : public testing::TestWithParam<std::string> {};

TEST_P(GoodSpecTest, ParsesToGoldenJson) {
  fs::path file = SpecsDir() / "good" / GetParam();
  SpecParseResult result = ParseJobSpecs(test_support::ReadFileOrEmpty(file), GetParam());
  for (const auto& problem : result.problems) ADD_FAILURE() << problem.ToString();
  ASSERT_TRUE(result.ok());
  ASSERT_FALSE(result.specs.empty());
  nlohmann::json specs = nlohmann::json::array();
  for (const auto& spec : result.specs) specs.push_back(SpecToJson(spec));
  test_support::ExpectMatchesGolden(file.string() + ".json", specs.dump(2) + "\n");
}

TEST_P(BadSpecTest, RefusedWithGoldenProblems) {
  fs::path file = SpecsDir() / "bad" / GetParam();
  SpecParseResult result = ParseJobSpecs(test_support::ReadFileOrEmpty(file), GetParam());
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.specs.empty()) << "a refused file yields no spec";
  std::string lines;
  for (const auto& problem : result.problems) {
    lines += problem.ToString() + "\n";
    EXPECT_EQ(problem.file, GetParam());
    EXPECT_FALSE(problem.message.empty());
  }
  test_support::ExpectMatchesGolden(file.string() + ".golden", lines);
}

INSTANTIATE_TEST_SUITE_P(Specs, GoodSpecTest, testing::ValuesIn(YamlFiles("good")), TestName);
INSTANTIATE_TEST_SUITE_P(Specs, BadSpecTest, testing::ValuesIn(YamlFiles("bad")), TestName);

// The folders are found and hold the cases (a wrong path must not pass as "no cases").
TEST(SpecFoldersTest, HoldCases) {
  EXPECT_GE(YamlFiles("good").size(), 5u) << SpecsDir();
  EXPECT_GE(YamlFiles("bad").size(), 20u) << SpecsDir();
  for (const char* kind : {"good", "bad"}) {
    for (const auto& entry : fs::directory_iterator(SpecsDir() / kind)) {
      std::string name = entry.path().filename().string();
      bool known = entry.path().extension() == ".yaml" || name.ends_with(".yaml.json") ||
                   name.ends_with(".yaml.golden");
      EXPECT_TRUE(known) << "unexpected file " << entry.path();
      if (name.ends_with(".json") || name.ends_with(".golden")) {
        fs::path yaml = entry.path().parent_path() / name.substr(0, name.rfind('.'));
        EXPECT_TRUE(fs::exists(yaml)) << "golden without its spec: " << entry.path();
      }
    }
  }
}

}  // namespace
}  // namespace skyrun
