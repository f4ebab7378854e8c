#include "expr/expr_cli.h"

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

int RunExprEval(const std::string& text, const std::string& ad_file, const std::string& target_file,
                bool json, std::ostream& out, std::ostream& err) {
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
    nlohmann::json j{
        {"expression", expr->ToString()}, {"type", ValueTypeName(v.type())}, {"value", ValueToJson(v)}};
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
}  // namespace skyrun
