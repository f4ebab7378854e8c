// num_nodes ranges and scaling_efficiency (issue 12): what is read, and a
// line-pointing problem for each bad form.
#include "spec/node_range.h"

#include <gtest/gtest.h>

#include <string>

#include "spec/spec_overrides.h"
#include "spec/spec_parser.h"

namespace skyrun {
namespace {

JobSpec ParseOne(const std::string& text) {
  SpecParseResult result = ParseJobSpecs(text, "job.yaml");
  for (const auto& problem : result.problems) ADD_FAILURE() << problem.ToString() << "\nin:\n" << text;
  if (result.specs.size() != 1) return JobSpec{};
  return result.specs[0];
}

// The one problem of a refused text, as ToString() writes it.
std::string OneProblem(const std::string& text, const SpecParseOptions& options = {}) {
  SpecParseResult result = ParseJobSpecs(text, "job.yaml", options);
  EXPECT_TRUE(result.specs.empty());
  EXPECT_EQ(result.problems.size(), 1u) << text;
  std::string out;
  for (const auto& problem : result.problems) out += problem.ToString();
  return out;
}

TEST(NodeRangeTest, RangeIsAGangStartingAtItsMin) {
  JobSpec s = ParseOne("run: x\nnum_nodes: 2..8\nscaling_efficiency: 0.9\n");
  EXPECT_EQ(s.mode, JobMode::kGang);
  EXPECT_EQ(s.num_nodes, 2);
  EXPECT_EQ(s.node_range.min, 2);
  EXPECT_EQ(s.node_range.max, 8);
  EXPECT_DOUBLE_EQ(s.node_range.scaling_efficiency, 0.9);
  // Without scaling_efficiency: perfect scaling; spaces around ".." are fine.
  JobSpec t = ParseOne("run: x\nmode: gang\nnum_nodes: ' 1 .. 4 '\n");
  EXPECT_EQ(t.num_nodes, 1);
  EXPECT_EQ(t.node_range.max, 4);
  EXPECT_DOUBLE_EQ(t.node_range.scaling_efficiency, 1.0);
  // 4..4 is four nodes, no range.
  JobSpec u = ParseOne("run: x\nnum_nodes: 4..4\n");
  EXPECT_EQ(u.num_nodes, 4);
  EXPECT_FALSE(u.node_range.present());
}

TEST(NodeRangeTest, ParseText) {
  auto r = spec_internal::ParseNodeRangeText("3..12");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->min, 3);
  EXPECT_EQ(r->max, 12);
  for (const char* bad : {"3", "..4", "2..", "a..b", "2...8", "-1..4", "2..8..9", "1234567890..2"})
    EXPECT_FALSE(spec_internal::ParseNodeRangeText(bad).has_value()) << bad;
}

TEST(NodeRangeTest, MinAboveMaxIsLocated) {
  EXPECT_EQ(OneProblem("run: x\nnum_nodes: 8..2\n"),
            "job.yaml:2:12: num_nodes: the range '8..2' starts above its end; write the smaller count first, "
            "such as 2..8");
}

TEST(NodeRangeTest, ZeroAndTooManyAreRefused) {
  EXPECT_EQ(OneProblem("run: x\nnum_nodes: 0..4\n"),
            "job.yaml:2:12: num_nodes: a range's ends must be between 1 and 1024, got '0..4'");
  EXPECT_EQ(OneProblem("run: x\nnum_nodes: 2..5000\n"),
            "job.yaml:2:12: num_nodes: a range's ends must be between 1 and 1024, got '2..5000'");
  EXPECT_EQ(OneProblem("run: x\nnum_nodes: 2..x\n"),
            "job.yaml:2:12: num_nodes: expected a number of nodes such as 4, or a range such as 2..8, got "
            "'2..x'");
}

TEST(NodeRangeTest, EfficiencyOutOfRangeIsRefused) {
  for (const char* e : {"0", "1.5", "-0.5", "x"}) {
    std::string got = OneProblem("run: x\nnum_nodes: 2..8\nscaling_efficiency: " + std::string(e) + "\n");
    EXPECT_EQ(got.rfind("job.yaml:3:21: scaling_efficiency: ", 0), 0u) << got;
  }
  EXPECT_EQ(OneProblem("run: x\nnum_nodes: 2..8\nscaling_efficiency: 1.5\n"),
            "job.yaml:3:21: scaling_efficiency: must be more than 0 and at most 1 (1: twice the nodes take "
            "half the time), got 1.5");
}

TEST(NodeRangeTest, EfficiencyWithoutRangeIsRefused) {
  EXPECT_EQ(OneProblem("run: x\nnum_nodes: 4\nscaling_efficiency: 0.9\n"),
            "job.yaml:3:21: scaling_efficiency: is for a range of nodes (num_nodes: 2..8), and num_nodes is "
            "one count here");
}

TEST(NodeRangeTest, RangeOnAModeThatCannotTakeItIsRefused) {
  EXPECT_EQ(
      OneProblem("run: x\nmode: single\nnum_nodes: 1..4\n"),
      "job.yaml:3:12: num_nodes: a range of nodes is for a gang, but mode is single; give one count, or "
      "set mode: gang");
  // A single job with more than one node is told once, by the mode check.
  EXPECT_NE(OneProblem("run: x\nmode: single\nnum_nodes: 2..4\n").find("mode single runs one task"),
            std::string::npos);
  EXPECT_NE(
      OneProblem("run: x\nmode: pipeline\npartition: {model: bert-large, layers: 24}\nnum_nodes: 2..4\n")
          .find("a range of nodes is for a gang, but mode is pipeline"),
      std::string::npos);
  EXPECT_NE(OneProblem("mode: ps-worker\nroles: {ps: {count: 1, run: x}, worker: {count: 2, run: y}}\n"
                       "num_nodes: 2..4\n")
                .find("is not used with mode ps-worker"),
            std::string::npos);
}

TEST(NodeRangeTest, JsonAndSummaryShowTheRange) {
  JobSpec s = ParseOne("run: x\nnum_nodes: 2..8\nscaling_efficiency: 0.9\n");
  nlohmann::json j = SpecToJson(s);
  EXPECT_EQ(j["num_nodes"], 2);
  EXPECT_EQ(j["num_nodes_range"]["min"], 2);
  EXPECT_EQ(j["num_nodes_range"]["max"], 8);
  EXPECT_DOUBLE_EQ(j["num_nodes_range"]["scaling_efficiency"].get<double>(), 0.9);
  EXPECT_EQ(SpecSummary(s).rfind("gang x2..8, ", 0), 0u) << SpecSummary(s);
  EXPECT_FALSE(SpecToJson(ParseOne("run: x\nnum_nodes: 3\n")).contains("num_nodes_range"));
}

TEST(NodeRangeTest, NumNodesOverrideReplacesTheRangeAndItsEfficiency) {
  LaunchOverrides o;
  o.num_nodes = 4;
  auto text = ApplyLaunchOverrides("run: x\nnum_nodes: 2..8\nscaling_efficiency: 0.9\n", o);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  JobSpec s = ParseOne(*text);
  EXPECT_EQ(s.num_nodes, 4);
  EXPECT_FALSE(s.node_range.present());
}

TEST(NodeRangeTest, RangeNeedsTheBroker) {
  SpecParseOptions no_broker;
  no_broker.broker_fields = false;
  EXPECT_NE(OneProblem("run: x\nnum_nodes: 2..8\n", no_broker).find("chosen by the broker"),
            std::string::npos);
}

}  // namespace
}  // namespace skyrun
