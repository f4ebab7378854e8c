// The `simcloud:` entry of the server config: every key read, bad input
// refused with its place.
#include "drivers/simcloud/simcloud_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace skyrun {
namespace {

using ::testing::HasSubstr;

Result<SimCloudConfig> Parse(const std::string& yaml) {
  return ParseSimCloudConfig(YAML::Load(yaml), "server.yaml", "simcloud[0]");
}

const char* kFull = R"(
name: sim1
launch_delay_seconds: 30
inventory_interval_ms: 500
offers:
  - {provider: aws, region: us-east-1, zone: us-east-1a, instance_type: p3.2xlarge, accelerator: V100,
     accelerator_count: 1, gpu_memory_mib: 16384, cpus: 8, memory_gib: 61, price: 3.06, spot_price: 0.918}
  - {provider: aws, region: us-east-1, zone: us-east-1b, instance_type: m5.large, cpus: 2, memory_gib: 8,
     price: 0.096}
zones:
  - {name: us-east-1a, instances: {p3.2xlarge: 4}, gpus: 4}
errors:
  - {zone: us-east-1a, kind: capacity, refuse_first: 2}
  - {provider: aws, kind: quota}
quotas:
  - {region: us-east-1, max_gpus: 8}
preemption:
  rate_per_hour: 0.25
  seed: 99
  notice_seconds: 30
  recorded: [{instance: i-0001, at_seconds: 600}]
spot_prices:
  - {instance_type: p3.2xlarge, at_seconds: 3600, spot_price: 1.2}
provision:
  - {instance_type: m5.large, zone: us-east-1b, count: 2}
  - {instance_type: p3.2xlarge, region: us-east-1, spot: true}
)";

TEST(SimCloudConfigTest, ReadsEveryKey) {
  auto c = Parse(kFull);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->name, "sim1");
  EXPECT_EQ(c->launch_delay_seconds, 30);
  EXPECT_EQ(c->inventory_interval_ms, 500);
  ASSERT_EQ(c->offers.size(), 2u);
  const Offer& p3 = c->offers[0];
  EXPECT_EQ(p3.accelerator, "V100");
  EXPECT_EQ(p3.accelerator_count, 1);
  EXPECT_EQ(p3.gpu_memory_mib, 16384);
  EXPECT_EQ(p3.cpus, MilliCpu(8000));
  EXPECT_EQ(p3.memory, MemoryMiB(61 * 1024));
  EXPECT_EQ(p3.spot_price, 0.918);
  EXPECT_FALSE(c->offers[1].spot_price.has_value());
  ASSERT_EQ(c->zones.size(), 1u);
  EXPECT_EQ(c->zones[0].instances.at("p3.2xlarge"), 4);
  EXPECT_EQ(c->zones[0].gpus, 4);
  ASSERT_EQ(c->errors.size(), 2u);
  EXPECT_EQ(c->errors[0].scope, FailureScope::kZone);
  EXPECT_EQ(c->errors[0].refuse_first, 2);
  EXPECT_EQ(c->errors[1].scope, FailureScope::kProvider);
  EXPECT_EQ(c->errors[1].kind, ProvisionErrorKind::kQuota);
  EXPECT_EQ(c->errors[1].refuse_first, 1);
  ASSERT_EQ(c->quotas.size(), 1u);
  EXPECT_EQ(c->quotas[0].max_gpus, 8);
  EXPECT_FALSE(c->quotas[0].max_instances.has_value());
  EXPECT_EQ(c->preemption.rate_per_hour, 0.25);
  EXPECT_EQ(c->preemption.seed, 99u);
  EXPECT_EQ(c->preemption.notice_seconds, 30);
  ASSERT_EQ(c->preemption.recorded.size(), 1u);
  EXPECT_EQ(c->preemption.recorded[0].at_seconds, 600);
  ASSERT_EQ(c->spot_prices.size(), 1u);
  EXPECT_EQ(c->spot_prices[0].zone, "");
  ASSERT_EQ(c->provision.size(), 2u);
  EXPECT_EQ(c->provision[0].count, 2);
  EXPECT_TRUE(c->provision[1].spot);
}

struct BadCase {
  std::string yaml;
  const char* message;
};

TEST(SimCloudConfigTest, RefusesBadInputSayingWhereAndWhy) {
  const std::string offer =
      "offers: [{provider: aws, region: r1, zone: z1, instance_type: t1, cpus: 2, memory_gib: 4, price: "
      "1}]\n";
  const BadCase cases[] = {
      {"offers: []\n", "a simcloud needs a name"},
      {"name: a/b\n", "simcloud[0].name: must not contain '/'"},
      {"name: s\n", "needs `offers`"},
      {"name: s\noffers: []\n", "has no offers"},
      {"name: s\nofers: []\n", "did you mean 'offers'?"},
      {"name: s\noffers: [{provider: aws, region: r1, zone: z1, instance_type: t1, cpus: 0, memory_gib: "
       "4}]\n",
       "simcloud[0].offers[0].cpus: must be positive"},
      {"name: s\noffers: [{provider: aws, region: r1, instance_type: t1, cpus: 1, memory_gib: 4}]\n",
       "an offer needs a zone"},
      {"name: s\noffers: [{provider: aws, region: r1, zone: z1, instance_type: t1, cpus: 1, memory_gib: 4, "
       "price: -1}]\n",
       "price: must not be negative"},
      {"name: s\noffers: [{provider: aws, region: r1, zone: z1, instance_type: t1, cpus: 1, memory_gib: 4, "
       "accelerator_count: 2}]\n",
       "needs their model"},
      {"name: s\noffers: [{provider: aws, region: r1, zone: z1, instance_type: t1, cpus: lots, memory_gib: "
       "4}]\n",
       "cpus: wrong type"},
      {"name: s\noffers: [{provider: aws, region: r1, zone: z1, instance_type: t1, cpus: 1e300, memory_gib: "
       "4}]\n",
       "cpus: must be at most"},
      {("name: s\n" + offer + "errors: [{zone: z1, region: r1}]\n"),
       "name exactly one zone, region or provider"},
      {("name: s\n" + offer + "errors: [{zone: z9}]\n"), "zone 'z9' is in no offer (known: z1)"},
      {("name: s\n" + offer + "errors: [{zone: z1, kind: busy}]\n"), "must be capacity or quota"},
      {("name: s\n" + offer + "errors: [{zone: z1, refuse_first: 0}]\n"), "refuse_first: must be at least 1"},
      {("name: s\n" + offer + "quotas: [{zone: z1, max_gpus: 1}]\n"), "unknown setting"},
      {("name: s\n" + offer + "quotas: [{region: r1}]\n"), "needs max_instances or max_gpus"},
      {("name: s\n" + offer + "preemption: {rate_per_hour: -1}\n"), "rate_per_hour: must not be negative"},
      {("name: s\n" + offer + "preemption: {recorded: [{at_seconds: 5}]}\n"), "needs its instance"},
      {("name: s\n" + offer +
        "preemption: {recorded: [{instance: i-0001, at_seconds: 5, after_ready_seconds: 5}]}\n"),
       "at_seconds or after_ready_seconds, not both"},
      {("name: s\n" + offer + "spot_prices: [{instance_type: t9, spot_price: 1}]\n"),
       "instance type 't9' is in no offer"},
      {("name: s\n" + offer + "provision: [{instance_type: t1}]\n"), "needs a zone or a region"},
      {("name: s\n" + offer + "provision: [{instance_type: t1, zone: z1, count: 0}]\n"),
       "count: must be 1..10000"},
      {"name: s\n" + offer + "provision: [{instance_type: t1, zone: z1, count: 99999999999}]\n",
       "count: must be 1..10000"},
      {"name: s\noffers: [1, 2]\n", "simcloud[0].offers[0]: expected a mapping"},
      {"name: s\n" + offer + "zones: [{name: z1, instances: 5}]\n", "instances: wrong type"},
      {"name: s\n" + offer + "preemption: 5\n", "simcloud[0].preemption: expected a mapping"},
      {"name: [a]\n", "name: wrong type"},
      {"name: s\n" + offer + "{[a]: 1}: 2\n", "server.yaml"},
      {("name: s\n" + offer + "zones: [{name: z1, instances: {t1: -1}}]\n"), "must not be negative"},
      {("name: s\n" + offer + "inventory_interval_ms: 5\n"), "must be 100..3600000"},
      {"[1, 2]\n", "expected a mapping"},
  };
  for (const BadCase& c : cases) {
    auto parsed = Parse(c.yaml);
    ASSERT_FALSE(parsed.ok()) << c.yaml;
    EXPECT_THAT(parsed.status().message(), HasSubstr(c.message)) << c.yaml;
    EXPECT_THAT(parsed.status().message(), HasSubstr("server.yaml")) << c.yaml;
  }
}

}  // namespace
}  // namespace skyrun
