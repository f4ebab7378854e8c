// Expr: a parsed expression. A flat vector of nodes (children by index), the
// source text it came from (for error carets), and a printer whose output
// parses back to the same tree (Parse(e.ToString()) == e).
//
// Produced by Parse() (parser.h); read by Compile(), the type checker and the
// matcher's explanations. Thread-safety: immutable after parsing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "expr/functions.h"
#include "expr/value.h"

namespace skyrun::expr {

// Where an attribute is looked up. kNone (a bare name) means the other ad
// (TARGET) when there is one, and MY when the expression is evaluated alone.
enum class Scope : uint8_t { kNone, kMy, kTarget };

enum class UnaryOp : uint8_t { kNeg, kPlus, kNot, kBitNot };

// In order of binding strength, weakest first (see BinaryPrecedence).
enum class BinaryOp : uint8_t {
  kOr,
  kAnd,
  kBitOr,
  kBitXor,
  kBitAnd,
  kEq,
  kNe,
  kIs,    // =?=
  kIsnt,  // =!=
  kLt,
  kLe,
  kGt,
  kGe,
  kShl,
  kShr,
  kUshr,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
};

const char* BinaryOpSpelling(BinaryOp op);
const char* UnaryOpSpelling(UnaryOp op);
// 1 (||) .. 10 (* / %); the ternary is 0, unary 11, postfix 12, atoms 13.
int BinaryPrecedence(BinaryOp op);

enum class NodeKind : uint8_t {
  kLiteral,  // value in literal_*; text = spelling of a number, or the string
  kAttr,     // scope + text = the name as written
  kList,     // { kids... }
  kUnary,    // unary_op kids[0]
  kBinary,   // kids[0] binary_op kids[1]
  kTernary,  // kids[0] ? kids[1] : kids[2]
  kElvis,    // kids[0] ?: kids[1]
  kCall,     // func(kids...)
  kIndex,    // kids[0][kids[1]]
};

struct AstNode {
  NodeKind kind = NodeKind::kLiteral;
  UnaryOp unary_op = UnaryOp::kNeg;
  BinaryOp binary_op = BinaryOp::kOr;
  FuncId func = FuncId::kMember;
  Scope scope = Scope::kNone;
  ValueType literal_type = ValueType::kUndefined;
  int64_t literal_int = 0;
  double literal_real = 0;
  std::string text;
  std::vector<int> kids;
  int pos = 0;    // byte offset in the source of the node's operator or first token
  int depth = 1;  // height of the subtree
};

class Expr {
 public:
  Expr() = default;
  Expr(std::vector<AstNode> nodes, int root, std::string source)
      : nodes_(std::move(nodes)), root_(root), source_(std::move(source)) {}

  int root() const { return root_; }
  const AstNode& node(int id) const { return nodes_[id]; }
  size_t size() const { return nodes_.size(); }
  const std::string& source() const { return source_; }

  // The literal of a kLiteral node as a Value (strings refer to this Expr).
  Value LiteralValue(int id) const;

  // Canonical text that parses back to the same tree; minimal parentheses.
  std::string ToString() const { return ToString(root_); }
  std::string ToString(int id) const;

  // The top-level && operands, left to right (one element when the root is
  // not an &&): the clauses a match failure is explained by.
  std::vector<int> Conjuncts() const;

  // Same tree (same operators, names as written, literal values).
  bool SameTreeAs(const Expr& other) const;

 private:
  void Print(int id, int min_prec, std::string* out) const;
  bool SameSubtree(int a, const Expr& other, int b) const;

  std::vector<AstNode> nodes_;
  int root_ = 0;
  std::string source_;
};

// True if `name` can be written bare (an identifier that is not a keyword);
// otherwise the printer quotes it: 'nvidia.com/gpu'.
bool IsPlainAttributeName(std::string_view name);
// 'name' with \' and \\ escaped.
std::string QuoteAttributeName(std::string_view name);

// "line:col" (1-based; columns count characters) of a byte offset.
std::string LocationOf(std::string_view source, size_t offset);
// Two lines: the source line around `offset` and a caret under it, each
// indented by two spaces. Long lines are cut to a window around the caret.
std::string CaretAt(std::string_view source, size_t offset);
// "what at 1:23\n  <line>\n  <caret>".
std::string DescribeAt(std::string_view source, size_t offset, std::string_view what);

}  // namespace skyrun::expr
