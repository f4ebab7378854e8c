// Tests of `skyrun validate` through RunValidate (the streams injected); the
// CLI11 registration is tested in src/cli/module_commands_test.cc.
#include "spec/spec_cli.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>

#include "nlohmann/json.hpp"
#include "support/golden.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;

std::string SpecPath(const std::string& kind, const std::string& name) {
  return (test_support::SourceDir() / "tests" / "specs" / kind / name).lexically_normal().string();
}

struct Outcome {
  int code;
  std::string out, err;
};

Outcome Validate(const std::string& path, bool json, const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  int code = RunValidate(path, json, in, out, err);
  return {code, out.str(), err.str()};
}

TEST(ValidateCommandTest, GoodFilePrintsOkAndASummaryPerJob) {
  std::string path = SpecPath("good", "pipeline.yaml");
  Outcome run = Validate(path, false);
  EXPECT_EQ(run.code, 0);
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(run.out.rfind(path + ": ok (3 jobs)\n", 0), 0u) << run.out;
  EXPECT_NE(run.out.find("\n  prepare: single, 16+ CPU, 64 GiB+"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("\n  train: gang x4, 1+ CPU, A100:8 or H100:8, queue"), std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("after train, prepare"), std::string::npos) << run.out;
  EXPECT_EQ(Validate(SpecPath("good", "minimal.yaml"), false).out.find("(1 job)"),
            SpecPath("good", "minimal.yaml").size() + 5);
}

TEST(ValidateCommandTest, BadFileListsEveryProblemOnStderrWithExitTwo) {
  Outcome run = Validate(SpecPath("bad", "many_problems.yaml"), false);
  EXPECT_EQ(run.code, 2);
  EXPECT_EQ(run.out, "");
  int lines = 0;
  std::istringstream err(run.err);
  for (std::string line; std::getline(err, line); ++lines) {
    EXPECT_EQ(line.rfind(SpecPath("bad", "many_problems.yaml") + ":", 0), 0u) << line;
  }
  EXPECT_GE(lines, 10);
}

TEST(ValidateCommandTest, JsonOutput) {
  Outcome good = Validate(SpecPath("good", "design_example.yaml"), true);
  EXPECT_EQ(good.code, 0);
  auto doc = nlohmann::json::parse(good.out);
  EXPECT_EQ(doc["ok"], true);
  ASSERT_EQ(doc["specs"].size(), 1u);
  EXPECT_EQ(doc["specs"][0]["name"], "bert-finetune");
  EXPECT_EQ(doc["specs"][0]["resources"]["gpu_milli"], 500);
  EXPECT_TRUE(doc["problems"].empty());

  Outcome bad = Validate(SpecPath("bad", "gpu_milli_zero.yaml"), true);
  EXPECT_EQ(bad.code, 2);
  auto problems = nlohmann::json::parse(bad.out);
  EXPECT_EQ(problems["ok"], false);
  EXPECT_TRUE(problems["specs"].empty());
  ASSERT_EQ(problems["problems"].size(), 1u);
  const auto& p = problems["problems"][0];
  EXPECT_EQ(p["file"], SpecPath("bad", "gpu_milli_zero.yaml"));
  EXPECT_EQ(p["line"], 3);
  EXPECT_EQ(p["column"], 14);
  EXPECT_EQ(p["field"], "resources.gpu_milli");
  EXPECT_EQ(p["message"], "must be between 1 and 1000, got 0");
}

TEST(ValidateCommandTest, JsonSurvivesBytesThatAreNotUtf8) {
  Outcome run = Validate("-", true, "run: x\nname: \"\xff\xfe\"\n");
  EXPECT_EQ(run.code, 2);
  auto doc = nlohmann::json::parse(run.out);
  // Refused before parsing, at its place (issue 10, item 7).
  EXPECT_EQ(doc["problems"][0]["line"], 2);
  EXPECT_EQ(doc["problems"][0]["column"], 8);
  EXPECT_EQ(doc["problems"][0]["message"], "not valid UTF-8 (byte 0xff); save the spec as UTF-8");
}

TEST(ValidateCommandTest, ReadsStandardInput) {
  Outcome run = Validate("-", false, "name: piped\nrun: echo hi\n");
  EXPECT_EQ(run.code, 0);
  EXPECT_EQ(run.out.rfind("-: ok (1 job)\n  piped: single", 0), 0u) << run.out;
  Outcome big = Validate("-", false, "run: x\n#" + std::string(3 * 1024 * 1024, 'x'));
  EXPECT_EQ(big.code, 2);
  EXPECT_EQ(big.err.rfind("<stdin>: the file is ", 0), 0u) << big.err;
  EXPECT_NE(big.err.find("; a job spec may be at most 1 MiB"), std::string::npos) << big.err;
}

}  // namespace
}  // namespace skyrun
