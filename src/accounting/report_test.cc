// Cost reports by job, tenant and provider over hand-made billing data.
#include "accounting/report.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

constexpr Micros kS = kMicrosPerSecond;
constexpr Micros kT0 = 1'800'000'000LL * kS;

BillableAttempt Task(int64_t job, int attempt, int rank, const std::string& backend, Micros start, Micros end,
                     double price, const std::string& tenant) {
  BillableAttempt b;
  b.attempt.job_id = JobId(job);
  b.attempt.attempt_no = attempt;
  b.attempt.rank = rank;
  b.attempt.backend = backend;
  b.attempt.started_at = start;
  b.attempt.ended_at = end;
  b.attempt.hourly_price = price;
  b.owner.tenant = TenantId(tenant == "a" ? 1 : 2);
  b.owner.tenant_name = tenant;
  b.owner.job_name = "job" + std::to_string(job);
  b.owner.queue = job == 1 ? "gpu" : "default";
  return b;
}

BillingData Data() {
  BillingData d;
  // Job 1 (tenant a): a 2-rank gang on Slurm, 1 h each at $2/h, then a second
  // attempt on simcloud aws for 30 min at $4/h whose spot price doubles for the last 15 min.
  d.attempts.push_back(Task(1, 1, 0, "slurm/hpc1", kT0, kT0 + 3600 * kS, 2, "a"));
  d.attempts.push_back(Task(1, 1, 1, "slurm/hpc1", kT0, kT0 + 3600 * kS, 2, "a"));
  d.attempts.push_back(Task(1, 2, 0, "simcloud/aws", kT0 + 3600 * kS, kT0 + 5400 * kS, 4, "a"));
  PriceChange c;
  c.job = JobId(1);
  c.attempt_no = 2;
  c.rank = 0;
  c.at = kT0 + 4500 * kS;
  c.usd_per_hour = 8;
  d.price_changes.push_back(c);
  // Job 2 (tenant b): local, still running since T0 at $1/h.
  d.attempts.push_back(Task(2, 1, 0, "local", kT0, 0, 1, "b"));
  // 100 GB out of aws for job 1: $9.
  BillableEgress e;
  e.charge.job = JobId(1);
  e.charge.attempt_no = 2;
  e.charge.at = kT0 + 5400 * kS;
  e.charge.gb = 100;
  e.charge.usd = 9;
  e.charge.source = "aws/us-east-1";
  e.charge.destination = "gcp/us-central1";
  e.owner = d.attempts[0].owner;
  d.egress.push_back(e);
  return d;
}

TEST(CostReportTest, ByJobTenantAndProvider) {
  const Micros now = kT0 + 2 * 3600 * kS;
  CostReport by_job = BuildCostReport(Data(), kT0, kT0 + 24 * 3600 * kS, now, CostGroup::kJob);
  ASSERT_EQ(by_job.lines.size(), 2u);
  // Job 1: 2 x $2 + $4 x 0.25 h + $8 x 0.25 h + $9 egress = $16.
  EXPECT_EQ(by_job.lines[0].key, "1");
  EXPECT_EQ(by_job.lines[0].label, "job1 (a)");
  EXPECT_DOUBLE_EQ(by_job.lines[0].compute_usd, 7.0);
  EXPECT_DOUBLE_EQ(by_job.lines[0].egress_usd, 9.0);
  EXPECT_DOUBLE_EQ(by_job.lines[0].total_usd(), 16.0);
  EXPECT_EQ(by_job.lines[0].attempts, 2);
  EXPECT_DOUBLE_EQ(by_job.lines[0].task_hours, 2.5);
  // Job 2: running 2 h at $1/h by `now`.
  EXPECT_DOUBLE_EQ(by_job.lines[1].total_usd(), 2.0);
  EXPECT_DOUBLE_EQ(by_job.total_usd(), 18.0);

  CostReport by_tenant = BuildCostReport(Data(), kT0, kT0 + 24 * 3600 * kS, now, CostGroup::kTenant);
  ASSERT_EQ(by_tenant.lines.size(), 2u);
  EXPECT_EQ(by_tenant.lines[0].key, "a");
  EXPECT_EQ(by_tenant.lines[1].key, "b");

  CostReport by_provider = BuildCostReport(Data(), kT0, kT0 + 24 * 3600 * kS, now, CostGroup::kProvider);
  ASSERT_EQ(by_provider.lines.size(), 3u);
  EXPECT_EQ(by_provider.lines[0].key, "aws");  // $3 compute + $9 egress
  EXPECT_DOUBLE_EQ(by_provider.lines[0].total_usd(), 12.0);
  EXPECT_EQ(by_provider.lines[1].key, "slurm/hpc1");
  EXPECT_DOUBLE_EQ(by_provider.lines[1].total_usd(), 4.0);
  EXPECT_EQ(by_provider.lines[2].key, "local");

  // By queue: job 1 (queue gpu) with its egress, job 2 (queue default).
  CostReport by_queue = BuildCostReport(Data(), kT0, kT0 + 24 * 3600 * kS, now, CostGroup::kQueue);
  ASSERT_EQ(by_queue.lines.size(), 2u);
  EXPECT_EQ(by_queue.lines[0].key, "gpu");
  EXPECT_DOUBLE_EQ(by_queue.lines[0].total_usd(), 16.0);
  EXPECT_EQ(by_queue.lines[1].key, "default");
  EXPECT_DOUBLE_EQ(by_queue.lines[1].total_usd(), 2.0);
  EXPECT_EQ(ParseCostGroup("queue"), CostGroup::kQueue);
}

TEST(CostReportTest, APeriodTakesItsShare) {
  // The first half hour only: Slurm 2 x $1, local $0.5; nothing on aws yet.
  CostReport r = BuildCostReport(Data(), kT0, kT0 + 1800 * kS, kT0 + 7200 * kS, CostGroup::kProvider);
  ASSERT_EQ(r.lines.size(), 2u);
  EXPECT_DOUBLE_EQ(r.lines[0].total_usd(), 2.0);
  EXPECT_DOUBLE_EQ(r.lines[1].total_usd(), 0.5);
  EXPECT_DOUBLE_EQ(r.egress_usd, 0.0);
  nlohmann::json j = CostReportToJson(r);
  EXPECT_EQ(j["by"], "provider");
  EXPECT_EQ(j["lines"][0]["key"], "slurm/hpc1");
  EXPECT_DOUBLE_EQ(j["total_usd"].get<double>(), 2.5);
}

TEST(CostReportTest, GroupNamesAndProviders) {
  EXPECT_EQ(ParseCostGroup("tenant"), CostGroup::kTenant);
  EXPECT_FALSE(ParseCostGroup("team").has_value());
  EXPECT_EQ(ProviderOfBackend("simcloud/gcp/us-central1"), "gcp");
  EXPECT_EQ(ProviderOfBackend("slurm/hpc1"), "slurm/hpc1");
}

}  // namespace
}  // namespace skyrun
