#include "expr/expr_cli.h"

#include <CLI/CLI.hpp>

#include <fstream>
#include <iostream>
#include <memory>

#include "expr/ad_json.h"
#include "expr/check.h"
#include "expr/compiled.h"
#include "expr/parser.h"

namespace skyrun {
namespace expr {
namespace {

constexpr int kExitBadInput = 2;

Result<Ad> LoadAd(const std::string& path, Schema& schema) {
  Ad empty(&schema);
  if (path.empty()) return empty;
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto ad = ParseAdJson(text, schema);
  if (!ad.ok()) return ad.status().WithContext(path);
  return ad;
}

std::string ValueLine(const Value& v) {
  if (v.IsError() && *v.error_reason()) return "ERROR (" + std::string(v.error_reason()) + ")";
  return v.ToString();
}

}  // namespace

int RunExprEval(const std::string& text, const std::string& ad_file, const std::string& target_file, bool json,
                std::ostream& out, std::ostream& err) {
  auto expr = Parse(text);
  if (!expr.ok()) {
    err << "skyrun expr eval: " << expr.status().message() << "\n";
    return kExitBadInput;
  }
  CheckReport report = Check(*expr, ExprRole::kAny);
  for (const std::string& e : report.errors) err << "warning: " << e << "\n";
  for (const std::string& w : report.warnings) err << "warning: " << w << "\n";
  Schema my_schema, target_schema;
  auto my = LoadAd(ad_file, my_schema);
  if (!my.ok()) {
    err << "skyrun expr eval: --ad: " << my.status().message() << "\n";
    return kExitBadInput;
  }
  std::optional<Ad> target;
  if (!target_file.empty()) {
    auto t = LoadAd(target_file, target_schema);
    if (!t.ok()) {
      err << "skyrun expr eval: --target: " << t.status().message() << "\n";
      return kExitBadInput;
    }
    target.emplace(std::move(t).value());
  }
  auto compiled = Compile(*expr, my_schema, target_schema);
  if (!compiled.ok()) {
    err << "skyrun expr eval: " << compiled.status().message() << "\n";
    return kExitBadInput;
  }
  EvalScratch scratch;
  Value v = Evaluate(*compiled, *my, target ? &*target : nullptr, scratch);
  if (json) {
    nlohmann::json j{{"expression", expr->ToString()}, {"type", ValueTypeName(v.type())}, {"value", ValueToJson(v)}};
    out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    out << ValueLine(v) << "\n";
  }
  return 0;
}

int RunExprCheck(const std::string& text, const std::string& role, std::ostream& out, std::ostream& err) {
  ExprRole r = role == "requirements" ? ExprRole::kRequirements
               : role == "rank"       ? ExprRole::kRank
               : role == "policy"     ? ExprRole::kPolicy
                                      : ExprRole::kAny;
  auto report = CheckText(text, r);
  if (!report.ok()) {
    err << "skyrun expr check: " << report.status().message() << "\n";
    return kExitBadInput;
  }
  for (const std::string& w : report->warnings) err << "warning: " << w << "\n";
  for (const std::string& e : report->errors) err << "error: " << e << "\n";
  if (!report->ok()) return kExitBadInput;
  out << "ok\n";
  return 0;
}

}  // namespace expr

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

  CLI::App* expr = app.add_subcommand("expr", "Evaluate and check resource expressions (docs/expressions.md)");
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
  check->callback([o, exit_code] { *exit_code = expr::RunExprCheck(o->text, o->role, std::cout, std::cerr); });

  CLI::App* match = app.add_subcommand("match", "Show which nodes a job's requirements match, and why others do not");
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
