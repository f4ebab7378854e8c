#include "expr/ast.h"

#include <bit>
#include <cctype>
#include <cstdint>

#include "common/strings.h"

namespace skyrun::expr {
namespace {

constexpr int kTernaryPrec = 0;
constexpr int kUnaryPrec = 11;
constexpr int kPostfixPrec = 12;
constexpr int kAtomPrec = 13;

const char* const kKeywords[] = {"true", "false", "undefined", "error", "is", "isnt"};

}  // namespace

const char* BinaryOpSpelling(BinaryOp op) {
  switch (op) {
    case BinaryOp::kOr: return "||";
    case BinaryOp::kAnd: return "&&";
    case BinaryOp::kBitOr: return "|";
    case BinaryOp::kBitXor: return "^";
    case BinaryOp::kBitAnd: return "&";
    case BinaryOp::kEq: return "==";
    case BinaryOp::kNe: return "!=";
    case BinaryOp::kIs: return "=?=";
    case BinaryOp::kIsnt: return "=!=";
    case BinaryOp::kLt: return "<";
    case BinaryOp::kLe: return "<=";
    case BinaryOp::kGt: return ">";
    case BinaryOp::kGe: return ">=";
    case BinaryOp::kShl: return "<<";
    case BinaryOp::kShr: return ">>";
    case BinaryOp::kUshr: return ">>>";
    case BinaryOp::kAdd: return "+";
    case BinaryOp::kSub: return "-";
    case BinaryOp::kMul: return "*";
    case BinaryOp::kDiv: return "/";
    case BinaryOp::kMod: return "%";
  }
  return "?";
}

const char* UnaryOpSpelling(UnaryOp op) {
  switch (op) {
    case UnaryOp::kNeg: return "-";
    case UnaryOp::kPlus: return "+";
    case UnaryOp::kNot: return "!";
    case UnaryOp::kBitNot: return "~";
  }
  return "?";
}

int BinaryPrecedence(BinaryOp op) {
  switch (op) {
    case BinaryOp::kOr: return 1;
    case BinaryOp::kAnd: return 2;
    case BinaryOp::kBitOr: return 3;
    case BinaryOp::kBitXor: return 4;
    case BinaryOp::kBitAnd: return 5;
    case BinaryOp::kEq:
    case BinaryOp::kNe:
    case BinaryOp::kIs:
    case BinaryOp::kIsnt: return 6;
    case BinaryOp::kLt:
    case BinaryOp::kLe:
    case BinaryOp::kGt:
    case BinaryOp::kGe: return 7;
    case BinaryOp::kShl:
    case BinaryOp::kShr:
    case BinaryOp::kUshr: return 8;
    case BinaryOp::kAdd:
    case BinaryOp::kSub: return 9;
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kMod: return 10;
  }
  return 0;
}

bool IsPlainAttributeName(std::string_view name) {
  if (name.empty()) return false;
  if (!(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  for (const char* k : kKeywords) {
    if (EqualsIgnoreCase(name, k)) return false;
  }
  return true;
}

std::string QuoteAttributeName(std::string_view name) {
  std::string out = "'";
  for (char c : name) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

Value Expr::LiteralValue(int id) const {
  const AstNode& n = nodes_[id];
  switch (n.literal_type) {
    case ValueType::kUndefined: return Value::Undefined();
    case ValueType::kError: return Value::Error("the ERROR literal");
    case ValueType::kBool: return Value::Bool(n.literal_int != 0);
    case ValueType::kInt: return Value::Int(n.literal_int);
    case ValueType::kReal: return Value::Real(n.literal_real);
    case ValueType::kString: return Value::String(n.text);
    case ValueType::kList: break;
  }
  return Value::Error("bad literal");
}

std::string Expr::ToString(int id) const {
  std::string out;
  if (nodes_.empty()) return out;
  Print(id, kTernaryPrec, &out);
  return out;
}

void Expr::Print(int id, int min_prec, std::string* out) const {
  const AstNode& n = nodes_[id];
  int prec = kAtomPrec;
  switch (n.kind) {
    case NodeKind::kTernary:
    case NodeKind::kElvis: prec = kTernaryPrec; break;
    case NodeKind::kBinary: prec = BinaryPrecedence(n.binary_op); break;
    case NodeKind::kUnary: prec = kUnaryPrec; break;
    case NodeKind::kIndex: prec = kPostfixPrec; break;
    default: break;
  }
  const bool parens = prec < min_prec;
  if (parens) out->push_back('(');
  switch (n.kind) {
    case NodeKind::kLiteral:
      switch (n.literal_type) {
        case ValueType::kUndefined: *out += "UNDEFINED"; break;
        case ValueType::kError: *out += "ERROR"; break;
        case ValueType::kBool: *out += n.literal_int ? "true" : "false"; break;
        case ValueType::kInt: *out += n.text.empty() ? std::to_string(n.literal_int) : n.text; break;
        case ValueType::kReal: *out += n.text.empty() ? FormatReal(n.literal_real) : n.text; break;
        case ValueType::kString: *out += QuoteString(n.text); break;
        case ValueType::kList: break;
      }
      break;
    case NodeKind::kAttr:
      if (n.scope == Scope::kMy) *out += "MY.";
      if (n.scope == Scope::kTarget) *out += "TARGET.";
      *out += IsPlainAttributeName(n.text) ? n.text : QuoteAttributeName(n.text);
      break;
    case NodeKind::kList:
      out->push_back('{');
      for (size_t k = 0; k < n.kids.size(); ++k) {
        if (k) *out += ", ";
        Print(n.kids[k], kTernaryPrec, out);
      }
      out->push_back('}');
      break;
    case NodeKind::kUnary:
      *out += UnaryOpSpelling(n.unary_op);
      Print(n.kids[0], kUnaryPrec, out);
      break;
    case NodeKind::kBinary:
      Print(n.kids[0], prec, out);
      out->push_back(' ');
      *out += BinaryOpSpelling(n.binary_op);
      out->push_back(' ');
      Print(n.kids[1], prec + 1, out);
      break;
    case NodeKind::kTernary:
      Print(n.kids[0], kTernaryPrec + 1, out);
      *out += " ? ";
      Print(n.kids[1], kTernaryPrec, out);
      *out += " : ";
      Print(n.kids[2], kTernaryPrec, out);
      break;
    case NodeKind::kElvis:
      Print(n.kids[0], kTernaryPrec + 1, out);
      *out += " ?: ";
      Print(n.kids[1], kTernaryPrec, out);
      break;
    case NodeKind::kCall:
      *out += GetFunction(n.func).name;
      out->push_back('(');
      for (size_t k = 0; k < n.kids.size(); ++k) {
        if (k) *out += ", ";
        Print(n.kids[k], kTernaryPrec, out);
      }
      out->push_back(')');
      break;
    case NodeKind::kIndex:
      Print(n.kids[0], kPostfixPrec, out);
      out->push_back('[');
      Print(n.kids[1], kTernaryPrec, out);
      out->push_back(']');
      break;
  }
  if (parens) out->push_back(')');
}

std::vector<int> Expr::Conjuncts() const {
  std::vector<int> out;
  if (nodes_.empty()) return out;
  // Walk the left spine of a && b && c (parsed as (a && b) && c).
  std::vector<int> rights;
  int id = root_;
  while (nodes_[id].kind == NodeKind::kBinary && nodes_[id].binary_op == BinaryOp::kAnd) {
    rights.push_back(nodes_[id].kids[1]);
    id = nodes_[id].kids[0];
  }
  out.push_back(id);
  for (size_t k = rights.size(); k-- > 0;) out.push_back(rights[k]);
  return out;
}

bool Expr::SameTreeAs(const Expr& other) const {
  if (nodes_.empty() || other.nodes_.empty()) return nodes_.empty() == other.nodes_.empty();
  return SameSubtree(root_, other, other.root_);
}

bool Expr::SameSubtree(int a, const Expr& other, int b) const {
  const AstNode& x = nodes_[a];
  const AstNode& y = other.nodes_[b];
  if (x.kind != y.kind || x.kids.size() != y.kids.size()) return false;
  switch (x.kind) {
    case NodeKind::kLiteral:
      if (x.literal_type != y.literal_type) return false;
      if (x.literal_type == ValueType::kReal) {
        // Bit patterns: tells -0.0 from 0.0, as the printed forms do.
        if (std::bit_cast<uint64_t>(x.literal_real) != std::bit_cast<uint64_t>(y.literal_real)) return false;
      } else if (x.literal_type == ValueType::kString) {
        if (x.text != y.text) return false;
      } else if (x.literal_int != y.literal_int) {
        return false;
      }
      break;
    case NodeKind::kAttr:
      if (x.scope != y.scope || x.text != y.text) return false;
      break;
    case NodeKind::kUnary:
      if (x.unary_op != y.unary_op) return false;
      break;
    case NodeKind::kBinary:
      if (x.binary_op != y.binary_op) return false;
      break;
    case NodeKind::kCall:
      if (x.func != y.func) return false;
      break;
    default: break;
  }
  for (size_t k = 0; k < x.kids.size(); ++k) {
    if (!SameSubtree(x.kids[k], other, y.kids[k])) return false;
  }
  return true;
}

namespace {

bool IsContinuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

}  // namespace

std::string LocationOf(std::string_view source, size_t offset) {
  if (offset > source.size()) offset = source.size();
  int line = 1;
  size_t line_start = 0;
  for (size_t k = 0; k < offset; ++k) {
    if (source[k] == '\n') {
      ++line;
      line_start = k + 1;
    }
  }
  int col = 1;
  for (size_t k = line_start; k < offset; ++k) {
    if (!IsContinuation(source[k])) ++col;
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

std::string CaretAt(std::string_view source, size_t offset) {
  constexpr size_t kWindow = 60;
  if (offset > source.size()) offset = source.size();
  size_t newline = offset == 0 ? std::string_view::npos : source.rfind('\n', offset - 1);
  size_t line_start = newline == std::string_view::npos ? 0 : newline + 1;
  size_t line_end = source.find('\n', offset);
  if (line_end == std::string_view::npos) line_end = source.size();
  size_t from = line_start;
  size_t to = line_end;
  std::string prefix, suffix;
  if (offset - from > kWindow) {
    from = offset - kWindow;
    while (from < offset && IsContinuation(source[from])) ++from;
    prefix = "...";
  }
  if (to - offset > kWindow) {
    to = offset + kWindow;
    while (to < line_end && IsContinuation(source[to])) ++to;
    suffix = "...";
  }
  std::string line = "  " + prefix;
  std::string caret = "  " + std::string(prefix.size(), ' ');
  for (size_t k = from; k < to; ++k) {
    char c = source[k];
    bool control = static_cast<unsigned char>(c) < 0x20 && c != '\t';
    line.push_back(control ? ' ' : c);  // keep the terminal sane
    if (k < offset && !IsContinuation(c)) caret.push_back(c == '\t' ? '\t' : ' ');
  }
  line += suffix;
  caret.push_back('^');
  return line + "\n" + caret;
}

std::string DescribeAt(std::string_view source, size_t offset, std::string_view what) {
  return std::string(what) + " at " + LocationOf(source, offset) + "\n" + CaretAt(source, offset);
}

}  // namespace skyrun::expr
