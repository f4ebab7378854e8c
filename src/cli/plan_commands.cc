// `skyrun plan FILE [--catalog DIR] [-o json] [--hours H] [--max-plans N]`: arguments to RunPlan.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "cli/module_commands.h"
#include "optimizer/plan_cli.h"

namespace skyrun {

void RegisterPlanCommands(CLI::App& app, int* exit_code) {
  struct Options {
    PlanCliOptions plan;
    std::string output = "text";
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "plan",
      "Rank where a job or pipeline could run over the catalog: cost, time, egress (no server needed)");
  cmd->add_option("FILE", options->plan.file,
                  "the job spec (YAML, one document per stage); - reads standard input")
      ->required();
  cmd->add_option("--catalog", options->plan.catalog_dir,
                  "a catalog directory (default: the built-in catalog)");
  cmd->add_option("-o,--output", options->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--hours", options->plan.hours, "estimated runtime of each stage on demand, in hours")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-plans", options->plan.max_plans, "how many ranked plans to show")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->callback([options, exit_code] {
    options->plan.json = options->output == "json";
    *exit_code = RunPlan(options->plan, std::cin, std::cout, std::cerr);
  });
}

}  // namespace skyrun
