#include "expr/expr_cli.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/golden.h"
#include "support/temp_dir.h"

namespace skyrun::expr {
namespace {

const std::string kData = EXPR_TESTDATA_DIR;

using test_support::ReadFileOrEmpty;

std::string WriteTemp(const std::string& name, const std::string& text) {
  static test_support::TempDir dir("skyrun-expr-cli-test");  // one per test binary
  return dir.Write(name, text);
}

TEST(ExprEvalCliTest, PrintsTheValue) {
  std::ostringstream out, err;
  EXPECT_EQ(RunExprEval("1 + 2 * 3", "", "", false, out, err), 0);
  EXPECT_EQ(out.str(), "7\n");
  out.str("");
  EXPECT_EQ(RunExprEval("1 / 0", "", "", false, out, err), 0);
  EXPECT_EQ(out.str(), "ERROR (division by zero)\n");
}

TEST(ExprEvalCliTest, ReadsAdsAndTargets) {
  std::string my = WriteTemp("my.json", R"({"Gpus": 4, "Tenant": "acme"})");
  std::string target = WriteTemp("target.json", R"({"Gpus": 8, "GpuModel": "A100-80GB"})");
  std::ostringstream out, err;
  EXPECT_EQ(RunExprEval("strcat(MY.Tenant, \":\", Gpus, \":\", regexp(\"A100\", GpuModel))", my, target,
                        false, out, err),
            0)
      << err.str();
  EXPECT_EQ(out.str(), "\"acme:8:true\"\n");
  out.str("");
  EXPECT_EQ(RunExprEval("Gpus * 2", my, "", true, out, err), 0);
  EXPECT_EQ(out.str(), "{\n  \"expression\": \"Gpus * 2\",\n  \"type\": \"integer\",\n  \"value\": 8\n}\n");
}

TEST(ExprEvalCliTest, BadInputExitsTwoWithTheCaret) {
  std::ostringstream out, err;
  EXPECT_EQ(RunExprEval("Gpus >= (4", "", "", false, out, err), 2);
  EXPECT_EQ(
      err.str(),
      "skyrun expr eval: expected ')', found the end of the expression (to close the '(' at 1:9) at 1:11\n"
      "  Gpus >= (4\n"
      "            ^\n");
  std::ostringstream out2, err2;
  std::string bad = WriteTemp("bad.json", "{\"a\": {\"nested\": 1}}");
  EXPECT_EQ(RunExprEval("a", bad, "", false, out2, err2), 2);
  EXPECT_NE(err2.str().find("nested objects are not supported"), std::string::npos);
  std::ostringstream out3, err3;
  EXPECT_EQ(RunExprEval("a", "/nonexistent/ad.json", "", false, out3, err3), 2);
  EXPECT_NE(err3.str().find("cannot read /nonexistent/ad.json"), std::string::npos);
}

TEST(ExprCheckCliTest, RefusesWhatSubmissionRefuses) {
  std::ostringstream out, err;
  EXPECT_EQ(RunExprCheck("GpuMemoryMB >= 40GiB", "requirements", out, err), 0);
  EXPECT_EQ(out.str(), "ok\n");
  std::ostringstream out2, err2;
  EXPECT_EQ(RunExprCheck("GpuModel + 1 > 2", "requirements", out2, err2), 2);
  EXPECT_NE(
      err2.str().find("error: arithmetic '+' needs numbers (use strcat() to join strings), but GpuModel is a "
                      "string at 1:1"),
      std::string::npos)
      << err2.str();
}

TEST(MatchCliTest, ListsMatchesByRankAndExplainsEachRejection) {
  std::ostringstream out, err;
  int rc = RunMatch(kData + "/match_job.yaml", kData + "/match_nodes.json", "acme", false, out, err);
  EXPECT_EQ(err.str(), "");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out.str(), ReadFileOrEmpty(kData + "/match.golden"));
}

TEST(MatchCliTest, JsonOutput) {
  std::ostringstream out, err;
  ASSERT_EQ(RunMatch(kData + "/match_job.yaml", kData + "/match_nodes.json", "acme", true, out, err), 0);
  auto j = nlohmann::json::parse(out.str());
  const auto& job = j["jobs"][0];
  EXPECT_EQ(job["job"], "bert-finetune");
  ASSERT_EQ(job["matched"].size(), 2u);
  EXPECT_EQ(job["matched"][0]["node"], "local-a100");
  EXPECT_DOUBLE_EQ(job["matched"][0]["rank"].get<double>(), -6.6);
  ASSERT_EQ(job["rejected"].size(), 4u);
  EXPECT_EQ(job["rejected"][2]["node"], "inference-only");
  EXPECT_EQ(job["rejected"][2]["failed"], "policy");
}

TEST(MatchCliTest, NoMatchExitsOneAndBadSpecsExitTwo) {
  std::ostringstream out, err;
  EXPECT_EQ(RunMatch(kData + "/match_none_job.yaml", kData + "/match_nodes.json", "acme", false, out, err),
            1);
  EXPECT_NE(out.str().find("0 of 6 nodes match\n"), std::string::npos);
  EXPECT_NE(out.str().find("cloud-h100      requirements: regexp(\"B200\", GpuModel) is FALSE (GpuModel = "
                           "\"H100-80GB\")"),
            std::string::npos);
  std::ostringstream out2, err2;
  EXPECT_EQ(RunMatch(kData + "/match_bad_job.yaml", kData + "/match_nodes.json", "acme", false, out2, err2),
            2);
  // The spec parser type-checks requirements: the problem comes with its place.
  EXPECT_NE(err2.str().find("match_bad_job.yaml:"), std::string::npos) << err2.str();
  EXPECT_NE(err2.str().find("resources.requirements: '>' compares GpuModel (a string) with 5"),
            std::string::npos)
      << err2.str();
  std::ostringstream out3, err3;
  std::string nodes = WriteTemp("nodes.json", R"([{"name": "x", "gpus": [{"model": 5}]}])");
  EXPECT_EQ(RunMatch(kData + "/match_job.yaml", nodes, "acme", false, out3, err3), 2);
  EXPECT_NE(err3.str().find("nodes[0]: node x.gpus[0].model: expected a string"), std::string::npos);
}

}  // namespace
}  // namespace skyrun::expr
