#include "partition/partition_cli.h"

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

}  // namespace skyrun
