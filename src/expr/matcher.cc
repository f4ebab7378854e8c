#include "expr/matcher.h"

#include <algorithm>

#include "common/strings.h"
#include "expr/parser.h"

namespace skyrun::expr {
namespace {

bool IsBlank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

std::string ValueSummary(const Value& v) {
  if (v.IsError()) {
    std::string reason = v.error_reason();
    return reason.empty() ? "ERROR" : "ERROR (" + reason + ")";
  }
  if (v.IsBool() || v.IsUndefined()) return v.IsBool() ? (v.AsBool() ? "TRUE" : "FALSE") : "UNDEFINED";
  return v.ToString() + ", not a boolean";
}

// Attribute values are shown in full unless they are huge.
std::string Short(const Value& v) {
  std::string s = v.ToString();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

}  // namespace

Result<Condition> Condition::Create(std::string_view text, Schema& my, Schema& target) {
  Condition c;
  c.text_ = std::string(text);
  if (IsBlank(text)) return c;
  auto expr = Parse(text);
  if (!expr.ok()) return expr.status();
  c.expr_ = std::move(expr).value();
  const Expr& e = *c.expr_;
  SKYRUN_ASSIGN_OR_RETURN(c.whole_, Compile(e, my, target));
  for (int id : e.Conjuncts()) {
    Clause clause;
    clause.text = e.ToString(id);
    SKYRUN_ASSIGN_OR_RETURN(clause.compiled, Compile(e, id, my, target));
    // The attributes the clause reads, in order of appearance, once each.
    std::vector<int> stack = {id};
    std::vector<int> order;
    while (!stack.empty()) {
      int n = stack.back();
      stack.pop_back();
      order.push_back(n);
      const auto& kids = e.node(n).kids;
      for (auto it = kids.rbegin(); it != kids.rend(); ++it) stack.push_back(*it);
    }
    for (int n : order) {
      const AstNode& node = e.node(n);
      if (node.kind != NodeKind::kAttr) continue;
      bool seen = std::any_of(clause.refs.begin(), clause.refs.end(), [&](const AttrRef& r) {
        return r.scope == node.scope && EqualsIgnoreCase(r.name, node.text);
      });
      if (!seen) clause.refs.push_back({node.scope, node.text, e.ToString(n)});
    }
    c.clauses_.push_back(std::move(clause));
  }
  return c;
}

Value Condition::Evaluate(const Ad& my, const Ad* target, EvalScratch& scratch) const {
  if (always_true()) return Value::Bool(true);
  return expr::Evaluate(whole_, my, target, scratch);
}

int Condition::FirstFailingClause(const Ad& my, const Ad* target, EvalScratch& scratch) const {
  for (size_t k = 0; k < clauses_.size(); ++k) {
    if (!expr::Evaluate(clauses_[k].compiled, my, target, scratch).IsTrue()) return static_cast<int>(k);
  }
  return -1;
}

std::string Condition::Explain(const Ad& my, const Ad* target, EvalScratch& scratch) const {
  if (always_true()) return "";
  int k = FirstFailingClause(my, target, scratch);
  if (k < 0) {
    Value whole = Evaluate(my, target, scratch);
    return whole.IsTrue() ? "" : expr_->ToString() + " is " + ValueSummary(whole);
  }
  const Clause& clause = clauses_[static_cast<size_t>(k)];
  std::string out = clause.text + " is " + ValueSummary(expr::Evaluate(clause.compiled, my, target, scratch));
  std::vector<std::string> values;
  for (const AttrRef& ref : clause.refs) {
    const Ad* ad = ref.scope == Scope::kMy       ? &my
                   : ref.scope == Scope::kTarget ? target
                   : target                      ? target
                                                 : &my;
    Value v = ad ? ad->Get(ref.name) : Value();
    values.push_back(v.IsUndefined() ? ref.display + " is UNDEFINED" : ref.display + " = " + Short(v));
  }
  if (!values.empty()) out += " (" + Join(values, ", ") + ")";
  return out;
}

MatchResult Match(const Condition& requirements, const CompiledExpr* rank, const Ad& job, const Ad& node,
                  const Condition* node_policy, EvalScratch& scratch, bool explain) {
  MatchResult r;
  if (!requirements.IsTrue(job, &node, scratch)) {
    r.failure = MatchResult::Failure::kRequirements;
    if (explain) r.reason = "requirements: " + requirements.Explain(job, &node, scratch);
    return r;
  }
  if (node_policy && !node_policy->IsTrue(node, &job, scratch)) {
    r.failure = MatchResult::Failure::kPolicy;
    if (explain) r.reason = "node policy: " + node_policy->Explain(node, &job, scratch);
    return r;
  }
  r.matched = true;
  if (rank) {
    Value v = Evaluate(*rank, job, &node, scratch);
    if (v.IsNumber()) {
      r.rank = v.AsNumber();
      r.rank_defined = true;
    }
  }
  return r;
}

Result<Matcher> Matcher::Create(std::string_view requirements, std::string_view rank, Schema& job_schema,
                                Schema& node_schema) {
  auto req = Condition::Create(requirements, job_schema, node_schema);
  if (!req.ok()) return req.status().WithContext("requirements");
  std::optional<CompiledExpr> compiled_rank;
  if (!IsBlank(rank)) {
    auto e = Parse(rank);
    if (!e.ok()) return e.status().WithContext("rank");
    auto c = Compile(*e, job_schema, node_schema);
    if (!c.ok()) return c.status().WithContext("rank");
    compiled_rank = std::move(c).value();
  }
  return Matcher(std::move(req).value(), std::move(compiled_rank));
}

std::string PolicyText(const Ad& node) {
  Value v = node.Get("Policy");
  return v.IsString() ? std::string(v.AsString()) : std::string();
}

}  // namespace skyrun::expr
