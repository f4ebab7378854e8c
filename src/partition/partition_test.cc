// The report (JSON and text) and the pipeline ranges, on the small profile in
// tests/partition/, recomputing the loads from the CSV values independently.
#include "partition/partition.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "partition/profile_csv.h"
#include "partition/test_util.h"
#include "support/golden.h"

namespace skyrun::partition {
namespace {

using testing::ReadTestFile;

ModelProfile SmallModel() {
  auto m = ParseModelCsv(ReadTestFile("small_layers.csv"), "small_layers.csv");
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return *m;
}

DeviceSet SmallDevices(bool links) {
  auto d = ParseDevicesCsv(ReadTestFile("small_devices.csv"), "small_devices.csv");
  EXPECT_TRUE(d.ok()) << d.status().ToString();
  if (links) {
    Status s = ParseLinksCsv(ReadTestFile("small_links.csv"), "small_links.csv", &*d);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return *d;
}

TEST(PartitionTest, JsonListsEveryAlgorithmWithConsistentLoads) {
  ModelProfile model = SmallModel();
  DeviceSet devices = SmallDevices(false);
  auto json = PartitionJson(model, devices, {});
  ASSERT_TRUE(json.ok()) << json.status().ToString();
  const auto& results = (*json)["results"];
  ASSERT_EQ(results.size(), 5u);
  std::vector<std::string> algos;
  for (const auto& r : results) {
    algos.push_back(r["algo"]);
    ASSERT_TRUE(r["feasible"].get<bool>()) << r.dump();
    ASSERT_EQ(r["assignment"].size(), devices.devices.size());
    // Recompute max_load and sum_load: slowness x (fwd + bwd) per device.
    double max_load = 0, sum_load = 0;
    int covered = 0;
    for (size_t d = 0; d < devices.devices.size(); ++d) {
      const auto& range = r["assignment"][d];
      if (range.is_null()) continue;
      int first = range[0], last = range[1];
      covered += last - first + 1;
      double flops = 0;
      for (int u = first; u <= last; ++u) flops += model.units[u].fwd_flops + model.units[u].bwd_flops;
      double load = flops * devices.devices[d].slowness_milli / 1000.0;
      max_load = std::max(max_load, load);
      sum_load += load;
    }
    EXPECT_EQ(covered, 10);
    EXPECT_DOUBLE_EQ(r["max_load"].get<double>(), max_load) << r["algo"];
    EXPECT_DOUBLE_EQ(r["sum_load"].get<double>(), sum_load) << r["algo"];
    EXPECT_LE(r["lower_bound"].get<double>(), max_load);
  }
  EXPECT_EQ(algos, (std::vector<std::string>{"even", "heuristic", "exact", "exact-comm", "ordered"}));
  double even = results[0]["max_load"], heuristic = results[1]["max_load"], exact = results[2]["max_load"];
  EXPECT_LE(exact, heuristic);
  EXPECT_LE(heuristic, even);
  EXPECT_LT(exact, even);
}

TEST(PartitionTest, MatchesTheGoldenJson) {
  auto report = RunPartition(SmallModel(), SmallDevices(true), {});
  ASSERT_TRUE(report.ok());
  std::string got = ReportToJson(*report).dump(2) + "\n";
  test_support::ExpectMatchesGolden(testing::TestDataDir() + "/small_expected.json", got);
}

TEST(PartitionTest, TextShowsSummaryAndAssignments) {
  auto report = RunPartition(SmallModel(), SmallDevices(true), {});
  ASSERT_TRUE(report.ok());
  std::string text = ReportToText(*report, false);
  for (const char* algo : {"even", "heuristic", "exact", "exact-comm", "ordered"}) {
    EXPECT_NE(text.find(std::string("\n") + algo + " "), std::string::npos) << algo;
  }
  EXPECT_NE(text.find("lower bound"), std::string::npos);
  EXPECT_NE(text.find("pipeline order"), std::string::npos);
  std::string summary = ReportToText(*report, true);
  EXPECT_EQ(summary.find("pipeline order"), std::string::npos);
}

TEST(PartitionTest, CommAwareSplitAvoidsTheSlowLink) {
  // fast <-> mid is 1 Mbit/s: exact-comm keeps them apart (mid idle or slow between them).
  auto report = RunPartition(SmallModel(), SmallDevices(true), {});
  ASSERT_TRUE(report.ok());
  const AlgorithmReport* exact = nullptr;
  const AlgorithmReport* comm = nullptr;
  for (const auto& a : report->algorithms) {
    if (a.algo == "exact") exact = &a;
    if (a.algo == "exact-comm") comm = &a;
  }
  ASSERT_TRUE(exact && comm);
  EXPECT_LT(comm->evaluation.bottleneck, exact->evaluation.bottleneck);
  EXPECT_LE(exact->evaluation.max_load, comm->evaluation.max_load);
}

TEST(PartitionTest, PipelineRangesCoverEveryUnitInStageOrder) {
  ModelProfile model = SmallModel();
  for (bool links : {false, true}) {
    auto ranges = PipelineRanges(model, SmallDevices(links));
    ASSERT_TRUE(ranges.ok()) << ranges.status().ToString();
    ASSERT_EQ(ranges->size(), 3u);
    std::vector<UnitRange> by_stage(3);
    for (const UnitRange& r : *ranges) {
      ASSERT_FALSE(r.empty()) << r.device;  // one task per device: each gets units
      by_stage[r.stage] = r;
    }
    int next = 0;
    for (const UnitRange& r : by_stage) {
      EXPECT_EQ(r.first, next);
      EXPECT_GE(r.last, r.first);
      next = r.last + 1;
    }
    EXPECT_EQ(next, 10);
  }
}

TEST(PartitionTest, InfeasibleRangesNameTheDevice) {
  auto devices = ParseDevicesCsv(ReadTestFile("tight_devices.csv"), "tight_devices.csv");
  ASSERT_TRUE(devices.ok());
  auto ranges = PipelineRanges(SmallModel(), *devices);
  ASSERT_FALSE(ranges.ok());
  EXPECT_EQ(ranges.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(ranges.status().message().find("'c'"), std::string::npos) << ranges.status().message();

  auto report = RunPartition(SmallModel(), *devices, {});
  ASSERT_TRUE(report.ok());
  EXPECT_FALSE(report->AnyFeasible());
  nlohmann::json j = ReportToJson(*report);
  for (const auto& r : j["results"]) {
    EXPECT_FALSE(r["feasible"].get<bool>());
    EXPECT_TRUE(r.contains("reason"));
  }
  EXPECT_TRUE(j["lower_bound"].is_null());
}

TEST(PartitionTest, UnknownAlgorithmIsRejected) {
  PartitionOptions options;
  options.algorithms = {"exact,heuristc"};
  auto report = RunPartition(SmallModel(), SmallDevices(false), options);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("did you mean 'heuristic'"), std::string::npos);
}

TEST(PartitionTest, LoadJsonKeepsIntegers) {
  EXPECT_EQ(LoadJson(5000).dump(), "5");
  EXPECT_EQ(LoadJson(2500).dump(), "2.5");
  Load big = static_cast<Load>(1) << 70;
  EXPECT_TRUE(LoadJson(big * kSlownessScale).is_number_float());  // beyond int64: a double
}

}  // namespace
}  // namespace skyrun::partition
