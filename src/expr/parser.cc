#include "expr/parser.h"

#include <utility>
#include <vector>

#include "common/strings.h"
#include "expr/lexer.h"
#include "expr/names.h"

namespace skyrun::expr {
namespace {

struct BinaryLevel {
  Tok tok;
  BinaryOp op;
};

// Binary operators by precedence level (1 = weakest), see BinaryPrecedence().
constexpr int kLevels = 10;
const std::vector<BinaryLevel>& LevelOps(int level) {
  static const std::vector<BinaryLevel> kTable[kLevels + 1] = {
      {},
      {{Tok::kOrOr, BinaryOp::kOr}},
      {{Tok::kAndAnd, BinaryOp::kAnd}},
      {{Tok::kPipe, BinaryOp::kBitOr}},
      {{Tok::kCaret, BinaryOp::kBitXor}},
      {{Tok::kAmp, BinaryOp::kBitAnd}},
      {{Tok::kEq, BinaryOp::kEq},
       {Tok::kNe, BinaryOp::kNe},
       {Tok::kMetaEq, BinaryOp::kIs},
       {Tok::kMetaNe, BinaryOp::kIsnt},
       {Tok::kIs, BinaryOp::kIs},
       {Tok::kIsnt, BinaryOp::kIsnt}},
      {{Tok::kLt, BinaryOp::kLt},
       {Tok::kLe, BinaryOp::kLe},
       {Tok::kGt, BinaryOp::kGt},
       {Tok::kGe, BinaryOp::kGe}},
      {{Tok::kShl, BinaryOp::kShl}, {Tok::kShr, BinaryOp::kShr}, {Tok::kUshr, BinaryOp::kUshr}},
      {{Tok::kPlus, BinaryOp::kAdd}, {Tok::kMinus, BinaryOp::kSub}},
      {{Tok::kStar, BinaryOp::kMul}, {Tok::kSlash, BinaryOp::kDiv}, {Tok::kPercent, BinaryOp::kMod}},
  };
  return kTable[level];
}

class Parser {
 public:
  Parser(std::string_view source, std::vector<Token> tokens) : src_(source), toks_(std::move(tokens)) {}

  Result<Expr> Run() {
    if (Peek().kind == Tok::kEnd) {
      Fail(Peek().pos, "expected an expression, found nothing");
      return error_;
    }
    int root = ParseTernary();
    if (root >= 0 && Peek().kind != Tok::kEnd) {
      const Token& t = Peek();
      if (t.kind == Tok::kRParen) {
        Fail(t.pos, "unmatched ')'");
      } else {
        Fail(t.pos, "expected an operator or the end of the expression, found " + DescribeToken(t));
      }
      root = -1;
    }
    if (root < 0) return error_;
    return Expr(std::move(nodes_), root, std::string(src_));
  }

 private:
  static bool IsMinIntMagnitude(const Token& t) {
    return t.kind == Tok::kInt && t.int_value == INT64_MIN && t.text == kMinIntMagnitude;
  }

  const Token& Peek(int ahead = 0) const {
    size_t k = pos_ + ahead;
    return k < toks_.size() ? toks_[k] : toks_.back();
  }
  const Token& Next() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }
  bool Accept(Tok kind) {
    if (Peek().kind != kind) return false;
    Next();
    return true;
  }

  int Fail(int at, const std::string& what) {
    if (error_.ok()) error_ = InvalidArgument(DescribeAt(src_, at, what));
    return -1;
  }

  int Expect(Tok kind, const char* spelling, int opened_at, const char* opener) {
    if (Accept(kind)) return 0;
    std::string what = std::string("expected '") + spelling + "'";
    what += ", found " + DescribeToken(Peek());
    if (opener)
      what += std::string(" (to close the '") + opener + "' at " + LocationOf(src_, opened_at) + ")";
    return Fail(Peek().pos, what);
  }

  int Add(AstNode n) {
    int depth = 1;
    for (int k : n.kids) depth = std::max(depth, nodes_[k].depth + 1);
    n.depth = depth;
    if (depth > kMaxTreeDepth) {
      return Fail(n.pos, "expression nested more than " + std::to_string(kMaxTreeDepth) +
                             " levels deep (long chains of operators count too); simplify it");
    }
    nodes_.push_back(std::move(n));
    return static_cast<int>(nodes_.size()) - 1;
  }

  // Guards the recursion of the descent itself.
  struct NestGuard {
    explicit NestGuard(Parser* p) : p_(p) { ++p_->nesting_; }
    ~NestGuard() { --p_->nesting_; }
    Parser* p_;
  };
  bool TooDeep() {
    if (nesting_ <= kMaxNesting) return false;
    Fail(Peek().pos,
         "expression nested more than " + std::to_string(kMaxNesting) + " levels deep; simplify it");
    return true;
  }

  int ParseTernary() {
    NestGuard guard(this);
    if (TooDeep()) return -1;
    int cond = ParseBinary(1);
    if (cond < 0) return -1;
    if (Peek().kind != Tok::kQuestion) return cond;
    int op_pos = Next().pos;
    if (Accept(Tok::kColon)) {
      int rhs = ParseTernary();
      if (rhs < 0) return -1;
      AstNode n;
      n.kind = NodeKind::kElvis;
      n.kids = {cond, rhs};
      n.pos = op_pos;
      return Add(std::move(n));
    }
    int then_branch = ParseTernary();
    if (then_branch < 0) return -1;
    if (!Accept(Tok::kColon)) {
      return Fail(Peek().pos, "expected ':' of the '? :' started at " + LocationOf(src_, op_pos) +
                                  ", found " + DescribeToken(Peek()));
    }
    int else_branch = ParseTernary();
    if (else_branch < 0) return -1;
    AstNode n;
    n.kind = NodeKind::kTernary;
    n.kids = {cond, then_branch, else_branch};
    n.pos = op_pos;
    return Add(std::move(n));
  }

  int ParseBinary(int level) {
    if (level > kLevels) return ParseUnary();
    int lhs = ParseBinary(level + 1);
    if (lhs < 0) return -1;
    while (true) {
      const Token& t = Peek();
      const BinaryLevel* match = nullptr;
      for (const BinaryLevel& l : LevelOps(level)) {
        if (l.tok == t.kind) match = &l;
      }
      if (!match) return lhs;
      int op_pos = t.pos;
      BinaryOp op = match->op;
      Next();
      int rhs = ParseBinary(level + 1);
      if (rhs < 0) return -1;
      AstNode n;
      n.kind = NodeKind::kBinary;
      n.binary_op = op;
      n.kids = {lhs, rhs};
      n.pos = op_pos;
      lhs = Add(std::move(n));
      if (lhs < 0) return -1;
    }
  }

  int ParseUnary() {
    const Token& t = Peek();
    UnaryOp op;
    switch (t.kind) {
      case Tok::kMinus: op = UnaryOp::kNeg; break;
      case Tok::kPlus: op = UnaryOp::kPlus; break;
      case Tok::kBang: op = UnaryOp::kNot; break;
      case Tok::kTilde: op = UnaryOp::kBitNot; break;
      default: return ParsePostfix();
    }
    if (op == UnaryOp::kNeg && IsMinIntMagnitude(Peek(1)) && Peek(2).kind != Tok::kLBracket) {
      // -9223372036854775808: the one integer whose magnitude alone is too large.
      int op_pos = Next().pos;
      Token lit = Next();
      lit.pos = op_pos;
      lit.text = "-" + lit.text;
      return Literal(lit, ValueType::kInt);
    }
    NestGuard guard(this);
    if (TooDeep()) return -1;
    int op_pos = Next().pos;
    int operand = ParseUnary();
    if (operand < 0) return -1;
    AstNode n;
    n.kind = NodeKind::kUnary;
    n.unary_op = op;
    n.kids = {operand};
    n.pos = op_pos;
    return Add(std::move(n));
  }

  int ParsePostfix() {
    int base = ParsePrimary();
    while (base >= 0 && Peek().kind == Tok::kLBracket) {
      int open = Next().pos;
      int index = ParseTernary();
      if (index < 0) return -1;
      if (Expect(Tok::kRBracket, "]", open, "[") < 0) return -1;
      AstNode n;
      n.kind = NodeKind::kIndex;
      n.kids = {base, index};
      n.pos = open;
      base = Add(std::move(n));
    }
    if (base >= 0 && Peek().kind == Tok::kDot) {
      return Fail(Peek().pos, "'.' may only follow MY or TARGET (nested ads are not supported)");
    }
    return base;
  }

  int Literal(const Token& t, ValueType type) {
    AstNode n;
    n.kind = NodeKind::kLiteral;
    n.literal_type = type;
    n.pos = t.pos;
    n.literal_int = t.int_value;
    n.literal_real = t.real_value;
    if (type == ValueType::kInt || type == ValueType::kReal || type == ValueType::kString) n.text = t.text;
    if (type == ValueType::kBool) n.literal_int = t.kind == Tok::kTrue ? 1 : 0;
    return Add(std::move(n));
  }

  int ParsePrimary() {
    const Token& t = Peek();
    switch (t.kind) {
      case Tok::kInt:
        if (IsMinIntMagnitude(t)) {
          return Fail(t.pos, "integer " + t.text + " is too large (the largest is 9223372036854775807)");
        }
        Next();
        return Literal(t, ValueType::kInt);
      case Tok::kReal: Next(); return Literal(t, ValueType::kReal);
      case Tok::kString: Next(); return Literal(t, ValueType::kString);
      case Tok::kTrue:
      case Tok::kFalse: Next(); return Literal(t, ValueType::kBool);
      case Tok::kUndefined: Next(); return Literal(t, ValueType::kUndefined);
      case Tok::kError: Next(); return Literal(t, ValueType::kError);
      case Tok::kLParen: {
        int open = Next().pos;
        int inner = ParseTernary();
        if (inner < 0) return -1;
        if (Expect(Tok::kRParen, ")", open, "(") < 0) return -1;
        return inner;
      }
      case Tok::kLBrace: return ParseList();
      case Tok::kQuotedIdent: {
        Next();
        return Attribute(t.pos, Scope::kNone, t.text);
      }
      case Tok::kIdent: return ParseName();
      case Tok::kEnd: return Fail(t.pos, "expected a value, found the end of the expression");
      default: return Fail(t.pos, "expected a value, found " + DescribeToken(t));
    }
  }

  int Attribute(int pos, Scope scope, std::string name) {
    AstNode n;
    n.kind = NodeKind::kAttr;
    n.scope = scope;
    n.text = std::move(name);
    n.pos = pos;
    return Add(std::move(n));
  }

  int ParseName() {
    const Token& t = Next();
    // MY.x / TARGET.x
    if (Peek().kind == Tok::kDot && (EqualsIgnoreCase(t.text, "my") || EqualsIgnoreCase(t.text, "target"))) {
      Scope scope = EqualsIgnoreCase(t.text, "my") ? Scope::kMy : Scope::kTarget;
      Next();
      const Token& name = Peek();
      // Any word may follow the dot, keywords included (MY.error).
      bool word = name.kind == Tok::kIdent || name.kind == Tok::kQuotedIdent ||
                  (name.kind >= Tok::kTrue && name.kind <= Tok::kIsnt);
      if (!word)
        return Fail(name.pos,
                    "expected an attribute name after '" + t.text + ".', found " + DescribeToken(name));
      Next();
      return Attribute(t.pos, scope, name.text);
    }
    if (Peek().kind != Tok::kLParen) return Attribute(t.pos, Scope::kNone, t.text);
    // A call.
    auto func = FindFunction(t.text);
    if (!func) {
      static const std::vector<std::string> kNames = [] {
        std::vector<std::string> names;
        for (const FunctionInfo& f : AllFunctions()) names.push_back(f.name);
        return names;
      }();
      std::string what = "unknown function '" + t.text + "'";
      if (auto near = SuggestName(t.text, kNames)) {
        what += "; did you mean '" + *near + "'?";
      } else {
        what += "; see docs/expressions.md for the list of functions";
      }
      return Fail(t.pos, what);
    }
    NestGuard guard(this);
    if (TooDeep()) return -1;
    int open = Next().pos;
    AstNode n;
    n.kind = NodeKind::kCall;
    n.func = *func;
    n.pos = t.pos;
    if (!Accept(Tok::kRParen)) {
      while (true) {
        int arg = ParseTernary();
        if (arg < 0) return -1;
        n.kids.push_back(arg);
        if (Accept(Tok::kComma)) continue;
        if (Expect(Tok::kRParen, ")", open, "(") < 0) return -1;
        break;
      }
    }
    const FunctionInfo& info = GetFunction(*func);
    int argc = static_cast<int>(n.kids.size());
    if (argc < info.min_args || (info.max_args >= 0 && argc > info.max_args)) {
      std::string want;
      if (info.max_args < 0) {
        want = "at least " + std::to_string(info.min_args);
      } else if (info.min_args == info.max_args) {
        want = std::to_string(info.min_args);
      } else {
        want = std::to_string(info.min_args) + " to " + std::to_string(info.max_args);
      }
      return Fail(t.pos, std::string(info.name) + "() takes " + want + " argument" +
                             (want == "1" ? "" : "s") + ", got " + std::to_string(argc) + ": " +
                             info.signature);
    }
    return Add(std::move(n));
  }

  int ParseList() {
    NestGuard guard(this);
    if (TooDeep()) return -1;
    int open = Next().pos;
    AstNode n;
    n.kind = NodeKind::kList;
    n.pos = open;
    if (!Accept(Tok::kRBrace)) {
      while (true) {
        int item = ParseTernary();
        if (item < 0) return -1;
        n.kids.push_back(item);
        if (Accept(Tok::kComma)) continue;
        if (Expect(Tok::kRBrace, "}", open, "{") < 0) return -1;
        break;
      }
    }
    return Add(std::move(n));
  }

  std::string_view src_;
  std::vector<Token> toks_;
  size_t pos_ = 0;
  int nesting_ = 0;
  std::vector<AstNode> nodes_;
  Status error_;
};

}  // namespace

Result<Expr> Parse(std::string_view text) {
  if (text.size() > kMaxSourceBytes) {
    return InvalidArgument("expression is " + std::to_string(text.size()) + " bytes long; the limit is " +
                           std::to_string(kMaxSourceBytes));
  }
  auto tokens = Tokenize(text);
  if (!tokens.ok()) return tokens.status();
  return Parser(text, std::move(tokens).value()).Run();
}

}  // namespace skyrun::expr
