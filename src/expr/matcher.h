// Matching a job against nodes and offers: the one implementation that the
// scheduler's filter/score and the optimizer use.
//
// A job matches a node when the job's requirements are exactly TRUE with
// MY = job ad, TARGET = node ad, AND the node's policy is exactly TRUE with
// MY = node ad, TARGET = job ad (UNDEFINED and ERROR do not match). The job's
// rank, evaluated like the requirements, orders the matches: higher first.
//
// For users (skyrun match, scheduler events) a failed match is explained by
// the first top-level && clause that was not TRUE, with the attributes it
// read: requirements: GpuMemoryMB >= 40000 is FALSE (GpuMemoryMB = 24576).
// Explaining costs string work, so the fast path does not do it unless asked.
//
// Thread-safety: Condition and Matcher are immutable once built; Match() may
// run from many threads at once, each with its own EvalScratch.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "expr/ast.h"
#include "expr/compiled.h"
#include "expr/schema.h"
#include "expr/scratch.h"

namespace skyrun::expr {

// A boolean expression compiled whole (for speed) and clause by clause (for
// explanations). Empty text means TRUE.
class Condition {
 public:
  // `my` is the schema of the ad the condition belongs to (the job for
  // requirements, the node for a policy), `target` the other side's.
  static Result<Condition> Create(std::string_view text, Schema& my, Schema& target);

  bool always_true() const { return !expr_.has_value(); }
  const std::string& text() const { return text_; }

  Value Evaluate(const Ad& my, const Ad* target, EvalScratch& scratch) const;
  bool IsTrue(const Ad& my, const Ad* target, EvalScratch& scratch) const {
    return Evaluate(my, target, scratch).IsTrue();
  }

  // Why the condition is not TRUE: the first clause that is not, its value,
  // and the attributes it read. Empty when the condition is TRUE.
  std::string Explain(const Ad& my, const Ad* target, EvalScratch& scratch) const;
  // Index of the first clause that is not TRUE, or -1.
  int FirstFailingClause(const Ad& my, const Ad* target, EvalScratch& scratch) const;

 private:
  struct AttrRef {
    Scope scope;
    std::string name;     // as written
    std::string display;  // "GpuMemoryMB", "MY.Gpus"
  };
  struct Clause {
    std::string text;
    CompiledExpr compiled;
    std::vector<AttrRef> refs;
  };

  std::string text_;
  std::optional<Expr> expr_;
  CompiledExpr whole_;
  std::vector<Clause> clauses_;
};

struct MatchResult {
  enum class Failure { kNone, kRequirements, kPolicy };
  bool matched = false;
  Failure failure = Failure::kNone;
  // The rank when matched: its value as a double (rank is a score, not a
  // quantity), or 0 with rank_defined = false when there is no rank or it is
  // not a number on this node.
  double rank = 0;
  bool rank_defined = false;
  // When not matched and an explanation was asked for:
  // "requirements: GpuMemoryMB >= 40000 is FALSE (GpuMemoryMB = 24576)".
  std::string reason;
};

// The core: requirements (MY = job), an optional rank (compiled with MY = job
// schema, TARGET = node schema), an optional node policy (MY = node).
MatchResult Match(const Condition& requirements, const CompiledExpr* rank, const Ad& job, const Ad& node,
                  const Condition* node_policy, EvalScratch& scratch, bool explain = false);

// A job's requirements and rank, compiled once and matched against many
// nodes or offers.
class Matcher {
 public:
  // Empty requirements match every node; empty rank gives 0 everywhere.
  static Result<Matcher> Create(std::string_view requirements, std::string_view rank, Schema& job_schema,
                                Schema& node_schema);

  MatchResult Match(const Ad& job, const Ad& node, const Condition* node_policy, EvalScratch& scratch,
                    bool explain = false) const {
    return expr::Match(requirements_, rank_ ? &*rank_ : nullptr, job, node, node_policy, scratch, explain);
  }
  const Condition& requirements() const { return requirements_; }

 private:
  Matcher(Condition requirements, std::optional<CompiledExpr> rank)
      : requirements_(std::move(requirements)), rank_(std::move(rank)) {}
  Condition requirements_;
  std::optional<CompiledExpr> rank_;
};

// The policy text a node ad publishes (attribute "Policy"), or "".
std::string PolicyText(const Ad& node);

}  // namespace skyrun::expr
