// The type checker: finds, before anything runs, the mistakes that would
// make an expression ERROR (or never TRUE) on every ad: a Requirements that
// can never be boolean, arithmetic on a string literal, a string attribute
// compared with a number, a constant regexp() pattern that does not compile,
// division by a literal zero. Attribute types come from the published
// vocabulary (vocabulary.h); other attributes may hold anything.
//
// It also warns about likely typos in attribute names ("GpuMem": did you mean
// GpuMemoryMB?) without refusing them, since nodes may carry free-form
// attributes.
//
// Called by job spec validation at submission (CheckRequirements/CheckRank),
// node registration (CheckPolicy), and the CLI. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "expr/ast.h"

namespace skyrun::expr {

// Which ad is MY and which TARGET, and what the result must be.
enum class ExprRole {
  kRequirements,  // job's: MY = job, TARGET = node; must be boolean
  kRank,          // job's: MY = job, TARGET = node; must be a number
  kPolicy,        // node's: MY = node, TARGET = job; must be boolean
  kAny,           // no vocabulary, no result type (skyrun expr eval)
};

struct CheckReport {
  // Each one: "what at line:col" plus the caret lines.
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  bool ok() const { return errors.empty(); }
};

CheckReport Check(const Expr& expr, ExprRole role);

// Parse + Check. OK for an empty (all blank) text, which means TRUE for
// requirements and policies and 0 for rank. The message lists every problem.
Status CheckRequirements(std::string_view text);
Status CheckRank(std::string_view text);
Status CheckPolicy(std::string_view text);
// Parse + Check returning warnings too (for the CLI).
Result<CheckReport> CheckText(std::string_view text, ExprRole role);

}  // namespace skyrun::expr
