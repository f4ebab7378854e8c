#include "controller/pipeline.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

Node GpuNode(const std::string& name, std::map<std::string, std::string> attributes, int64_t gpu_mb = 16384) {
  Node n;
  n.name = name;
  n.backend = "local";
  n.cpus_milli = MilliCpu(8000);
  n.memory_mib = MemoryMiB(65536);
  n.gpus.push_back({0, "V100", MemoryMiB(gpu_mb)});
  n.attributes = std::move(attributes);
  return n;
}

JobSpec Pipeline(int tasks, int layers) {
  JobSpec s;
  s.name = "p";
  s.mode = JobMode::kPipeline;
  s.num_nodes = tasks;
  s.partition.model = "bert-large";
  s.partition.layers = layers;
  return s;
}

Placement PlaceOnePerNode(const std::vector<Node>& nodes) {
  Placement p;
  p.backend = "local";
  for (size_t k = 0; k < nodes.size(); ++k) {
    TaskPlacement t;
    t.rank = static_cast<int>(k);
    t.node = nodes[k].name;
    t.gpu_indices = {0};
    t.gpu_milli = MilliGpu(1000);
    p.tasks.push_back(t);
  }
  return p;
}

int Units(const std::map<std::string, std::string>& env) {
  return std::stoi(env.at("SKYRUN_LAYER_END")) - std::stoi(env.at("SKYRUN_LAYER_START")) + 1;
}

TEST(PipelineTest, FasterNodesGetMoreUnitsAndRangesAreContiguous) {
  std::vector<Node> nodes = {GpuNode("fast", {{"Slowness", "1"}}), GpuNode("slow", {{"slowness", "4"}}),
                             GpuNode("mid", {{"Slowness", "2"}})};
  std::vector<const Node*> ptrs = {&nodes[0], &nodes[1], &nodes[2]};
  auto env = PipelineEnvironment(Pipeline(3, 24), PlaceOnePerNode(nodes), ptrs);
  ASSERT_TRUE(env.ok()) << env.status().message();
  ASSERT_EQ(env->size(), 3u);
  int next = 0;
  for (size_t k = 0; k < 3; ++k) {
    const auto& e = (*env)[k];
    EXPECT_EQ(std::stoi(e.at("SKYRUN_LAYER_START")), next) << k;
    EXPECT_EQ(e.at("SKYRUN_STAGE"), std::to_string(k));
    EXPECT_EQ(e.at("SKYRUN_NUM_STAGES"), "3");
    EXPECT_EQ(e.at("SKYRUN_NUM_UNITS"), "75");  // 3 per encoder layer + embeddings, pooler, classifier
    next = std::stoi(e.at("SKYRUN_LAYER_END")) + 1;
  }
  EXPECT_EQ(next, 75);
  EXPECT_GT(Units((*env)[0]), Units((*env)[2]));
  EXPECT_GT(Units((*env)[2]), Units((*env)[1]));
}

TEST(PipelineTest, MeasuredBenchSecondsGiveTheSpeeds) {
  // Seconds of device_bench.py: 0.5 and 1.5, i.e. slowness 1 and 3.
  std::vector<Node> nodes = {GpuNode("a", {{"BenchSeconds", "1.5"}}),
                             GpuNode("b", {{"BenchSeconds", "0.5"}})};
  auto env = PipelineEnvironment(Pipeline(2, 24), PlaceOnePerNode(nodes), {&nodes[0], &nodes[1]});
  ASSERT_TRUE(env.ok()) << env.status().message();
  EXPECT_LT(Units((*env)[0]), Units((*env)[1]));
  // Equal speeds split evenly (within a unit's worth of imbalance).
  std::vector<Node> same = {GpuNode("a", {}), GpuNode("b", {})};
  auto even = PipelineEnvironment(Pipeline(2, 24), PlaceOnePerNode(same), {&same[0], &same[1]});
  ASSERT_TRUE(even.ok());
  EXPECT_NEAR(Units((*even)[0]), Units((*even)[1]), 4);
}

TEST(PipelineTest, AModelThatDoesNotFitNamesTheDevice) {
  std::vector<Node> nodes = {GpuNode("tiny", {}, 64), GpuNode("tiny2", {}, 64)};
  auto env = PipelineEnvironment(Pipeline(2, 24), PlaceOnePerNode(nodes), {&nodes[0], &nodes[1]});
  ASSERT_FALSE(env.ok());
  EXPECT_NE(env.status().message().find("does not fit"), std::string::npos) << env.status().message();
}

TEST(PipelineTest, AdmissionChecksModelAlgorithmAndTaskCount) {
  EXPECT_TRUE(CheckPipeline(Pipeline(4, 24)).ok());
  JobSpec unknown = Pipeline(2, 24);
  unknown.partition.model = "gpt-17";
  Status s = CheckPipeline(unknown);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("partition.model"), std::string::npos) << s.message();
  JobSpec algo = Pipeline(2, 24);
  algo.partition.algorithm = "exakt";
  s = CheckPipeline(algo);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("partition.algorithm"), std::string::npos) << s.message();
  s = CheckPipeline(Pipeline(10, 1));  // 6 units for 10 tasks
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("fewer than the 10 tasks"), std::string::npos) << s.message();
  JobSpec missing = Pipeline(2, 0);
  missing.partition.model.clear();
  missing.partition.profile = "/nonexistent/layers.csv";
  EXPECT_FALSE(CheckPipeline(missing).ok());
}

TEST(PipelineTest, UserProfileRelativeToTheSpec) {
  JobSpec s = Pipeline(2, 0);
  s.partition.model.clear();
  s.partition.profile = "layers.csv";
  s.base_dir = std::string(SKYRUN_SOURCE_DIR_DEFAULT) + "/examples/partition";
  auto model = PipelineModel(s.partition, s.base_dir);
  ASSERT_TRUE(model.ok()) << model.status().message();
  EXPECT_GT(model->units.size(), 2u);
}

}  // namespace
}  // namespace skyrun
