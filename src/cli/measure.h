// `skyrun partition measure`: the benchmark phase of seed 000's load
// balancing, run as skyrun jobs. For each node (or one node per GPU model
// with --per-model), one job pinned to it by requirements (Name == "node")
// runs examples/partition/device_bench.py; the jobs run one after another so
// that nodes sharing a host do not slow each other; the printed seconds
// become a devices CSV (name, bench_seconds, memory_mib) that
// `skyrun partition --devices` reads, and, as node attributes, the speeds a
// pipeline job's split uses (BenchSeconds: in the server config).
// Thread-safety: a CLI command; one at a time.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace skyrun {

struct ClientOptions;

struct MeasureArgs {
  std::vector<std::string> nodes;  // empty = every node that is up
  bool per_model = false;          // one node per GPU model (device class)
  std::string script;              // device_bench.py ("" = the one beside the examples)
  std::string python = "/usr/bin/python3";
  int n = 2048;
  int iters = 10;
  double timeout_seconds = 600;  // per job
  std::string output = "csv";    // csv | json
};

int MeasureDevices(const MeasureArgs& args, const ClientOptions& client, std::ostream& out,
                   std::ostream& err);

// Adds `measure` under the existing `partition` command.
void RegisterMeasureCommand(CLI::App& app, int* exit_code);

}  // namespace skyrun
