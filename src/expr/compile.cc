#include <limits>

#include "expr/compiled.h"
#include "expr/functions.h"

namespace skyrun::expr {

class Compiler {
 public:
  Compiler(const Expr& expr, Schema& my, Schema& target, CompileOptions options, CompiledExpr* out)
      : expr_(expr), my_(my), target_(target), optimize_(options.optimize), out_(out) {}

  void Run(int node) {
    out_->my_ = &my_;
    out_->target_ = &target_;
    out_->root_ = Lower(node);
  }

 private:
  uint32_t Lower(int id) {
    const AstNode& n = expr_.node(id);
    switch (n.kind) {
      case NodeKind::kLiteral: return Const(expr_.LiteralValue(id));
      case NodeKind::kAttr: {
        CNode c;
        c.op = COp::kAttr;
        c.scope = n.scope;
        c.a = n.scope == Scope::kTarget ? kNoSlot : my_.Intern(n.text);
        c.b = n.scope == Scope::kMy ? kNoSlot : target_.Intern(n.text);
        return Emit(c);
      }
      case NodeKind::kList: return Range(COp::kList, 0, n.kids);
      case NodeKind::kUnary: {
        CNode c;
        c.op = COp::kUnary;
        c.sub = static_cast<uint8_t>(n.unary_op);
        c.a = Lower(n.kids[0]);
        return FoldIfConst(Emit(c), {c.a});
      }
      case NodeKind::kBinary: return LowerBinary(id);
      case NodeKind::kTernary: {
        CNode c;
        c.op = COp::kTernary;
        c.a = Lower(n.kids[0]);
        c.b = Lower(n.kids[1]);
        c.c = Lower(n.kids[2]);
        return FoldIfConst(Emit(c), {c.a, c.b, c.c});
      }
      case NodeKind::kElvis: {
        CNode c;
        c.op = COp::kElvis;
        c.a = Lower(n.kids[0]);
        c.b = Lower(n.kids[1]);
        return FoldIfConst(Emit(c), {c.a, c.b});
      }
      case NodeKind::kIndex: {
        CNode c;
        c.op = COp::kIndex;
        c.a = Lower(n.kids[0]);
        c.b = Lower(n.kids[1]);
        return FoldIfConst(Emit(c), {c.a, c.b});
      }
      case NodeKind::kCall: return LowerCall(id);
    }
    return Const(Value::Error("bad node"));
  }

  static constexpr uint32_t kNoSlot = std::numeric_limits<uint32_t>::max();

  uint32_t Emit(const CNode& c) {
    out_->nodes_.push_back(c);
    return static_cast<uint32_t>(out_->nodes_.size()) - 1;
  }
  uint32_t Const(const Value& v) {
    CNode c;
    c.op = COp::kConst;
    c.k = CopyValue(v, out_->constants_);
    return Emit(c);
  }
  bool IsConst(uint32_t id) const { return out_->nodes_[id].op == COp::kConst; }
  const Value& ConstValue(uint32_t id) const { return out_->nodes_[id].k; }

  // Replaces node `id` by its value when all its operands are constants.
  uint32_t FoldIfConst(uint32_t id, std::initializer_list<uint32_t> operands) {
    if (!optimize_) return id;
    for (uint32_t k : operands) {
      if (!IsConst(k)) return id;
    }
    return Fold(id);
  }
  uint32_t Fold(uint32_t id) {
    scratch_.Reset();
    Value v = EvaluateNode(*out_, id, scratch_);
    CNode c;
    c.op = COp::kConst;
    c.k = CopyValue(v, out_->constants_);
    out_->nodes_[id] = c;
    return id;
  }

  // A node whose operands are kids_[a .. a+b).
  uint32_t Range(COp op, uint8_t sub, const std::vector<int>& ast_kids) {
    std::vector<uint32_t> lowered;
    lowered.reserve(ast_kids.size());
    bool all_const = true;
    for (int k : ast_kids) {
      lowered.push_back(Lower(k));
      all_const &= IsConst(lowered.back());
    }
    CNode c;
    c.op = op;
    c.sub = sub;
    c.a = static_cast<uint32_t>(out_->kids_.size());
    c.b = static_cast<uint32_t>(lowered.size());
    out_->kids_.insert(out_->kids_.end(), lowered.begin(), lowered.end());
    uint32_t id = Emit(c);
    return all_const && optimize_ ? Fold(id) : id;
  }

  // a && b && c (in any grouping) -> one n-ary node; the three-valued && and
  // || are associative, so the grouping does not change the result.
  void Flatten(int id, BinaryOp op, std::vector<int>* out) const {
    const AstNode& n = expr_.node(id);
    if (n.kind == NodeKind::kBinary && n.binary_op == op) {
      Flatten(n.kids[0], op, out);
      Flatten(n.kids[1], op, out);
    } else {
      out->push_back(id);
    }
  }

  static bool IsComparison(BinaryOp op) {
    return op == BinaryOp::kEq || op == BinaryOp::kNe || op == BinaryOp::kLt || op == BinaryOp::kLe ||
           op == BinaryOp::kGt || op == BinaryOp::kGe;
  }
  static BinaryOp Mirror(BinaryOp op) {
    switch (op) {
      case BinaryOp::kLt: return BinaryOp::kGt;
      case BinaryOp::kLe: return BinaryOp::kGe;
      case BinaryOp::kGt: return BinaryOp::kLt;
      case BinaryOp::kGe: return BinaryOp::kLe;
      default: return op;
    }
  }

  uint32_t LowerBinary(int id) {
    const AstNode& n = expr_.node(id);
    if (n.binary_op == BinaryOp::kAnd || n.binary_op == BinaryOp::kOr) {
      std::vector<int> operands;
      if (optimize_) {
        Flatten(id, n.binary_op, &operands);
      } else {
        operands = n.kids;
      }
      return Range(n.binary_op == BinaryOp::kAnd ? COp::kAnd : COp::kOr, 0, operands);
    }
    uint32_t a = Lower(n.kids[0]);
    uint32_t b = Lower(n.kids[1]);
    BinaryOp op = n.binary_op;
    if (optimize_ && IsComparison(op)) {
      // Attr <op> constant (either way round) -> one fused node.
      uint32_t attr = 0, constant = 0;
      bool fuse = false;
      if (out_->nodes_[a].op == COp::kAttr && IsConst(b)) {
        attr = a, constant = b, fuse = true;
      } else if (out_->nodes_[b].op == COp::kAttr && IsConst(a)) {
        attr = b, constant = a, fuse = true, op = Mirror(op);
      }
      if (fuse) {
        CNode c = out_->nodes_[attr];
        c.op = COp::kCmpAttr;
        c.sub = static_cast<uint8_t>(op);
        c.k = ConstValue(constant);
        return Emit(c);
      }
    }
    CNode c;
    c.op = COp::kBinary;
    c.sub = static_cast<uint8_t>(n.binary_op);
    c.a = a;
    c.b = b;
    return FoldIfConst(Emit(c), {a, b});
  }

  uint32_t LowerCall(int id) {
    const AstNode& n = expr_.node(id);
    if (n.func == FuncId::kIfThenElse) {
      CNode c;
      c.op = COp::kIfThenElse;
      c.a = Lower(n.kids[0]);
      c.b = Lower(n.kids[1]);
      c.c = Lower(n.kids[2]);
      return FoldIfConst(Emit(c), {c.a, c.b, c.c});
    }
    if ((n.func == FuncId::kMember || n.func == FuncId::kIdenticalMember)) {
      uint32_t x = Lower(n.kids[0]);
      uint32_t list = Lower(n.kids[1]);
      if (optimize_ && !IsConst(x) && IsConst(list) && ConstValue(list).IsList()) {
        CNode c;
        c.op = COp::kMember;
        c.sub = static_cast<uint8_t>(n.func);
        c.a = x;
        c.k = ConstValue(list);
        return Emit(c);
      }
      return CallNode(n.func, {x, list});
    }
    if (n.func == FuncId::kUnparse && expr_.node(n.kids[0]).kind != NodeKind::kAttr) {
      // As in ClassAds, unparse() takes an attribute and gives its text.
      CNode c;
      c.k = Value::Error("unparse() needs an attribute name");
      return Emit(c);
    }
    std::vector<uint32_t> args;
    for (int k : n.kids) args.push_back(Lower(k));
    if (optimize_ && n.func == FuncId::kRegexp && IsConst(args[0]) && !IsConst(args[1]) &&
        (args.size() < 3 || IsConst(args[2]))) {
      const Value& pattern = ConstValue(args[0]);
      Value letters = args.size() > 2 ? ConstValue(args[2]) : Value::String("");
      if (pattern.IsString() && letters.IsString()) {
        auto options = ParseRegexOptions(letters.AsString());
        if (options.ok()) {
          auto re = Regex::Compile(pattern.AsString(), *options);
          if (re.ok()) {
            out_->regexes_.push_back(std::make_unique<Regex>(std::move(re).value()));
            CNode c;
            c.op = COp::kRegex;
            c.a = args[1];
            c.b = static_cast<uint32_t>(out_->regexes_.size()) - 1;
            return Emit(c);
          }
        }
      }
      // A bad constant pattern: the generic call gives ERROR at run time;
      // the type checker reports it at submission.
    }
    return CallNode(n.func, args);
  }

  uint32_t CallNode(FuncId func, const std::vector<uint32_t>& args) {
    bool all_const = true;
    for (uint32_t a : args) all_const &= IsConst(a);
    CNode c;
    c.op = COp::kCall;
    c.sub = static_cast<uint8_t>(func);
    c.a = static_cast<uint32_t>(out_->kids_.size());
    c.b = static_cast<uint32_t>(args.size());
    out_->kids_.insert(out_->kids_.end(), args.begin(), args.end());
    uint32_t id = Emit(c);
    return all_const && optimize_ && IsFoldable(func, args.size()) ? Fold(id) : id;
  }

  const Expr& expr_;
  Schema& my_;
  Schema& target_;
  bool optimize_;
  CompiledExpr* out_;
  EvalScratch scratch_;
};

Result<CompiledExpr> Compile(const Expr& expr, int node, Schema& my, Schema& target, CompileOptions options) {
  if (expr.size() == 0) return InvalidArgument("cannot compile an empty expression");
  if (node < 0 || static_cast<size_t>(node) >= expr.size())
    return InvalidArgument("no such node in the expression");
  CompiledExpr out;
  Compiler(expr, my, target, options, &out).Run(node);
  return out;
}

Result<CompiledExpr> Compile(const Expr& expr, Schema& my, Schema& target, CompileOptions options) {
  return Compile(expr, expr.root(), my, target, options);
}

}  // namespace skyrun::expr
