// The command's behaviour: outputs, exit codes and messages, driven through
// RunPartitionCommand / RunExperimentCommand (the CLI11 parsing is tested in
// src/cli/module_commands_test.cc).
#include "partition/partition_cli.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "partition/test_util.h"

namespace skyrun::partition {
namespace {

std::string Data(const std::string& name) {
  return testing::TestDataDir() + "/" + name;
}

TEST(PartitionCliTest, ProfileAsJson) {
  PartitionCliArgs args;
  args.profile = Data("small_layers.csv");
  args.devices = Data("small_devices.csv");
  args.output = "json";
  std::ostringstream out, err;
  EXPECT_EQ(RunPartitionCommand(args, out, err), 0) << err.str();
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["units"], 10);
  EXPECT_EQ(j["results"].size(), 5u);
}

TEST(PartitionCliTest, BadInputExitsTwoWithTheReason) {
  PartitionCliArgs args;
  args.model = "bert-larg";
  args.devices = Data("small_devices.csv");
  std::ostringstream out, err;
  EXPECT_EQ(RunPartitionCommand(args, out, err), 2);
  EXPECT_NE(err.str().find("did you mean 'bert-large'"), std::string::npos) << err.str();

  args.model = "bert-large";
  args.devices = Data("no_such_file.csv");
  std::ostringstream out2, err2;
  EXPECT_EQ(RunPartitionCommand(args, out2, err2), 2);
  EXPECT_NE(err2.str().find("cannot open"), std::string::npos);

  args.devices = Data("small_devices.csv");
  args.output = "yaml";
  std::ostringstream out3, err3;
  EXPECT_EQ(RunPartitionCommand(args, out3, err3), 2);
}

TEST(PartitionCliTest, InfeasibleExitsOneAndNamesTheDevice) {
  PartitionCliArgs args;
  args.profile = Data("small_layers.csv");
  args.devices = Data("tight_devices.csv");
  std::ostringstream out, err;
  EXPECT_EQ(RunPartitionCommand(args, out, err), 1);
  EXPECT_NE(out.str().find("INFEASIBLE"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("device 'c'"), std::string::npos) << out.str();
}

TEST(PartitionCliTest, ExperimentWritesTableCsvAndSvg) {
  ExperimentCliArgs args;
  args.seeds = 1;
  args.devices = {4, 8};
  args.layers = {8};
  args.out_dir = (std::filesystem::temp_directory_path() / "skyrun_partition_experiment_test").string();
  std::filesystem::remove_all(args.out_dir);
  std::ostringstream out, err;
  EXPECT_EQ(RunExperimentCommand(args, out, err), 0) << err.str();
  EXPECT_NE(out.str().find("| 8 | 8 | 27 |"), std::string::npos) << out.str();
  for (const char* name :
       {"partition_experiment.md", "partition_experiment.csv", "partition_experiment.svg"}) {
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(args.out_dir) / name)) << name;
  }
  std::filesystem::remove_all(args.out_dir);
}

}  // namespace
}  // namespace skyrun::partition
