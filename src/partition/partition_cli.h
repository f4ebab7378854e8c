// `skyrun partition ...` and `skyrun partition experiment ...`: the command-line
// face of the partitioner. The Run* functions hold the logic so that tests drive
// it without a process; src/cli/partition_commands.cc parses the arguments
// (CLI11) into the structs below. Exit codes: 0 done, 1 the model does not fit the devices
// (every algorithm infeasible), 2 bad input.
// Thread-safety: the Run* functions are reentrant; registration is not.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace skyrun {

namespace partition {

struct PartitionCliArgs {
  std::string model;  // built-in model name (or empty with --profile)
  int layers = -1;    // encoder layers; -1: the model's own
  int batch = 32;
  int seq = 128;
  std::string profile;  // user profile CSV
  std::string devices;  // devices CSV
  std::string links;    // optional links CSV
  std::vector<std::string> algorithms = {"all"};
  std::string output = "text";  // text | json
  int micro_batches = 8;
  std::optional<double> ref_tflops;
  bool no_idle = false;
  bool summary = false;
  int max_orders = 2000;
  uint64_t seed = 1;
  bool no_pair_balance = false;  // heuristic: the released rules only
};

struct ExperimentCliArgs {
  int seeds = 10;
  std::string out_dir = "partition-experiment";
  std::vector<int> devices = {4, 8, 16, 32, 64};
  std::vector<int> layers = {40, 80, 160};
  int micro_batches = 8;
  bool no_ordered = false;
  int max_orders = 500;
  bool no_pair_balance = false;
};

int RunPartitionCommand(const PartitionCliArgs& args, std::ostream& out, std::ostream& err);
int RunExperimentCommand(const ExperimentCliArgs& args, std::ostream& out, std::ostream& err);

}  // namespace partition
}  // namespace skyrun
