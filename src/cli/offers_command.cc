// `skyrun offers`: arguments to catalog::RunOffersCommand (catalog/offers_cli.h).
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "catalog/offers_cli.h"
#include "cli/module_commands.h"

namespace skyrun {

void RegisterOffersCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<catalog::OffersCliArgs>();
  CLI::App* cmd = app.add_subcommand(
      "offers",
      "List the catalog's offers for GPU[:COUNT] (CPU-only without one), cheapest first; no server needed");
  cmd->add_option("accelerator", args->accelerator,
                  "A100:8 (exactly 8), A100 (any count); omit for CPU-only offers");
  cmd->add_option("--cloud", args->clouds, "only these providers: aws, gcp, azure, lambda (comma-separated)")
      ->delimiter(',')
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--region", args->region, "only this region, e.g. us-east-1");
  cmd->add_flag("--spot", args->spot, "only offers with a spot price, ranked by it");
  cmd->add_option("-o,--output", args->output, "table or json")->capture_default_str();
  cmd->add_option("--catalog", args->catalogs,
                  "catalog directory of SkyPilot-format CSVs instead of the built-in one (repeatable; later "
                  "ones replace a provider's offers)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  cmd->add_option("--limit", args->limit, "print at most N offers (0: all)")->capture_default_str();
  cmd->callback([args, exit_code] { *exit_code = catalog::RunOffersCommand(*args, std::cout, std::cerr); });
}

}  // namespace skyrun
