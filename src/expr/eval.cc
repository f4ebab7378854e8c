// The evaluator: a recursive walk over the flat CNode array. Kept separate
// from the compiler so the hot loop is easy to read and to profile.
#include <cstring>

#include "expr/compiled.h"
#include "expr/functions.h"
#include "expr/ops.h"

namespace skyrun::expr {
namespace {

constexpr size_t kMaxArgs = 16;  // calls with more arguments use the scratch arena

struct Frame {
  const Value* my;
  uint32_t my_n;
  const Value* target;
  uint32_t target_n;
  bool has_target;
  EvalScratch* scratch;
  const CNode* nodes;
  const uint32_t* kids;
  const std::unique_ptr<Regex>* regexes;
};

[[gnu::always_inline]] inline Value Lookup(const Value* values, uint32_t n, uint32_t slot) {
  return slot < n ? values[slot] : Value();
}

[[gnu::always_inline]] inline Value ReadAttr(const Frame& f, Scope scope, uint32_t my_slot,
                                             uint32_t target_slot) {
  switch (scope) {
    case Scope::kMy: return Lookup(f.my, f.my_n, my_slot);
    case Scope::kTarget: return f.has_target ? Lookup(f.target, f.target_n, target_slot) : Value();
    case Scope::kNone: break;
  }
  return f.has_target ? Lookup(f.target, f.target_n, target_slot) : Lookup(f.my, f.my_n, my_slot);
}

// Strings equal without regard to ASCII case.
inline bool SameText(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t k = 0; k < a.size(); ++k) {
    char x = a[k], y = b[k];
    if (x != y) {
      if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
      if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
      if (x != y) return false;
    }
  }
  return true;
}

Value Eval(const Frame& f, uint32_t id);

// The value of child node `id`: attributes (the common operand of the fused
// nodes) are read in place, anything else is evaluated.
[[gnu::always_inline]] inline Value Operand(const Frame& f, uint32_t id) {
  const CNode& n = f.nodes[id];
  if (n.op == COp::kAttr) return ReadAttr(f, n.scope, n.a, n.b);
  return Eval(f, id);
}

// Truth of one && / || operand: 1 true, 0 false, -1 undefined, -2 error.
inline int Truth(const Value& v) {
  if (v.IsBool()) return v.AsBool() ? 1 : 0;
  if (v.IsUndefined()) return -1;
  return -2;
}

inline Value NotBoolean(const Value& v) {
  return v.IsError() ? v : Value::Error("&& and || need booleans");
}

Value EvalMember(const Frame& f, const CNode& n);
Value EvalRegex(const Frame& f, const CNode& n);
[[gnu::always_inline]] inline Value Clause(const Frame& f, uint32_t id);

Value EvalAnd(const Frame& f, const CNode& n) {
  bool undefined = false;
  for (uint32_t k = 0; k < n.b; ++k) {
    Value v = Clause(f, f.kids[n.a + k]);
    switch (Truth(v)) {
      case 1: break;
      case 0: return v;
      case -1: undefined = true; break;
      default: return NotBoolean(v);
    }
  }
  return undefined ? Value() : Value::Bool(true);
}

Value EvalOr(const Frame& f, const CNode& n) {
  bool undefined = false;
  for (uint32_t k = 0; k < n.b; ++k) {
    Value v = Clause(f, f.kids[n.a + k]);
    switch (Truth(v)) {
      case 1: return v;
      case 0: break;
      case -1: undefined = true; break;
      default: return NotBoolean(v);
    }
  }
  return undefined ? Value() : Value::Bool(false);
}

template <typename T>
[[gnu::always_inline]] inline Value CompareSame(BinaryOp op, T x, T y) {
  switch (op) {
    case BinaryOp::kLt: return Value::Bool(x < y);
    case BinaryOp::kLe: return Value::Bool(x <= y);
    case BinaryOp::kGt: return Value::Bool(x > y);
    case BinaryOp::kGe: return Value::Bool(x >= y);
    case BinaryOp::kEq: return Value::Bool(x == y);
    default: return Value::Bool(x != y);  // kNe; NaN != x holds, as in ApplyBinary
  }
}

// Integers up to 2^53 convert to double exactly, so comparing in double is
// exact for them.
constexpr int64_t kExactInDouble = int64_t{1} << 53;

[[gnu::always_inline]] inline Value EvalCmpAttr(const Frame& f, const CNode& n) {
  Value v = ReadAttr(f, n.scope, n.a, n.b);
  const BinaryOp op = static_cast<BinaryOp>(n.sub);
  if (v.IsInt() && n.k.IsInt()) return CompareSame(op, v.AsInt(), n.k.AsInt());
  if (v.IsReal() && n.k.IsReal()) return CompareSame(op, v.AsReal(), n.k.AsReal());
  if (v.IsReal() && n.k.IsInt() && n.k.AsInt() <= kExactInDouble && n.k.AsInt() >= -kExactInDouble) {
    return CompareSame(op, v.AsReal(), static_cast<double>(n.k.AsInt()));
  }
  if (v.IsString() && n.k.IsString() && (op == BinaryOp::kEq || op == BinaryOp::kNe)) {
    return Value::Bool(SameText(v.AsString(), n.k.AsString()) == (op == BinaryOp::kEq));
  }
  return ApplyBinary(op, v, n.k);
}

Value EvalMember(const Frame& f, const CNode& n) {
  Value x = Operand(f, n.a);
  auto list = n.k.AsList();
  if (static_cast<FuncId>(n.sub) == FuncId::kMember && x.IsString()) {
    std::string_view s = x.AsString();
    for (const Value& e : list) {
      if (e.IsString() && SameText(s, e.AsString())) return Value::Bool(true);
    }
    return Value::Bool(false);
  }
  Value args[2] = {x, n.k};
  return CallFunction(static_cast<FuncId>(n.sub), args, *f.scratch);
}

Value EvalRegex(const Frame& f, const CNode& n) {
  Value s = Operand(f, n.a);
  if (s.IsExceptional()) return s;
  if (!s.IsString()) return Value::Error("regexp() needs strings");
  return Value::Bool(f.regexes[n.b]->Search(s.AsString()));
}

// One operand of && / ||: the fused clause kinds are handled here, without
// the call through Eval().
[[gnu::always_inline]] inline Value Clause(const Frame& f, uint32_t id) {
  const CNode& n = f.nodes[id];
  switch (n.op) {
    case COp::kCmpAttr: return EvalCmpAttr(f, n);
    case COp::kMember: return EvalMember(f, n);
    case COp::kRegex: return EvalRegex(f, n);
    default: return Eval(f, id);
  }
}

Value EvalCall(const Frame& f, const CNode& n) {
  Value local[kMaxArgs];
  Value* args = local;
  if (n.b > kMaxArgs) {
    args = f.scratch->AllocateValues(n.b);
    if (!args) return Value::Error("value too large");
  }
  for (uint32_t k = 0; k < n.b; ++k) args[k] = Eval(f, f.kids[n.a + k]);
  return CallFunction(static_cast<FuncId>(n.sub), {args, n.b}, *f.scratch);
}

Value EvalList(const Frame& f, const CNode& n) {
  Value* items = f.scratch->AllocateValues(n.b);
  if (!items) return Value::Error("value too large");
  for (uint32_t k = 0; k < n.b; ++k) items[k] = Eval(f, f.kids[n.a + k]);
  return Value::List(items, n.b);
}

Value Eval(const Frame& f, uint32_t id) {
  const CNode& n = f.nodes[id];
  switch (n.op) {
    case COp::kConst: return n.k;
    case COp::kAttr: return ReadAttr(f, n.scope, n.a, n.b);
    case COp::kCmpAttr: return EvalCmpAttr(f, n);
    case COp::kAnd: return EvalAnd(f, n);
    case COp::kOr: return EvalOr(f, n);
    case COp::kMember: return EvalMember(f, n);
    case COp::kRegex: return EvalRegex(f, n);
    case COp::kBinary: return ApplyBinary(static_cast<BinaryOp>(n.sub), Eval(f, n.a), Eval(f, n.b));
    case COp::kUnary: return ApplyUnary(static_cast<UnaryOp>(n.sub), Eval(f, n.a));
    case COp::kList: return EvalList(f, n);
    case COp::kCall: return EvalCall(f, n);
    case COp::kTernary:
    case COp::kIfThenElse: {
      Value c = Eval(f, n.a);
      if (c.IsBool()) return Eval(f, c.AsBool() ? n.b : n.c);
      if (c.IsExceptional()) return c;
      return Value::Error("the condition of ? : / ifThenElse must be a boolean");
    }
    case COp::kElvis: {
      Value v = Eval(f, n.a);
      return v.IsUndefined() ? Eval(f, n.b) : v;
    }
    case COp::kIndex: return ApplyIndex(Eval(f, n.a), Eval(f, n.b));
  }
  return Value::Error("bad node");
}

}  // namespace

Value Evaluate(const CompiledExpr& expr, const Ad& my, const Ad* target, EvalScratch& scratch) {
  if (expr.nodes_.empty()) return Value::Error("empty compiled expression");
  if (my.schema() != expr.my_ || (target && target->schema() != expr.target_)) {
    return Value::Error("ad built on a different schema than the expression was compiled against");
  }
  scratch.Reset();
  const Frame f{.my = my.values(),
                .my_n = my.size(),
                .target = target ? target->values() : nullptr,
                .target_n = target ? target->size() : 0,
                .has_target = target != nullptr,
                .scratch = &scratch,
                .nodes = expr.nodes_.data(),
                .kids = expr.kids_.data(),
                .regexes = expr.regexes_.data()};
  const CNode& root = expr.nodes_[expr.root_];
  Value v = root.op == COp::kAnd ? EvalAnd(f, root) : Eval(f, expr.root_);  // Requirements: skip a hop
  if (scratch.OverBudget()) [[unlikely]]
    return Value::Error("value too large");
  return v;
}

// Evaluates one node with no ads (used by constant folding, whose operands
// are all constants).
Value EvaluateNode(const CompiledExpr& expr, uint32_t id, EvalScratch& scratch) {
  const Frame f{.my = nullptr,
                .my_n = 0,
                .target = nullptr,
                .target_n = 0,
                .has_target = false,
                .scratch = &scratch,
                .nodes = expr.nodes_.data(),
                .kids = expr.kids_.data(),
                .regexes = expr.regexes_.data()};
  Value v = Eval(f, id);
  if (scratch.OverBudget()) return Value::Error("value too large");
  return v;
}

}  // namespace skyrun::expr
