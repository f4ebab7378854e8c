// Hand-checked plans over the real built-in catalog (data/catalog). Each
// expected figure is worked from the CSV rows quoted beside it (line numbers
// of data/catalog/*.csv) and the egress tables (egress_internet.csv,
// egress_inter_region.csv), not read back from the optimizer.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "catalog/catalog.h"
#include "optimizer/market_catalog.h"
#include "optimizer/optimizer.h"
#include "support/golden.h"

namespace skyrun {
namespace {

const Catalog& Builtin() {
  static const Catalog* catalog = [] {
    auto loaded = Catalog::LoadDir((test_support::SourceDir() / "data" / "catalog").string());
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    return new Catalog(loaded.ok() ? std::move(*loaded) : Catalog());
  }();
  return *catalog;
}

// The rows behind the A100:8 cases (1 h on demand unless said):
//   lambda.csv: gpu_8x_a100,A100,8.0,124.0,1800.0,10.32,<region>,...  in 17 regions, no spot
//   gcp.csv:62  a2-highgpu-8g,96.0,680.0,,,,europe-west4,europe-west4-a,6.51251,2.54592
//   gcp.csv:984 ,,,A100,8,{...},europe-west4,europe-west4-a,12.90919,9.3528   (and -b: lines 63, 985)
//               -> 6.51251 + 12.90919 = $19.4217/h, spot 2.54592 + 9.3528 = $11.89872
//   gcp.csv:60/982 asia-southeast1-b: 7.29758 + 13.64686 = $20.94444
//   azure.csv: Standard_ND96asr_v4,A100,8,96.0,900,A100,27.197,2.99167,eastus (and westus2)
//   aws.csv:1498 p4d.24xlarge,...,32.7726,6.791500,us-east-1,use1-az1 (az2 1499, az6 1500 at 5.093300)
JobSpec A100x8() {
  JobSpec job;
  job.name = "train";
  job.resources.accelerators = {{"A100", 8}};
  return job;
}

Result<PlanResult> PlanOver(std::vector<JobSpec> stages, double hours, size_t max_plans = 40) {
  PlanRequest req;
  req.stages = std::move(stages);
  req.hours = hours;
  req.max_plans = max_plans;
  static const Market market = MarketOf(Builtin());
  return Optimize(req, market);
}

const Candidate& First(const Plan& p) {
  return p.stages[0].candidate;
}

TEST(CatalogPlanTest, CheapestA100x8IsLambdaThenGcpEuropeWest4) {
  auto r = PlanOver({A100x8()}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_GE(r->plans.size(), 19u);
  for (size_t i = 0; i < 17; ++i) {
    EXPECT_EQ(First(r->plans[i]).offer->provider, "lambda") << i;
    EXPECT_EQ(First(r->plans[i]).offer->instance_type, "gpu_8x_a100") << i;
    EXPECT_NEAR(r->plans[i].est_cost, 10.32, 1e-9) << i;
  }
  const Plan& gcp = r->plans[17];
  EXPECT_EQ(First(gcp).offer->region, "europe-west4");
  EXPECT_EQ(First(gcp).offer->instance_type, "a2-highgpu-8g");
  EXPECT_EQ(First(gcp).zones, (std::vector<std::string>{"europe-west4-a", "europe-west4-b"}));
  EXPECT_NEAR(gcp.est_cost, 6.51251 + 12.90919, 1e-9);
  EXPECT_NEAR(r->plans[18].est_cost, 7.29758 + 13.64686, 1e-9);
  EXPECT_EQ(First(r->plans[18]).offer->region, "asia-southeast1");
}

TEST(CatalogPlanTest, A500GbInputInGcpChoosesTheLowestComputePlusEgress) {
  JobSpec job = A100x8();
  job.inputs = {DataRef{"gs://corpus/train", 500, "gcp/europe-west4", ""}};
  // 1 h: europe-west4 19.4217 + 0; asia-southeast1 20.94444 + 500 x 0.05
  // (gcp EU -> AS, "gcp,*,*,0.05") = 45.94444; lambda 10.32 + 500 x 0.12
  // (gcp's first internet tier, up to 1024 GB) = 70.32.
  auto r = PlanOver({job}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(First(r->plans[0]).offer->region, "europe-west4");
  EXPECT_NEAR(r->plans[0].est_cost, 19.4217, 1e-9);
  EXPECT_NEAR(r->plans[0].egress_cost, 0, 1e-12);
  EXPECT_EQ(First(r->plans[1]).offer->region, "asia-southeast1");
  EXPECT_NEAR(r->plans[1].est_cost, 45.94444, 1e-9);
  EXPECT_NEAR(r->plans[1].egress_cost, 25, 1e-9);
  auto lambda = std::find_if(r->plans.begin(), r->plans.end(),
                             [](const Plan& p) { return First(p).offer->provider == "lambda"; });
  ASSERT_NE(lambda, r->plans.end());
  EXPECT_NEAR(lambda->est_cost, 70.32, 1e-9);
  EXPECT_NEAR(lambda->egress_cost, 60, 1e-9);
  // 10 h: lambda 103.2 + 60 = 163.2 undercuts europe-west4's 194.217.
  r = PlanOver({job}, 10);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(First(r->plans[0]).offer->provider, "lambda");
  EXPECT_NEAR(r->plans[0].est_cost, 163.2, 1e-9);
}

TEST(CatalogPlanTest, ACountryConstraintExcludesRegions) {
  // regions.csv: 10 of lambda's 17 A100 regions are in the US.
  JobSpec job = A100x8();
  job.resources.requirements = "Country == \"US\"";
  auto r = PlanOver({job}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (size_t i = 0; i < 10; ++i) EXPECT_NEAR(r->plans[i].est_cost, 10.32, 1e-9) << i;
  // Then azure ND96asr_v4 at 27.197 (eastus, westus2), before gcp us-central1 at 29.38708.
  EXPECT_EQ(First(r->plans[10]).offer->provider, "azure");
  EXPECT_NEAR(r->plans[10].est_cost, 27.197, 1e-9);
  for (const Plan& p : r->plans) {
    const RegionInfo* where = Builtin().FindRegion(First(p).offer->provider, First(p).offer->region);
    ASSERT_NE(where, nullptr);
    EXPECT_EQ(where->country, "US") << First(p).offer->region;
  }
  // Outside the US: lambda's other 7 regions, then gcp europe-west4 (NL).
  job.resources.requirements = "Country != \"US\"";
  r = PlanOver({job}, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->plans[6].est_cost, 10.32, 1e-9);
  EXPECT_EQ(First(r->plans[7]).offer->region, "europe-west4");
}

TEST(CatalogPlanTest, MaxHourlyCostExcludesOffers) {
  JobSpec job = A100x8();
  job.resources.max_hourly_cost = 20;  // keeps lambda's 17 and europe-west4 (19.4217); not 20.94444
  auto r = PlanOver({job}, 1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->plans.size(), 18u);
  EXPECT_NEAR(r->plans.back().est_cost, 19.4217, 1e-9);
  job.resources.max_hourly_cost = 10;  // below every A100:8
  r = PlanOver({job}, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->plans.empty());
  EXPECT_NE(r->explanation.find("max_hourly_cost"), std::string::npos) << r->explanation;
}

TEST(CatalogPlanTest, UseSpotObjectiveAndBudgetEachChangeThePlan) {
  // 10 h. On demand the best is lambda at 10 x 10.32 = 103.2.
  JobSpec job = A100x8();
  job.checkpoint_dir = "/ckpt";
  auto r = PlanOver({job}, 10);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(First(r->plans[0]).offer->provider, "lambda");
  // use_spot: azure's spot $2.99167 at the default 0.05 revocations/h, 0.5 h
  // checkpoints, 0.1 h restarts: N = 20 (e^0.025 - 1) = 0.506302, E = N x
  // 20.1 = 10.17667 h, cost 2.99167 x 10.17667 = 30.4452 (azure refunds nothing).
  job.resources.use_spot = true;
  r = PlanOver({job}, 10);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(First(r->plans[0]).offer->provider, "azure");
  EXPECT_TRUE(First(r->plans[0]).spot);
  EXPECT_NEAR(r->plans[0].est_cost, 30.4452, 1e-3);
  EXPECT_NEAR(r->plans[0].est_time_s / 3600, 10.17667, 1e-4);
  // objective time: on demand finishes in 10 h; the cheapest of those wins.
  job.objective = "time";
  r = PlanOver({job}, 10);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(First(r->plans[0]).spot);
  EXPECT_NEAR(r->plans[0].est_cost, 103.2, 1e-9);
  // budget $50: no on-demand plan fits (103.2 at least), so spot again.
  job.budget_usd = 50;
  r = PlanOver({job}, 10);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(First(r->plans[0]).offer->provider, "azure");
  EXPECT_TRUE(First(r->plans[0]).spot);
}

TEST(CatalogPlanTest, TheDirectorysRevocationRateReachesTheSpotModel) {
  // Azure reports p = 0.5 of a revocation within the hour for its A100s in
  // eastus and westus2: λ = ln 2 = 0.693/h. 10 h with 0.5 h checkpoints:
  // N = 20 (e^{0.3466} - 1) = 8.284, E = N (1/0.693 + 0.1) = 12.78 h, cost
  // 2.99167 x 12.78 = 38.2. The cheapest other spot A100:8, aws p4d in
  // ap-southeast-2 apse2-az2 (aws.csv:1495, spot 4.2604) at the
  // default 0.05/h with the first-hour refund, costs 4.2604 x (10.17667 -
  // 0.506302 x 0.024182) = 43.305: azure still wins, with the longer run. At
  // p = 0.9 (λ = 2.303/h: E = 20 (e^{1.151} - 1)(0.434 + 0.1) = 23.1 h,
  // $69.1) it loses to aws.
  catalog::Directory directory;
  for (const char* region : {"eastus", "westus2"}) {
    catalog::DirectoryEntry e;
    e.provider = "azure";
    e.region = region;
    e.instance_type = "Standard_ND96asr_v4";
    e.preemption_rate = 0.5;
    ASSERT_TRUE(directory.Put(e).ok());
  }
  EXPECT_NEAR(RevocationRateOf(0.5), std::log(2.0), 1e-12);
  JobSpec job = A100x8();
  job.checkpoint_dir = "/ckpt";
  job.resources.use_spot = true;
  PlanRequest req;
  req.stages = {job};
  req.hours = 10;
  Market market = MarketOf(Builtin(), &directory);
  auto r = Optimize(req, market);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(First(r->plans[0]).offer->provider, "azure");
  EXPECT_NEAR(r->plans[0].est_time_s / 3600, 12.78, 0.01);
  EXPECT_NEAR(r->plans[0].est_cost, 38.2, 0.1);
  for (const char* region : {"eastus", "westus2"}) {
    catalog::DirectoryEntry e;
    e.provider = "azure";
    e.region = region;
    e.instance_type = "Standard_ND96asr_v4";
    e.preemption_rate = 0.9;
    ASSERT_TRUE(directory.Put(e).ok());
  }
  r = Optimize(req, market);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(First(r->plans[0]).offer->provider, "aws");
  EXPECT_EQ(First(r->plans[0]).offer->zone, "apse2-az2");
  EXPECT_NEAR(r->plans[0].est_cost, 43.305, 0.01);
}

TEST(CatalogPlanTest, PipelineStagesSplitOnlyWhenTheDataMakesItWorthIt) {
  // aws.csv:51 c6i.4xlarge,...,0.68,0.286700,us-east-1,use1-az1 (and 62 more rows, none under $0.68).
  JobSpec prep;
  prep.name = "prep";
  prep.resources.requirements = "InstanceType == \"c6i.4xlarge\"";
  prep.inputs = {DataRef{"s3://corpus/raw", 1000, "aws/us-east-1", ""}};  // moving it costs >= $20
  prep.outputs = {DataRef{"s3://corpus/shards", 20, "", ""}};
  JobSpec train = A100x8();
  train.depends_on = {"prep"};
  train.outputs = {DataRef{"s3://corpus/model", 5, "", ""}};
  JobSpec eval;
  eval.name = "eval";
  eval.depends_on = {"train"};
  eval.resources.requirements = prep.resources.requirements;
  // 20 GB of shards: train on lambda for 10.32 + aws egress (1 GB free, 19 x
  // 0.09 = 1.71) = 12.03 beats p4d in us-east-1 at 32.7726; eval anywhere at
  // 0.68 (lambda charges no egress). Total 0.68 + 12.03 + 0.68 = 13.39.
  auto r = PlanOver({prep, train, eval}, 1, 5);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->plans.empty());
  const Plan& split = r->plans[0];
  EXPECT_EQ(split.stages[0].candidate.offer->region, "us-east-1");
  EXPECT_EQ(split.stages[1].candidate.offer->provider, "lambda");
  EXPECT_NEAR(split.stages[1].egress_cost, 1.71, 1e-9);
  EXPECT_NEAR(split.est_cost, 13.39, 1e-9);
  // 1000 GB of shards: lambda would pay 999 x 0.09 = 89.91 more; train stays
  // on p4d in us-east-1 (32.7726), and eval with it (elsewhere: + 5 x 0.02).
  r->plans.clear();
  prep.outputs[0].size_gb = 1000;
  r = PlanOver({prep, train, eval}, 1, 5);
  ASSERT_TRUE(r.ok());
  const Plan& together = r->plans[0];
  for (const StagePlan& s : together.stages) {
    EXPECT_EQ(s.candidate.offer->provider, "aws") << s.stage;
    EXPECT_EQ(s.candidate.offer->region, "us-east-1") << s.stage;
  }
  EXPECT_EQ(together.stages[1].candidate.offer->instance_type, "p4d.24xlarge");
  EXPECT_NEAR(together.est_cost, 0.68 + 32.7726 + 0.68, 1e-9);
  EXPECT_NEAR(together.egress_cost, 0, 1e-12);
}

}  // namespace
}  // namespace skyrun
