#include "partition/partition_cli.h"

#include <CLI/CLI.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "partition/bert.h"
#include "partition/experiment.h"
#include "partition/partition.h"
#include "partition/profile_csv.h"
#include "partition/svg_chart.h"

namespace skyrun {
namespace partition {
namespace {

constexpr int kExitInfeasible = 1;
constexpr int kExitBadInput = 2;

int Fail(std::ostream& err, const Status& status, int code) {
  err << "skyrun partition: " << status.message() << "\n";
  return code;
}

Result<ModelProfile> LoadModel(const PartitionCliArgs& args) {
  if (!args.profile.empty() && !args.model.empty()) {
    return InvalidArgument("give either --model or --profile, not both");
  }
  if (!args.profile.empty()) {
    if (args.layers >= 0)
      return InvalidArgument("--layers applies to --model only; a profile lists its own units");
    SKYRUN_ASSIGN_OR_RETURN(std::string text, ReadTextFile(args.profile));
    return ParseModelCsv(text, args.profile);
  }
  if (args.model.empty()) return InvalidArgument("give a model: --model bert-large or --profile layers.csv");
  SKYRUN_ASSIGN_OR_RETURN(BertConfig config, BuiltinBertConfig(args.model));
  if (args.layers >= 0) config.layers = args.layers;
  config.batch = args.batch;
  config.seq = args.seq;
  return BertProfile(config);
}

Result<DeviceSet> LoadDevices(const PartitionCliArgs& args) {
  if (args.devices.empty()) return InvalidArgument("give the devices: --devices devices.csv");
  std::optional<int64_t> ref;
  if (args.ref_tflops) {
    double flops = *args.ref_tflops * 1e12;
    if (!std::isfinite(flops) || flops < 1 || flops > static_cast<double>(kMaxRefFlopsPerSecond)) {
      return InvalidArgument("--ref-tflops must be positive and at most 10000");
    }
    ref = static_cast<int64_t>(std::llround(flops));
  }
  SKYRUN_ASSIGN_OR_RETURN(std::string text, ReadTextFile(args.devices));
  SKYRUN_ASSIGN_OR_RETURN(DeviceSet set, ParseDevicesCsv(text, args.devices, ref));
  if (!args.links.empty()) {
    SKYRUN_ASSIGN_OR_RETURN(std::string links, ReadTextFile(args.links));
    SKYRUN_RETURN_IF_ERROR(ParseLinksCsv(links, args.links, &set));
  }
  return set;
}

Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Internal("cannot write '" + path.string() + "': check that the folder is writable");
  out << text;
  if (!out) return Internal("writing '" + path.string() + "' failed");
  return Status::Ok();
}

}  // namespace

int RunPartitionCommand(const PartitionCliArgs& args, std::ostream& out, std::ostream& err) {
  if (args.output != "text" && args.output != "json") {
    return Fail(err, InvalidArgument("-o must be text or json, not '" + args.output + "'"), kExitBadInput);
  }
  auto model = LoadModel(args);
  if (!model.ok()) return Fail(err, model.status(), kExitBadInput);
  auto devices = LoadDevices(args);
  if (!devices.ok()) return Fail(err, devices.status(), kExitBadInput);
  PartitionOptions options;
  options.algorithms = args.algorithms;
  options.micro_batches = args.micro_batches;
  options.alloc.allow_idle = !args.no_idle;
  options.alloc.order_max_evaluations = args.max_orders;
  options.alloc.seed = args.seed;
  options.alloc.heuristic_pair_balance = !args.no_pair_balance;
  auto report = RunPartition(*model, *devices, options);
  if (!report.ok()) return Fail(err, report.status(), kExitBadInput);
  if (args.output == "json") {
    out << ReportToJson(*report).dump(2) << "\n";
  } else {
    out << ReportToText(*report, args.summary);
  }
  if (!report->AnyFeasible()) {
    err << "skyrun partition: the model does not fit these devices with any algorithm; see the reasons "
           "above\n";
    return kExitInfeasible;
  }
  return 0;
}

int RunExperimentCommand(const ExperimentCliArgs& args, std::ostream& out, std::ostream& err) {
  ExperimentConfig config;
  config.seeds = args.seeds;
  config.device_counts = args.devices;
  config.encoder_layers = args.layers;
  config.micro_batches = args.micro_batches;
  config.include_ordered = !args.no_ordered;
  config.order_max_evaluations = args.max_orders;
  config.heuristic_pair_balance = !args.no_pair_balance;
  if (args.micro_batches < 1)
    return Fail(err, InvalidArgument("--micro-batches must be at least 1"), kExitBadInput);
  auto result = RunExperiment(config);
  if (!result.ok()) return Fail(err, result.status(), kExitBadInput);
  std::string table = ExperimentTableMarkdown(*result);
  out << table;
  if (!args.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(args.out_dir, ec);
    if (ec) {
      return Fail(err, Internal("cannot create '" + args.out_dir + "': " + ec.message()), kExitBadInput);
    }
    std::filesystem::path dir(args.out_dir);
    for (auto [name, text] : {std::pair<const char*, std::string>{"partition_experiment.md", table},
                              {"partition_experiment.csv", ExperimentCsv(*result)},
                              {"partition_experiment.svg", ExperimentSvg(*result)}}) {
      Status s = WriteFile(dir / name, text);
      if (!s.ok()) return Fail(err, s, kExitBadInput);
      out << "wrote " << (dir / name).string() << "\n";
    }
  }
  if (result->violations > 0) {
    err << "skyrun partition experiment: " << result->violations
        << " instances broke lower bound <= free order <= exact <= heuristic <= even\n";
    return kExitInfeasible;
  }
  return 0;
}

}  // namespace partition

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
