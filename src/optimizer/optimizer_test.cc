// Optimize over a small hand-built market: the filters, the objective, the
// spot model's effect, data gravity across a pipeline, and the errors.
// Prices are round so each expected figure is worked in a comment. (The
// hand-checked cases over the real catalog are in tests/optimizer/.)
#include "optimizer/optimizer.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

Offer MakeOffer(std::string provider, std::string region, std::string zone, std::string type, std::string gpu,
                int gpus, double price, std::optional<double> spot, int cpus = 96, int64_t mem_gib = 1152) {
  Offer o;
  o.provider = std::move(provider);
  o.region = std::move(region);
  o.zone = std::move(zone);
  o.instance_type = std::move(type);
  o.accelerator = std::move(gpu);
  o.accelerator_count = gpus;
  o.cpus = MilliCpu(cpus * 1000);
  o.memory = MemoryMiB(mem_gib * 1024);
  o.price = price;
  o.spot_price = spot;
  return o;
}

class OptimizerTest : public ::testing::Test {
 protected:
  OptimizerTest() {
    offers_ = {
        MakeOffer("aws", "us-east-1", "us-east-1a", "p4d.24xlarge", "A100", 8, 32.0, 10.0),
        MakeOffer("aws", "us-east-1", "us-east-1b", "p4d.24xlarge", "A100", 8, 32.0, 10.0),
        MakeOffer("aws", "eu-central-1", "eu-central-1a", "p4d.24xlarge", "A100", 8, 40.0, 12.0),
        MakeOffer("gcp", "us-central1", "us-central1-a", "a2-highgpu-8g", "A100", 8, 29.0, 9.0),
        MakeOffer("gcp", "europe-west4", "europe-west4-a", "a2-highgpu-8g", "A100", 8, 30.0, std::nullopt),
        MakeOffer("gcp", "us-central1", "us-central1-a", "a2-ultragpu-8g", "A100-80GB", 8, 40.0, 13.0),
        MakeOffer("aws", "us-east-1", "us-east-1a", "m6i.2xlarge", "", 0, 0.4, 0.1, 8, 32),
        MakeOffer("gcp", "us-central1", "us-central1-a", "n2-standard-8", "", 0, 0.38, 0.09, 8, 32),
    };
    regions_ = {{"aws", "us-east-1", "US", "NA"},
                {"aws", "eu-central-1", "DE", "EU"},
                {"gcp", "us-central1", "US", "NA"},
                {"gcp", "europe-west4", "NL", "EU"}};
    market_.offers = &offers_;
    market_.find_region = [this](const std::string& p, const std::string& r) -> const RegionInfo* {
      for (const RegionInfo& info : regions_)
        if (info.provider == p && info.region == r) return &info;
      return nullptr;
    };
    // 0 within a region, $0.02/GB between regions of one provider, $0.10/GB out of it.
    market_.egress_cost = [](const Location& from, const Location& to, double gb) {
      if (from.provider == to.provider && from.region == to.region) return 0.0;
      return gb * (from.provider == to.provider ? 0.02 : 0.10);
    };
    market_.preemption_rate = [](const Offer&) { return 0.0; };
  }

  JobSpec A100Job() {
    JobSpec job;
    job.name = "train";
    job.resources.accelerators = {{"A100", 8}};
    job.resources.cpus_milli = MilliCpu(8000);
    return job;
  }

  PlanResult Plan(std::vector<JobSpec> stages, double hours = 10) {
    PlanRequest req;
    req.stages = std::move(stages);
    req.hours = hours;
    req.max_plans = 20;
    auto r = Optimize(req, market_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : PlanResult{};
  }

  static std::string Where(const StagePlan& s) {
    return s.candidate.offer->provider + "/" + s.candidate.offer->region + " " +
           s.candidate.offer->instance_type + (s.candidate.spot ? " spot" : "");
  }

  std::vector<Offer> offers_;
  std::vector<RegionInfo> regions_;
  Market market_;
};

TEST_F(OptimizerTest, CheapestMatchingOfferWinsAndEveryInstanceTypeIsRanked) {
  PlanResult r = Plan({A100Job()});
  // A100:8 on demand: gcp us-central1 $29, gcp europe-west4 $30, aws us-east-1 $32
  // (zones a and b collapse), aws eu-central-1 $40; A100-80GB is another model.
  ASSERT_EQ(r.plans.size(), 4u);
  EXPECT_EQ(Where(r.plans[0].stages[0]), "gcp/us-central1 a2-highgpu-8g");
  EXPECT_DOUBLE_EQ(r.plans[0].est_cost, 290);  // 10 h x $29
  EXPECT_DOUBLE_EQ(r.plans[0].est_time_s, 36000);
  EXPECT_EQ(Where(r.plans[2].stages[0]), "aws/us-east-1 p4d.24xlarge");
  EXPECT_EQ(r.plans[2].stages[0].candidate.zones, (std::vector<std::string>{"us-east-1a", "us-east-1b"}));
  EXPECT_NE(r.explanation.find("Next best"), std::string::npos) << r.explanation;
}

TEST_F(OptimizerTest, InputDataPullsTheJobToItsRegionWhenEgressOutweighsThePrice) {
  JobSpec job = A100Job();
  job.inputs = {DataRef{"s3://bucket/data", 500, "aws/us-east-1", ""}};
  // gcp us-central1: 290 + 500 x 0.10 = 340; aws us-east-1: 320 + 0 = 320.
  PlanResult r = Plan({job});
  EXPECT_EQ(Where(r.plans[0].stages[0]), "aws/us-east-1 p4d.24xlarge");
  EXPECT_DOUBLE_EQ(r.plans[0].est_cost, 320);
  EXPECT_DOUBLE_EQ(r.plans[1].est_cost, 340);
  EXPECT_DOUBLE_EQ(r.plans[1].egress_cost, 50);
  // 100 GB: gcp 290 + 10 = 300 beats aws 320.
  job.inputs[0].size_gb = 100;
  r = Plan({job});
  EXPECT_EQ(Where(r.plans[0].stages[0]), "gcp/us-central1 a2-highgpu-8g");
}

TEST_F(OptimizerTest, InfraRequirementsAndPriceCapExcludeOffers) {
  JobSpec job = A100Job();
  job.resources.infra = {"aws"};
  EXPECT_EQ(Where(Plan({job}).plans[0].stages[0]), "aws/us-east-1 p4d.24xlarge");
  job.resources.infra = {"aws/eu-central-1/eu-central-1a"};
  EXPECT_EQ(Where(Plan({job}).plans[0].stages[0]), "aws/eu-central-1 p4d.24xlarge");

  job = A100Job();
  job.resources.requirements = "Country != \"US\"";
  PlanResult r = Plan({job});
  ASSERT_EQ(r.plans.size(), 2u);  // europe-west4 $30, eu-central-1 $40
  EXPECT_EQ(Where(r.plans[0].stages[0]), "gcp/europe-west4 a2-highgpu-8g");
  EXPECT_EQ(r.stages[0].stats.requirements, 3);  // the three US A100 offers

  job = A100Job();
  job.resources.max_hourly_cost = 29.5;
  r = Plan({job});
  ASSERT_EQ(r.plans.size(), 1u);
  EXPECT_EQ(Where(r.plans[0].stages[0]), "gcp/us-central1 a2-highgpu-8g");
  EXPECT_EQ(r.stages[0].stats.max_hourly_cost, 4);
}

TEST_F(OptimizerTest, SpotObjectiveAndBudgetEachChangeThePlan) {
  JobSpec job = A100Job();
  job.checkpoint_dir = "/ckpt";
  job.resources.use_spot = true;
  market_.preemption_rate = [](const Offer&) { return 0.05; };
  // Cost: gcp us-central1 spot at $9/h beats every on-demand offer.
  PlanResult r = Plan({job});
  EXPECT_EQ(Where(r.plans[0].stages[0]), "gcp/us-central1 a2-highgpu-8g spot");
  EXPECT_GT(r.plans[0].est_time_s, 36000);  // revocations cost time
  // Time: on demand finishes in the 10 h estimate; the cheapest such wins the tie.
  job.objective = "time";
  r = Plan({job});
  EXPECT_EQ(Where(r.plans[0].stages[0]), "gcp/us-central1 a2-highgpu-8g");
  EXPECT_DOUBLE_EQ(r.plans[0].est_time_s, 36000);
  // A budget below every on-demand plan ($290) leaves spot, even for time.
  job.budget_usd = 200;
  r = Plan({job});
  EXPECT_TRUE(r.plans[0].stages[0].candidate.spot);
  for (const auto& plan : r.plans) EXPECT_LE(plan.est_cost, 200);
}

TEST_F(OptimizerTest, PipelineStagesSplitOnlyWhenTheDataMakesItWorthIt) {
  // prep (CPU, data in aws us-east-1) -> train (A100:8) -> eval (CPU).
  JobSpec prep;
  prep.name = "prep";
  prep.resources.cpus_milli = MilliCpu(8000);
  prep.inputs = {DataRef{"s3://b/raw", 1000, "aws/us-east-1", ""}};
  prep.outputs = {DataRef{"s3://b/shards", 50, "", ""}};
  JobSpec train = A100Job();
  train.depends_on = {"prep"};
  train.outputs = {DataRef{"s3://b/model", 5, "", ""}};
  JobSpec eval;
  eval.name = "eval";
  eval.resources.cpus_milli = MilliCpu(8000);
  eval.depends_on = {"train"};
  // prep in aws us-east-1 (its 1000 GB stay: $0 vs $100 to move); train moves
  // to gcp us-central1 only if 50 GB x $0.10 = $5 < its saving of 10 h x $3 = $30: it does.
  PlanResult r = Plan({prep, train, eval});
  ASSERT_FALSE(r.plans.empty());
  EXPECT_TRUE(r.chain);
  EXPECT_EQ(Where(r.plans[0].stages[0]), "aws/us-east-1 m6i.2xlarge");
  EXPECT_EQ(Where(r.plans[0].stages[1]), "gcp/us-central1 a2-highgpu-8g");
  EXPECT_EQ(Where(r.plans[0].stages[2]), "gcp/us-central1 n2-standard-8");
  // prep 4.00 + train 290 + 5.00 egress + eval 3.80 (the 5 GB model stays in gcp).
  EXPECT_NEAR(r.plans[0].est_cost, 4.0 + 290 + 5 + 3.8, 1e-9);
  EXPECT_NEAR(r.plans[0].egress_cost, 5, 1e-9);
  // With 500 GB of shards ($50 > $30) training stays with the data, and so
  // does eval: gcp would cost 3.80 + 5 GB x $0.10 = 4.30 > 4.00.
  r.plans.clear();
  prep.outputs[0].size_gb = 500;
  r = Plan({prep, train, eval});
  EXPECT_EQ(Where(r.plans[0].stages[1]), "aws/us-east-1 p4d.24xlarge");
  EXPECT_EQ(Where(r.plans[0].stages[2]), "aws/us-east-1 m6i.2xlarge");
}

TEST_F(OptimizerTest, DiamondPipelineIsSolvedByBranchAndBound) {
  JobSpec a;
  a.name = "a";
  a.outputs = {DataRef{"x", 100, "", ""}};
  a.inputs = {DataRef{"y", 100, "gcp/us-central1", ""}};
  JobSpec b = a, c = a, d = a;
  b.name = "b";
  b.inputs.clear();
  b.depends_on = {"a"};
  c.name = "c";
  c.inputs.clear();
  c.depends_on = {"a"};
  d.name = "d";
  d.inputs.clear();
  d.depends_on = {"b", "c"};
  PlanResult r = Plan({d, c, b, a}, 1);  // any order in the file
  ASSERT_FALSE(r.plans.empty());
  EXPECT_FALSE(r.chain);
  for (const StagePlan& s : r.plans[0].stages)
    EXPECT_EQ(Where(s), "gcp/us-central1 n2-standard-8") << s.stage;
  EXPECT_NEAR(r.plans[0].est_cost, 4 * 0.38, 1e-9);
}

TEST_F(OptimizerTest, NoPlanSaysWhatRemovedTheOffers) {
  JobSpec job = A100Job();
  job.resources.max_hourly_cost = 1;
  PlanResult r = Plan({job});
  EXPECT_TRUE(r.plans.empty());
  EXPECT_NE(r.explanation.find("5 cost more than max_hourly_cost $1.000/h"), std::string::npos)
      << r.explanation;
}

TEST_F(OptimizerTest, MalformedRequestsAreRefusedWithTheReason) {
  PlanRequest req;
  EXPECT_FALSE(Optimize(req, market_).ok());
  JobSpec a = A100Job();
  a.depends_on = {"nope"};
  req.stages = {a};
  EXPECT_NE(Optimize(req, market_).status().message().find("nope"), std::string::npos);
  JobSpec x = A100Job(), y = A100Job();
  x.name = "x";
  y.name = "y";
  x.depends_on = {"y"};
  y.depends_on = {"x"};
  req.stages = {x, y};
  EXPECT_NE(Optimize(req, market_).status().message().find("cycle"), std::string::npos);
  y.depends_on.clear();
  y.objective = "time";
  req.stages = {x, y};
  EXPECT_NE(Optimize(req, market_).status().message().find("objective"), std::string::npos);
  JobSpec bad = A100Job();
  bad.resources.requirements = "Gpus >";
  req.stages = {bad};
  EXPECT_NE(Optimize(req, market_).status().message().find("requirements"), std::string::npos);
  JobSpec ps = A100Job();
  ps.mode = JobMode::kPsWorker;
  req.stages = {ps};
  EXPECT_NE(Optimize(req, market_).status().message().find("ps-worker"), std::string::npos);
  req.stages = {A100Job()};
  req.hours = -1;
  EXPECT_FALSE(Optimize(req, market_).ok());
}

}  // namespace
}  // namespace skyrun
