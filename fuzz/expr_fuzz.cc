// libFuzzer target for the expression language: parse, print and re-parse
// (the printed form must give the same tree), type-check in every role,
// compile with and without optimization and evaluate both against fixed ads
// (they must agree), and explain a failed match clause by clause. Any crash,
// sanitizer report or abort() here is a bug.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "expr/check.h"
#include "expr/compiled.h"
#include "expr/matcher.h"
#include "expr/parser.h"

namespace {

using namespace skyrun::expr;

void Fill(Ad& ad, bool node_side) {
  ad.SetInt("Cpus", node_side ? 64 : 8);
  ad.SetInt("Gpus", node_side ? 8 : 1);
  ad.SetInt("GpuMemoryMB", 81920);
  ad.SetString("GpuModel", "A100-80GB");
  ad.SetString("Country", "US");
  ad.SetString("Tenant", node_side ? "acme" : "Rival");
  ad.SetReal("HourlyPrice", 12.5);
  ad.SetBool("Spot", !node_side);
  ad.SetInt("Big", INT64_MAX);
  ad.SetReal("Nan", std::nan(""));
  ad.SetString("Pattern", "^A1[0-9]+|(x*)*y");
  ad.SetString("Empty", "");
  ad.SetStringList("Labels", {"nvme", "ib", "Fast"});
  Value nested[2] = {Value::Int(1), Value::String("two")};
  Value list[3] = {Value::List(nested, 2), Value::Undefined(), Value::Real(2.5)};
  ad.Set("Mixed", Value::List(list, 3));
  ad.Set("Err", Value::Error("fuzz error"));
}

[[noreturn]] void Fail(const char* what, std::string_view a, std::string_view b) {
  std::fprintf(stderr, "expr_fuzz: %s\n  %.*s\n  %.*s\n", what, static_cast<int>(a.size()), a.data(),
               static_cast<int>(b.size()), b.data());
  std::abort();
}

bool TooLarge(const Value& v) {
  return v.IsError() && std::string_view(v.error_reason()) == "value too large";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto expr = Parse(text);
  if (!expr.ok()) return 0;
  // One role per input (all three over a run): the checker is the same code.
  const ExprRole roles[] = {ExprRole::kRequirements, ExprRole::kRank, ExprRole::kPolicy};
  (void)Check(*expr, roles[size % 3]);

  // Printing round-trips.
  std::string printed = expr->ToString();
  auto again = Parse(printed);
  if (!again.ok()) Fail("the printed form does not parse", printed, again.status().message());
  if (!again->SameTreeAs(*expr)) Fail("the printed form parses to another tree", text, printed);
  if (again->ToString() != printed) Fail("printing is not stable", printed, again->ToString());

  // The matcher's condition (optimized, plus one compiled form per clause)
  // and a plain compile agree, with a target and without.
  Schema my_schema, target_schema;
  auto condition = Condition::Create(text, my_schema, target_schema);
  auto plain = Compile(*expr, my_schema, target_schema, {.optimize = false});
  if (!condition.ok() || !plain.ok()) return 0;
  Ad my(&my_schema), target(&target_schema);
  Fill(my, false);
  Fill(target, true);
  EvalScratch s1, s2;
  // One instant for both, so time() cannot differ between them.
  const skyrun::SimulatedClock clock(int64_t{1700000000} * skyrun::kMicrosPerSecond);
  s1.set_clock(&clock);
  s2.set_clock(&clock);
  for (const Ad* t : {static_cast<const Ad*>(&target), static_cast<const Ad*>(nullptr)}) {
    Value a = condition->Evaluate(my, t, s1);
    Value b = Evaluate(*plain, my, t, s2);
    if (!TooLarge(a) && !TooLarge(b) && !Identical(a, b)) {
      Fail("optimized and plain evaluation differ", a.ToString(), b.ToString());
    }
    (void)b.ToString();
    // The explanation of a failed match, clause by clause.
    (void)condition->Explain(my, t, s1);
  }
  return 0;
}
