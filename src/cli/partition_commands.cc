// `skyrun partition` and `skyrun partition experiment`: arguments to
// partition::Run*. (`partition measure` is cli/measure.cc.)
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/module_commands.h"
#include "partition/partition_cli.h"

namespace skyrun {

void RegisterPartitionCommands(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<partition::PartitionCliArgs>();
  auto exp = std::make_shared<partition::ExperimentCliArgs>();
  CLI::App* cmd = app.add_subcommand(
      "partition", "Split a model's layers over heterogeneous devices (even, heuristic, exact, ordered)");
  cmd->add_option("--model", args->model, "built-in model: bert-large or bert-base");
  cmd->add_option("--layers", args->layers, "encoder layers of the built-in model (3 units each, plus 3)");
  cmd->add_option("--batch", args->batch, "batch size of the built-in model")->capture_default_str();
  cmd->add_option("--seq", args->seq, "sequence length of the built-in model")->capture_default_str();
  cmd->add_option("--profile", args->profile,
                  "user profile CSV: name,fwd_flops,bwd_flops,param_bytes,act_bytes[,out_bytes,mem_bytes]");
  cmd->add_option("--devices", args->devices,
                  "devices CSV: name,slowness|bench_seconds,memory_mib[,bandwidth_gbps,latency_us]");
  cmd->add_option("--links", args->links, "links CSV: from,to,bandwidth_gbps[,latency_us]");
  cmd->add_option("--algo", args->algorithms, "all, or a list of even,heuristic,exact,exact-comm,ordered")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("-o,--output", args->output, "text or json")->capture_default_str();
  cmd->add_option("--micro-batches", args->micro_batches, "micro-batches B of the micro-batch cost model")
      ->capture_default_str();
  cmd->add_option("--ref-tflops", args->ref_tflops,
                  "TFLOP/s of a slowness-1 device, for times in seconds (default 10, or from bench_seconds)");
  cmd->add_flag("--no-idle", args->no_idle, "give every device at least one unit");
  cmd->add_flag("--summary", args->summary, "print the summary table only");
  cmd->add_option("--max-orders", args->max_orders, "orders the 'ordered' local search may try")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "seed of the 'ordered' local search")->capture_default_str();
  cmd->add_flag("--no-pair-balance", args->no_pair_balance,
                "heuristic: only the released code's take / give-back rules, no pair balancing");

  CLI::App* experiment = cmd->add_subcommand(
      "experiment", "Reproduce seed 000's comparison: 4-64 devices x 40-160 BERT-large layers");
  experiment->add_option("--seeds", exp->seeds, "random device sets per point")->capture_default_str();
  experiment->add_option("--out", exp->out_dir, "folder for the table, CSV and SVG chart ('' for none)")
      ->capture_default_str();
  experiment->add_option("--device-counts", exp->devices, "device counts")
      ->delimiter(',')
      ->capture_default_str();
  experiment->add_option("--layer-counts", exp->layers, "encoder layer counts")
      ->delimiter(',')
      ->capture_default_str();
  experiment->add_option("--micro-batches", exp->micro_batches, "B of the micro-batch cost model")
      ->capture_default_str();
  experiment->add_flag("--no-ordered", exp->no_ordered, "skip the free-order search");
  experiment->add_option("--max-orders", exp->max_orders, "orders the free-order search may try per instance")
      ->capture_default_str();
  experiment->add_flag("--no-pair-balance", exp->no_pair_balance,
                       "heuristic: only the released code's take / give-back rules, no pair balancing");
  experiment->callback(
      [exp, exit_code] { *exit_code = partition::RunExperimentCommand(*exp, std::cout, std::cerr); });

  cmd->callback([cmd, args, exit_code] {
    // `partition experiment` and `partition measure` (registered by cli/) run their own.
    if (!cmd->get_subcommands().empty()) return;
    *exit_code = partition::RunPartitionCommand(*args, std::cout, std::cerr);
  });
}
}  // namespace skyrun
