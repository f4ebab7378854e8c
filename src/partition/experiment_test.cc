// The experiment grid: lower bound <= free order <= exact <= heuristic <= even
// on every instance (small seed count), and the device sets are as documented.
#include "partition/experiment.h"

#include <gtest/gtest.h>

#include "partition/allocator.h"
#include "partition/bert.h"
#include "partition/svg_chart.h"

namespace skyrun::partition {
namespace {

TEST(PartitionExperimentTest, OrderHoldsOnEveryInstanceOfTheGrid) {
  ExperimentConfig config;  // 4..64 devices x 40..160 layers
  config.seeds = 2;
  config.order_max_evaluations = 200;
  auto result = RunExperiment(config);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->runs.size(), 5u * 3u * 2u);
  for (const ExperimentRun& run : result->runs) {
    SCOPED_TRACE(std::to_string(run.devices) + " devices x " + std::to_string(run.layers) + " layers, seed " +
                 std::to_string(run.seed));
    ASSERT_TRUE(run.all_feasible);
    EXPECT_TRUE(run.order_holds);
    EXPECT_LE(run.exact, run.heuristic);
    EXPECT_LE(run.heuristic, run.even);
    EXPECT_LE(run.lower_bound, run.ordered);
    EXPECT_LE(run.ordered, run.exact);
  }
  EXPECT_EQ(result->violations, 0);
  // Balancing pays at scale: exact well below even at 64 x 160.
  bool found = false;
  for (const ExperimentPoint& p : result->points) {
    if (p.devices == 64 && p.layers == 160) {
      found = true;
      EXPECT_GT(p.exact_cut, 20.0);
      EXPECT_GE(p.exact_cut, p.heuristic_cut);
    }
  }
  EXPECT_TRUE(found);
  std::string table = ExperimentTableMarkdown(*result);
  EXPECT_NE(table.find("| 64 | 160 | 483 |"), std::string::npos);
  EXPECT_NE(table.find("seed 000 reports -55%"), std::string::npos);
  std::string svg = ExperimentSvg(*result);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
  EXPECT_NE(svg.find("seed: -55%"), std::string::npos);
}

TEST(PartitionExperimentTest, DevicesFollowTheReleasedCodeAndEvenFits) {
  BertConfig bert;
  bert.layers = 80;
  auto model = BertProfile(bert);
  ASSERT_TRUE(model.ok());
  ExperimentConfig config;
  Rng rng(5);
  std::set<int64_t> slowness;
  for (int trial = 0; trial < 20; ++trial) {
    DeviceSet set = MakeExperimentDevices(*model, 16, config, rng);
    ASSERT_EQ(set.devices.size(), 16u);
    for (const auto& d : set.devices) {
      EXPECT_EQ(d.slowness_milli % 1000, 0);
      EXPECT_GE(d.slowness_milli, 2000);
      EXPECT_LE(d.slowness_milli, 7000);
      slowness.insert(d.slowness_milli);
    }
    auto in = Instance::Build(*model, set);
    ASSERT_TRUE(in.ok());
    EXPECT_TRUE(AllocateEven(*in, IdentityOrder(16), {}).feasible);
  }
  EXPECT_EQ(slowness.size(), 6u);  // all of 2..7 drawn
}

TEST(PartitionExperimentTest, RejectsBadConfigs) {
  ExperimentConfig config;
  config.seeds = 0;
  EXPECT_FALSE(RunExperiment(config).ok());
  config = ExperimentConfig();
  config.device_counts = {};
  EXPECT_FALSE(RunExperiment(config).ok());
}

}  // namespace
}  // namespace skyrun::partition
