// POST /v1/partition as a bounded job (issue 10, item 8): inputs beyond the
// bounds are refused naming them; "all" on a large instance runs only the
// algorithms that scale; a stopped runner refuses new work.
#include "server/partition_runner.h"

#include <gtest/gtest.h>

#include "partition/bert.h"

namespace skyrun {
namespace {

partition::ModelProfile Bert(int layers) {
  auto config = partition::BuiltinBertConfig("bert-large").value();
  config.layers = layers;
  return partition::BertProfile(config).value();
}

partition::DeviceSet Devices(int n) {
  partition::DeviceSet set;
  for (int i = 0; i < n; ++i) {
    partition::DeviceProfile d;
    d.name = "d" + std::to_string(i);
    d.slowness_milli = 1000 + 1000 * (i % 3);
    d.memory_mib = 100000;
    set.devices.push_back(d);
  }
  return set;
}

std::string Message(const PartitionOutcome& out) {
  return out.body["error"]["message"].get<std::string>();
}

TEST(PartitionRunnerTest, Item8_InputsBeyondTheBoundsAreRefusedNamingThem) {
  PartitionRunner runner(PartitionLimits{});
  partition::PartitionOptions options;
  auto many = runner.Run("t", Bert(4), Devices(2000), options);
  EXPECT_EQ(many.http_status, 422);
  EXPECT_EQ(Message(many), "devices_csv has 2000 devices; the limit is 256");
  auto deep = runner.Run("t", Bert(6000), Devices(2), options);
  EXPECT_EQ(deep.http_status, 422);
  EXPECT_NE(Message(deep).find("the limit is 16384"), std::string::npos) << Message(deep);
  options.algorithms = {"ordered"};
  auto costly = runner.Run("t", Bert(4096), Devices(16), options);
  EXPECT_EQ(costly.http_status, 422);
  EXPECT_NE(Message(costly).find("devices x units = 65536"), std::string::npos) << Message(costly);
}

TEST(PartitionRunnerTest, Item8_AllOnALargeInstanceRunsOnlyTheAlgorithmsThatScale) {
  PartitionRunner runner(PartitionLimits{});
  partition::PartitionOptions options;  // "all"
  auto out = runner.Run("t", Bert(1024), Devices(64), options);
  ASSERT_EQ(out.http_status, 200) << out.body.dump().substr(0, 300);
  std::vector<std::string> algos;
  for (const auto& r : out.body["results"]) algos.push_back(r["algo"].get<std::string>());
  EXPECT_EQ(std::count(algos.begin(), algos.end(), "ordered"), 0);
  EXPECT_EQ(std::count(algos.begin(), algos.end(), "exact-comm"), 0);
  EXPECT_EQ(std::count(algos.begin(), algos.end(), "exact"), 1);
}

TEST(PartitionRunnerTest, Item8_AStoppedRunnerRefusesNewWork) {
  PartitionRunner runner(PartitionLimits{});
  runner.CancelAll();
  auto out = runner.Run("t", Bert(4), Devices(2), partition::PartitionOptions{});
  EXPECT_EQ(out.http_status, 503);
  EXPECT_EQ(Message(out), "the server is stopping");
}

}  // namespace
}  // namespace skyrun
