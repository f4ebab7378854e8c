// skyrun: one binary, many subcommands. main() only wires modules together:
// it builds the real clock and hands it down; nothing else here.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/measure.h"
#include "cli/module_commands.h"
#include "cli/suggest.h"

int main(int argc, char** argv) {
  CLI::App app{"skyrun: run training, tuning and serving jobs where they are best served"};
  app.require_subcommand(1);
  app.fallthrough(false);
  int exit_code = 0;

  // --- subcommands, one registration per module (keep this list sorted by module) ---
  // (modules add their Register*Commands(app, &exit_code) calls here)
  skyrun::RegisterClientCommands(app, &exit_code);
  skyrun::RegisterSupervisorCommand(app, &exit_code);
  skyrun::RegisterExprCommands(app, &exit_code);
  skyrun::RegisterPartitionCommands(app, &exit_code);
  skyrun::RegisterMeasureCommand(app, &exit_code);  // cli: `partition measure` runs jobs through the server
  skyrun::RegisterServerCommands(app, &exit_code);
  skyrun::RegisterSpecCommands(app, &exit_code);
  skyrun::RegisterPlanCommands(app, &exit_code);
  skyrun::RegisterOffersCommand(app, &exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // CLI11 says "A subcommand is required" for `skyrun plan`: name the word and the close commands.
    if (auto unknown = skyrun::UnknownCommandMessage(app, argc, argv)) {
      std::cerr << "error: " << *unknown << "\n";
      return 2;
    }
    app.exit(e);
    return 2;
  }
  return exit_code;
}
