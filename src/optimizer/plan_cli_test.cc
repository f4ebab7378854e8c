// `skyrun plan` (RunPlan) over the built-in catalog: the table, the JSON
// fields scripts read, pipelines, and every exit status with its message.
#include "optimizer/plan_cli.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/golden.h"
#include "support/temp_dir.h"

namespace skyrun {
namespace {

using test_support::TempDir;

struct PlanRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

PlanRun Plan(PlanCliOptions options, const std::string& stdin_text = "") {
  if (options.catalog_dir.empty())
    options.catalog_dir = (test_support::SourceDir() / "data" / "catalog").string();
  std::istringstream in(stdin_text);
  std::ostringstream out, err;
  PlanRun r;
  r.exit_code = RunPlan(options, in, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

constexpr const char* kA100Job = "name: train\nresources: {accelerators: A100:8}\nrun: python train.py\n";

TEST(PlanCliTest, TableRanksThePlansAndSaysWhyTheBestWon) {
  TempDir dir("skyrun-plan");
  PlanCliOptions o;
  o.file = dir.Write("job.yaml", kA100Job);
  PlanRun r = Plan(o);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("PLAN  WHERE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gpu_8x_a100 [A100:8]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("$10.32"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Best plan (objective cost)"), std::string::npos) << r.out;
}

TEST(PlanCliTest, JsonGivesTheRankedPlansWithTheirFields) {
  PlanCliOptions o;
  o.file = "-";
  o.json = true;
  o.hours = 2;
  o.max_plans = 3;
  PlanRun r = Plan(o, kA100Job);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["plans"].size(), 3u);
  const auto& best = j["plans"][0];
  EXPECT_EQ(best["rank"], 1);
  EXPECT_EQ(best["provider"], "lambda");
  EXPECT_EQ(best["instance_type"], "gpu_8x_a100");
  EXPECT_EQ(best["use_spot"], false);
  EXPECT_DOUBLE_EQ(best["hourly_price"].get<double>(), 10.32);
  EXPECT_DOUBLE_EQ(best["est_cost"].get<double>(), 20.64);  // 2 h
  EXPECT_DOUBLE_EQ(best["est_time_s"].get<double>(), 7200);
  EXPECT_DOUBLE_EQ(best["egress_cost"].get<double>(), 0);
  for (const char* key : {"region", "zone", "zones", "stages"}) EXPECT_TRUE(best.contains(key)) << key;
  EXPECT_EQ(j["objective"], "cost");
  EXPECT_EQ(j["stages"][0]["excluded"]["resources"].get<int>() > 0, true);
}

// num_nodes: 1..4, e = 0.9, 10 h on one node, deadline 6 h: one node takes
// 10 h; two take 10 / 1.8 = 5.556 h at 2 x $10.32/h (lambda's gpu_8x_a100,
// the catalog's cheapest A100:8): $20.64 x 5.556 h = $114.67.
TEST(PlanCliTest, ARangeOfNodesShowsTheChosenCount) {
  constexpr const char* kRanged =
      "name: train\nnum_nodes: 1..4\nscaling_efficiency: 0.9\ndeadline: 6h\n"
      "resources: {accelerators: A100:8}\nrun: python train.py\n";
  PlanCliOptions o;
  o.file = "-";
  o.json = true;
  o.hours = 10;
  o.max_plans = 3;
  PlanRun r = Plan(o, kRanged);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  const auto& best = j["plans"][0];
  EXPECT_EQ(best["num_nodes"], 2);
  EXPECT_EQ(best["instances"], 2);
  EXPECT_EQ(best["instance_type"], "gpu_8x_a100");
  EXPECT_DOUBLE_EQ(best["hourly_price"].get<double>(), 20.64);
  EXPECT_NEAR(best["est_cost"].get<double>(), 114.667, 1e-3);
  EXPECT_NEAR(best["est_time_s"].get<double>(), 20000, 1e-6);
  EXPECT_EQ(best["stages"][0]["num_nodes"], 2);
  o.json = false;
  r = Plan(o, kRanged);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(" NODES "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("It runs on 2 node(s) of its range 1..4"), std::string::npos) << r.out;
}

TEST(PlanCliTest, APipelineWithTheBrokerFieldsIsPlannedStageByStage) {
  TempDir dir("skyrun-plan");
  PlanCliOptions o;
  o.file = dir.Write("pipeline.yaml",
                     "name: prep\nresources: {requirements: 'InstanceType == \"c6i.4xlarge\"'}\n"
                     "inputs: [{uri: s3://c/raw, size_gb: 1000, location: aws/us-east-1}]\n"
                     "outputs: [{uri: s3://c/shards, size_gb: 20}]\nrun: x\n"
                     "---\nname: train\ndepends_on: [prep]\n"
                     "resources: {accelerators: A100:8, use_spot: true, max_hourly_cost: 40}\n"
                     "checkpoint: {dir: /ckpt}\nbudget: 500\nrun: x\n");
  o.json = true;
  PlanRun r = Plan(o);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["solver"], "chain-dp");
  const auto& best = j["plans"][0];
  ASSERT_EQ(best["stages"].size(), 2u);
  EXPECT_EQ(best["stages"][0]["region"], "us-east-1");
  EXPECT_EQ(best["stages"][1]["use_spot"], true);  // azure's spot A100s, 1.71 of aws egress in
  EXPECT_DOUBLE_EQ(best["egress_cost"].get<double>(), best["stages"][1]["egress_cost"].get<double>());
  o.json = false;
  r = Plan(o);
  EXPECT_NE(r.out.find("STAGE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("total"), std::string::npos) << r.out;
}

TEST(PlanCliTest, ExitStatusesSayWhatWentWrong) {
  TempDir dir("skyrun-plan");
  PlanCliOptions o;
  o.file = dir.Write("bad.yaml", "run: x\nresources: {accelerators: A100:0}\n");
  PlanRun r = Plan(o);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yaml:2:"), std::string::npos) << r.err;

  o.file = dir.Write("cap.yaml", "run: x\nresources: {accelerators: A100:8, max_hourly_cost: 1}\n");
  r = Plan(o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("No plan."), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("max_hourly_cost"), std::string::npos) << r.out;

  o.file = dir.Write("job.yaml", kA100Job);
  o.catalog_dir = dir.Sub("no-such-catalog");
  r = Plan(o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--catalog"), std::string::npos) << r.err;

  o.catalog_dir.clear();
  o.hours = 0;
  r = Plan(o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--hours"), std::string::npos) << r.err;

  o.hours = 1;
  // A ps-worker job is planned by role; one that no offer can take says which role.
  o.file = dir.Write("ps.yaml",
                     "mode: ps-worker\nresources: {max_hourly_cost: 0.0001}\n"
                     "roles: {ps: {run: x}, worker: {count: 2, run: y}}\n");
  r = Plan(o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("role ps: none of"), std::string::npos) << r.out << r.err;
}

// A ps-worker job (Proteus) over the catalog: each plan is one region with
// the ps on demand and the workers on spot; the table shows each role's row.
TEST(PlanCliTest, APsWorkerJobIsPlannedRoleByRole) {
  constexpr const char* kPsWorker =
      "name: ctr\nmode: ps-worker\nresources: {cpus: 4, use_spot: true}\nrun: x\n"
      "roles:\n  ps: {count: 1}\n  worker: {count: 4, resources: {accelerators: V100:1, use_spot: true}}\n";
  PlanCliOptions o;
  o.file = "-";
  o.json = true;
  o.hours = 10;
  o.max_plans = 3;
  PlanRun r = Plan(o, kPsWorker);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto j = nlohmann::json::parse(r.out);
  ASSERT_FALSE(j["plans"].empty());
  for (const auto& plan : j["plans"]) {
    ASSERT_EQ(plan["roles"].size(), 2u) << plan.dump(2);
    const auto& ps = plan["roles"][0];
    const auto& worker = plan["roles"][1];
    EXPECT_EQ(ps["role"], "ps");
    EXPECT_EQ(ps["use_spot"], false) << plan.dump(2);
    EXPECT_EQ(worker["use_spot"], true) << plan.dump(2);
    EXPECT_EQ(worker["instances"], 4);
    EXPECT_EQ(ps["region"], plan["region"]);
    EXPECT_EQ(worker["region"], plan["region"]);
    EXPECT_NEAR(plan["hourly_price"].get<double>(),
                ps["hourly_price"].get<double>() + worker["hourly_price"].get<double>(), 1e-9);
  }
  o.json = false;
  r = Plan(o, kPsWorker);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("PLAN  ROLE"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Stateful roles run on demand"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace skyrun
