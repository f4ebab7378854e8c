// PlanRoles over a small hand-built market (Proteus): the parameter server
// on demand, the workers on spot, every role in one region, the job's caps
// on the sum. Each expected figure is worked in a comment from the rows.
#include "optimizer/roles_plan.h"

#include <gtest/gtest.h>

#include <cmath>

#include "spec/spec_parser.h"

namespace skyrun {
namespace {

Offer MakeOffer(std::string provider, std::string region, std::string zone, std::string type, std::string gpu,
                int gpus, double price, std::optional<double> spot, int cpus = 8, int64_t mem_gib = 32) {
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

class RolesPlanTest : public ::testing::Test {
 protected:
  RolesPlanTest() {
    offers_ = {
        // aws us-east-1: a CPU host and a V100 host.
        MakeOffer("aws", "us-east-1", "us-east-1a", "m6i.2xlarge", "", 0, 0.40, 0.10),
        MakeOffer("aws", "us-east-1", "us-east-1a", "p3.2xlarge", "V100", 1, 3.06, 0.918, 8, 61),
        // gcp us-central1: the same pair, cheaper.
        MakeOffer("gcp", "us-central1", "us-central1-a", "n2-standard-8", "", 0, 0.388, 0.097),
        MakeOffer("gcp", "us-central1", "us-central1-a", "n1-v100", "V100", 1, 2.48, 0.74, 8, 52),
        // gcp europe-west4: the cheapest V100 spot, but no CPU host for the
        // parameter server: no plan there (every role in one region).
        MakeOffer("gcp", "europe-west4", "europe-west4-a", "n1-v100", "V100", 1, 2.55, 0.50, 8, 52),
    };
    regions_ = {{"aws", "us-east-1", "US", "NA"},
                {"gcp", "us-central1", "US", "NA"},
                {"gcp", "europe-west4", "NL", "EU"}};
    market_.offers = &offers_;
    market_.find_region = [this](const std::string& p, const std::string& r) -> const RegionInfo* {
      for (const RegionInfo& info : regions_)
        if (info.provider == p && info.region == r) return &info;
      return nullptr;
    };
    market_.egress_cost = [](const Location& from, const Location& to, double gb) {
      if (from.provider == to.provider && from.region == to.region) return 0.0;
      return gb * (from.provider == to.provider ? 0.02 : 0.10);
    };
    market_.preemption_rate = [this](const Offer&) { return rate_; };
  }

  // ps x1 (8 CPUs, no GPU), worker x4 (V100:1, 4 CPUs); use_spot on the job.
  static JobSpec PsWorkerJob() {
    JobSpec job;
    job.name = "ctr";
    job.mode = JobMode::kPsWorker;
    job.resources.use_spot = true;
    Role ps;
    ps.name = "ps";
    ps.stateful = true;
    ps.count = 1;
    ps.resources.cpus_milli = MilliCpu(8000);
    ps.resources.use_spot = true;
    Role worker;
    worker.name = "worker";
    worker.count = 4;
    worker.resources.cpus_milli = MilliCpu(4000);
    worker.resources.accelerators = {{"V100", 1}};
    worker.resources.use_spot = true;
    job.roles = {ps, worker};
    return job;
  }

  RolesPlanResult Plan(const JobSpec& job, double hours = 10) {
    auto r = PlanRoles(job, hours, market_, OptimizerParams{}, 10);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? *r : RolesPlanResult{};
  }

  std::vector<Offer> offers_;
  std::vector<RegionInfo> regions_;
  Market market_;
  double rate_ = 0;
};

TEST_F(RolesPlanTest, ParameterServerOnDemandWorkersOnSpotInTheCheapestRegionThatHoldsBoth) {
  RolesPlanResult r = Plan(PsWorkerJob());
  ASSERT_EQ(r.plans.size(), 2u) << r.explanation;  // europe-west4 has no host for the ps
  const RolesPlan& best = r.plans[0];
  EXPECT_EQ(best.provider, "gcp");
  EXPECT_EQ(best.region, "us-central1");
  ASSERT_EQ(best.roles.size(), 2u);
  EXPECT_EQ(best.roles[0].role, "ps");
  EXPECT_FALSE(best.roles[0].candidate.spot);  // although use_spot and spot at $0.097
  EXPECT_EQ(best.roles[0].candidate.offer->instance_type, "n2-standard-8");
  EXPECT_EQ(best.roles[1].role, "worker");
  EXPECT_TRUE(best.roles[1].candidate.spot);
  EXPECT_EQ(best.roles[1].candidate.offer->instance_type, "n1-v100");
  EXPECT_EQ(best.roles[1].candidate.instances, 4);
  // 10 h, no revocations: ps 0.388 x 10 = 3.88; workers 4 x 0.74 x 10 = 29.60.
  EXPECT_NEAR(best.roles[0].compute_cost, 3.88, 1e-9);
  EXPECT_NEAR(best.roles[1].compute_cost, 29.60, 1e-9);
  EXPECT_NEAR(best.est_cost, 33.48, 1e-9);
  EXPECT_NEAR(best.hourly_price, 0.388 + 4 * 0.74, 1e-9);  // $3.348/h
  EXPECT_NEAR(best.est_time_s, 36000, 1e-6);
  // aws us-east-1: 0.40 x 10 + 4 x 0.918 x 10 = 4.00 + 36.72 = 40.72, at $4.072/h.
  EXPECT_EQ(r.plans[1].provider, "aws");
  EXPECT_NEAR(r.plans[1].est_cost, 40.72, 1e-9);
  EXPECT_NEAR(r.plans[1].hourly_price, 4.072, 1e-9);
  EXPECT_NE(r.explanation.find("ps on 1 x n2-standard-8 (on demand)"), std::string::npos) << r.explanation;
  EXPECT_NE(r.explanation.find("worker on 4 x n1-v100 (spot)"), std::string::npos) << r.explanation;
}

TEST_F(RolesPlanTest, WithoutUseSpotEveryRoleIsOnDemand) {
  JobSpec job = PsWorkerJob();
  job.resources.use_spot = false;
  for (Role& role : job.roles) role.resources.use_spot = false;
  RolesPlanResult r = Plan(job);
  ASSERT_FALSE(r.plans.empty());
  EXPECT_FALSE(r.plans[0].roles[1].candidate.spot);
  // gcp us-central1 on demand: 0.388 x 10 + 4 x 2.48 x 10 = 3.88 + 99.20.
  EXPECT_NEAR(r.plans[0].est_cost, 103.08, 1e-9);
}

TEST_F(RolesPlanTest, ARoleThatHoldsNoStateTakesSpotEvenWhenNamedPs) {
  JobSpec job = PsWorkerJob();
  job.roles[0].stateful = false;
  RolesPlanResult r = Plan(job);
  ASSERT_FALSE(r.plans.empty());
  EXPECT_TRUE(r.plans[0].roles[0].candidate.spot);
  // 0.097 x 10 + 29.60.
  EXPECT_NEAR(r.plans[0].est_cost, 30.57, 1e-9);
}

TEST_F(RolesPlanTest, MaxHourlyCostBoundsTheWholeJob) {
  JobSpec job = PsWorkerJob();
  job.resources.max_hourly_cost = 4.0;  // gcp's $3.348/h fits, aws's $4.072/h does not
  RolesPlanResult r = Plan(job);
  ASSERT_EQ(r.plans.size(), 1u);
  EXPECT_EQ(r.plans[0].provider, "gcp");
  job.resources.max_hourly_cost = 3.0;  // each role fits alone, no whole job does
  r = Plan(job);
  EXPECT_TRUE(r.plans.empty());
  EXPECT_NE(r.explanation.find("max_hourly_cost $3.000/h"), std::string::npos) << r.explanation;
}

TEST_F(RolesPlanTest, InfraAndCountryNarrowEveryRole) {
  JobSpec job = PsWorkerJob();
  for (Role& role : job.roles) role.resources.infra = {"aws"};
  RolesPlanResult r = Plan(job);
  ASSERT_EQ(r.plans.size(), 1u);
  EXPECT_NEAR(r.plans[0].est_cost, 40.72, 1e-9);
  job = PsWorkerJob();
  for (Role& role : job.roles) role.resources.requirements = "Country == \"NL\"";
  r = Plan(job);
  EXPECT_TRUE(r.plans.empty());  // only europe-west4 is in NL, and it has no host for the ps
  EXPECT_NE(r.explanation.find("role ps: none of 5 offers fits"), std::string::npos) << r.explanation;
}

TEST_F(RolesPlanTest, RolesStayInOneRegion) {
  // Without the ps, europe-west4's workers would be cheapest (4 x 0.50 x 10 = 20).
  JobSpec job = PsWorkerJob();
  for (Role& role : job.roles) role.resources.infra = {"gcp/europe-west4", "aws"};
  RolesPlanResult r = Plan(job);
  ASSERT_EQ(r.plans.size(), 1u);
  EXPECT_EQ(r.plans[0].provider, "aws");  // the only region with both roles
  job.roles[0].resources.infra = {"gcp/us-central1"};
  r = Plan(job);
  EXPECT_TRUE(r.plans.empty());
  EXPECT_NE(r.explanation.find("no region has a candidate for every role"), std::string::npos)
      << r.explanation;
}

TEST_F(RolesPlanTest, TheParameterServerIsBilledForTheWorkersExpectedWallTime) {
  rate_ = 0.05;  // per instance-hour; 4 workers: the job is hit at 0.2/h
  JobSpec job = PsWorkerJob();
  job.checkpoint_dir = "/ckpt";  // saved every 0.5 h (SpotParams)
  RolesPlanResult r = Plan(job);
  ASSERT_FALSE(r.plans.empty());
  const RolesPlan& best = r.plans[0];
  ASSERT_EQ(best.provider, "gcp");  // no first-hour refund on gcp
  // 20 segments of 0.5 h: N = 20 (e^{0.1} - 1) = 2.1034183615; E = N (1/0.2 + 0.1)
  // = 10.7274336437 h. ps: 0.388 x E = 4.1622442538; workers: 0.74 x 4E = 31.7532035854.
  EXPECT_NEAR(best.est_time_s / 3600, 10.7274336437, 1e-8);
  EXPECT_NEAR(best.roles[0].compute_cost, 4.1622442538, 1e-8);
  EXPECT_NEAR(best.roles[1].compute_cost, 31.7532035854, 1e-8);
  EXPECT_NEAR(best.est_cost, 35.9154478392, 1e-8);
}

TEST_F(RolesPlanTest, InputsArePricedIntoTheRegion) {
  JobSpec job = PsWorkerJob();
  job.inputs.push_back(DataRef{"s3://b/d", 200, "aws/us-east-1", ""});
  RolesPlanResult r = Plan(job);
  ASSERT_EQ(r.plans.size(), 2u);
  // gcp: 33.48 + 200 GB x $0.10 = 53.48; aws: 40.72 + 0 wins.
  EXPECT_EQ(r.plans[0].provider, "aws");
  EXPECT_NEAR(r.plans[1].est_cost, 53.48, 1e-9);
  EXPECT_NEAR(r.plans[1].egress_cost, 20.0, 1e-9);
}

TEST_F(RolesPlanTest, ObjectiveTimePrefersOnDemandWorkers) {
  rate_ = 0.05;
  JobSpec job = PsWorkerJob();
  job.objective = "time";
  RolesPlanResult r = Plan(job);
  ASSERT_FALSE(r.plans.empty());
  EXPECT_FALSE(r.plans[0].roles[1].candidate.spot);  // spot's revocations would slow it
  EXPECT_NEAR(r.plans[0].est_time_s, 36000, 1e-6);
}

TEST_F(RolesPlanTest, OnlyPsWorkerJobsArePlannedByRole) {
  JobSpec job;
  job.name = "single";
  EXPECT_FALSE(PlanRoles(job, 1, market_, OptimizerParams{}, 10).ok());
}

TEST_F(RolesPlanTest, TheSpecMarksARoleNamedPsStatefulUnlessItSaysOtherwise) {
  SpecParseResult parsed = ParseJobSpecs(
      "name: pw\nmode: ps-worker\nresources: {cpus: 1, use_spot: true}\nrun: x\n"
      "roles:\n  ps: {count: 1}\n  worker: {count: 2}\n  server: {count: 1, stateful: true}\n"
      "  cache: {count: 1, stateful: false}\n",
      "pw.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.problems.front().ToString();
  const std::vector<Role>& roles = parsed.specs.front().roles;
  ASSERT_EQ(roles.size(), 4u);
  EXPECT_TRUE(roles[0].stateful);
  EXPECT_FALSE(roles[1].stateful);
  EXPECT_TRUE(roles[2].stateful);
  EXPECT_FALSE(roles[3].stateful);
  EXPECT_FALSE(RoleMayUseSpot(roles[0]));
  EXPECT_TRUE(RoleMayUseSpot(roles[1]));
  SpecParseResult bad = ParseJobSpecs(
      "name: pw\nmode: ps-worker\nrun: x\nroles:\n  ps: {count: 1, stateful: maybe}\n", "pw.yaml");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace skyrun
