// `skyrun validate FILE [-o json]`: arguments to RunValidate.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "cli/module_commands.h"
#include "spec/spec_cli.h"

namespace skyrun {

void RegisterSpecCommands(CLI::App& app, int* exit_code) {
  struct Options {
    std::string file;
    std::string output = "text";
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("validate", "Check a job spec file and list every problem in it");
  cmd->add_option("FILE", options->file, "the job spec (YAML); - reads standard input")->required();
  cmd->add_option("-o,--output", options->output, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->callback([options, exit_code] {
    *exit_code = RunValidate(options->file, options->output == "json", std::cin, std::cout, std::cerr);
  });
}
}  // namespace skyrun
