// CompiledExpr: an Expr lowered for fast evaluation against many ads, and
// Evaluate(), the hot path.
//
// Compile() resolves attribute names to slots of the two schemas (MY: the ad
// the expression belongs to; TARGET: the other side), folds constant
// sub-expressions ({"US", "DE"}, 40GiB, -1), flattens && / || chains,
// precompiles constant regexp() patterns (RE2), and fuses the common
// shapes "Attr <op> constant" and "member(x, constant list)" into single
// nodes. Evaluate() then walks a flat node array: no name lookups, no
// allocation (strings a function builds go into the EvalScratch's arena).
//
// Bare names read TARGET when a target ad is given and MY otherwise; MY.x and
// TARGET.x are explicit. A missing attribute is UNDEFINED. Evaluation never
// fails: problems are the ERROR value, with a reason.
//
// Callers: the matcher (matcher.h), the scheduler's filter/score and the
// optimizer (through the matcher), the CLI. Thread-safety: a CompiledExpr is
// immutable and may be evaluated from many threads at once, each with its own
// EvalScratch.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "common/status.h"
#include "expr/arena.h"
#include "expr/ast.h"
#include "expr/regex.h"
#include "expr/schema.h"
#include "expr/scratch.h"
#include "expr/value.h"

namespace skyrun::expr {

enum class COp : uint8_t {
  kConst,       // k
  kAttr,        // scope; a = MY slot, b = TARGET slot
  kList,        // kids_[a .. a+b)
  kUnary,       // sub = UnaryOp; a
  kBinary,      // sub = BinaryOp; a, b
  kAnd,         // kids_[a .. a+b), left to right
  kOr,          // kids_[a .. a+b)
  kTernary,     // a ? b : c
  kElvis,       // a ?: b
  kCall,        // sub = FuncId; kids_[a .. a+b)
  kIfThenElse,  // a ? b : c, lazily
  kIndex,       // a[b]
  kCmpAttr,     // fused: attribute (scope; a = MY slot, b = TARGET slot) sub=BinaryOp k
  kMember,      // fused: member(a, k) with a constant list k; sub = FuncId (member/identicalMember)
  kRegex,       // fused: regexp(<constant pattern b>, a)
};

struct CNode {
  COp op = COp::kConst;
  uint8_t sub = 0;
  Scope scope = Scope::kNone;
  uint32_t a = 0;
  uint32_t b = 0;
  uint32_t c = 0;
  Value k;
};

class CompiledExpr {
 public:
  CompiledExpr() = default;
  CompiledExpr(CompiledExpr&&) noexcept = default;
  CompiledExpr& operator=(CompiledExpr&&) noexcept = default;

  const Schema* my_schema() const { return my_; }
  const Schema* target_schema() const { return target_; }
  // True when the whole expression folded to a constant.
  bool is_constant() const { return !nodes_.empty() && nodes_[root_].op == COp::kConst; }
  size_t node_count() const { return nodes_.size(); }

 private:
  friend class Compiler;
  friend Value Evaluate(const CompiledExpr& expr, const Ad& my, const Ad* target, EvalScratch& scratch);
  friend Value EvaluateNode(const CompiledExpr& expr, uint32_t id, EvalScratch& scratch);

  std::vector<CNode> nodes_;
  std::vector<uint32_t> kids_;
  uint32_t root_ = 0;
  Arena constants_;  // strings and lists of folded constants
  std::vector<std::unique_ptr<Regex>> regexes_;
  const Schema* my_ = nullptr;
  const Schema* target_ = nullptr;
};

struct CompileOptions {
  // Constant folding, && / || flattening, fused nodes and precompiled
  // regexps. Off only to test that the optimized form means the same.
  bool optimize = true;
};

// Compiles the whole expression, or the subtree rooted at `node` (an id in
// expr, e.g. one of expr.Conjuncts()). Adds the attributes it reads to the
// schemas. Fails only on internal limits; semantic problems (a bad constant
// regexp, "a" + 1) compile to ERROR and are reported by the type checker.
Result<CompiledExpr> Compile(const Expr& expr, Schema& my, Schema& target, CompileOptions options = {});
Result<CompiledExpr> Compile(const Expr& expr, int node, Schema& my, Schema& target,
                             CompileOptions options = {});

// Evaluates against `my` (and `target`, which may be null). The result's
// strings and lists point into the ads, the compiled expression or the
// scratch, and stay valid until the scratch is used again. Ads built on a
// schema other than the one compiled against give ERROR.
Value Evaluate(const CompiledExpr& expr, const Ad& my, const Ad* target, EvalScratch& scratch);

// Internal, for constant folding: evaluates node `id` with no ads.
Value EvaluateNode(const CompiledExpr& expr, uint32_t id, EvalScratch& scratch);

}  // namespace skyrun::expr
