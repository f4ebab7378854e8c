// `skyrun expr eval|check` and `skyrun match`: arguments to expr::Run*.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "cli/module_commands.h"
#include "expr/expr_cli.h"

namespace skyrun {

void RegisterExprCommands(CLI::App& app, int* exit_code) {
  struct Options {
    std::string text;
    std::string ad;
    std::string target;
    std::string role = "any";
    std::string output = "text";
    std::string job;
    std::string nodes;
    std::string tenant = "default";
  };
  auto o = std::make_shared<Options>();

  CLI::App* expr =
      app.add_subcommand("expr", "Evaluate and check resource expressions (docs/expressions.md)");
  expr->require_subcommand(1);
  CLI::App* eval = expr->add_subcommand("eval", "Evaluate an expression against JSON ads");
  eval->add_option("EXPR", o->text, "the expression")->required();
  eval->add_option("--ad", o->ad, "JSON object of attributes: the MY ad");
  eval->add_option("--target", o->target, "JSON object of attributes: the TARGET ad (bare names read it)");
  eval->add_option("-o,--output", o->output, "text or json")->check(CLI::IsMember({"text", "json"}));
  eval->callback([o, exit_code] {
    *exit_code = expr::RunExprEval(o->text, o->ad, o->target, o->output == "json", std::cout, std::cerr);
  });

  CLI::App* check = expr->add_subcommand("check", "Type-check an expression as submission does");
  check->add_option("EXPR", o->text, "the expression")->required();
  check->add_option("--as", o->role, "requirements, rank, policy or any")
      ->check(CLI::IsMember({"requirements", "rank", "policy", "any"}))
      ->capture_default_str();
  check->callback(
      [o, exit_code] { *exit_code = expr::RunExprCheck(o->text, o->role, std::cout, std::cerr); });

  CLI::App* match =
      app.add_subcommand("match", "Show which nodes a job's requirements match, and why others do not");
  match->add_option("JOB", o->job, "the job spec (YAML)")->required();
  match->add_option("--nodes", o->nodes, "JSON array of nodes (skyrun Node JSON) or of ads")->required();
  match->add_option("--tenant", o->tenant, "the tenant the job is submitted as (the job ad's Tenant)")
      ->capture_default_str();
  match->add_option("-o,--output", o->output, "text or json")->check(CLI::IsMember({"text", "json"}));
  match->callback([o, exit_code] {
    *exit_code = expr::RunMatch(o->job, o->nodes, o->tenant, o->output == "json", std::cout, std::cerr);
  });
}
}  // namespace skyrun
