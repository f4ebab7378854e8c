// `skyrun validate FILE [-o json] [--env K=V ...]`: arguments to RunValidate.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "cli/launch_flags.h"
#include "cli/module_commands.h"
#include "spec/spec_cli.h"

namespace skyrun {

void RegisterSpecCommands(CLI::App& app, int* exit_code) {
  struct Options {
    std::string file;
    std::string output = "text";
  };
  auto options = std::make_shared<Options>();
  auto flags = std::make_shared<LaunchFlags>();
  CLI::App* cmd = app.add_subcommand("validate", "Check a job spec file and list every problem in it");
  cmd->add_option("FILE", options->file, "the job spec (YAML); - reads standard input")->required();
  cmd->add_option("-o,--output", options->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  AddLaunchFlags(cmd, flags.get());
  cmd->callback([options, flags, exit_code] {
    auto overrides = flags->Overrides();
    if (!overrides.ok()) {
      std::cerr << overrides.status().message() << "\n";
      *exit_code = 2;
      return;
    }
    *exit_code =
        RunValidate(options->file, options->output == "json", std::cin, std::cout, std::cerr, *overrides);
  });
}
}  // namespace skyrun
