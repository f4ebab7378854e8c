#include "expr/check.h"

#include <algorithm>

#include "common/strings.h"
#include "expr/names.h"
#include "expr/parser.h"
#include "expr/regex.h"
#include "expr/vocabulary.h"

namespace skyrun::expr {
namespace {

// The set of types an expression may take, as bits.
using Mask = uint8_t;
constexpr Mask kU = 1, kE = 2, kB = 4, kI = 8, kR = 16, kS = 32, kL = 64;
constexpr Mask kNum = kI | kR;
constexpr Mask kDefined = kB | kI | kR | kS | kL;
constexpr Mask kAnything = kDefined | kU;

Mask MaskOf(ValueType t) {
  switch (t) {
    case ValueType::kUndefined: return kU;
    case ValueType::kError: return kE;
    case ValueType::kBool: return kB;
    case ValueType::kInt: return kI;
    case ValueType::kReal: return kR;
    case ValueType::kString: return kS;
    case ValueType::kList: return kL;
  }
  return kAnything;
}

std::string Describe(Mask m) {
  m &= kDefined;
  if (m == kS) return "a string";
  if (m == kB) return "a boolean";
  if (m == kL) return "a list";
  if (m == kI) return "an integer";
  if (m == kR) return "a real";
  if ((m & ~kNum) == 0) return "a number";
  return "a value of mixed type";
}

class Checker {
 public:
  Checker(const Expr& e, ExprRole role) : e_(e), role_(role) {}

  CheckReport Run() {
    Mask m = Infer(e_.root());
    const Mask defined = m & kDefined;
    const bool boolean_role = role_ == ExprRole::kRequirements || role_ == ExprRole::kPolicy;
    const char* what = role_ == ExprRole::kPolicy ? "a node policy" : "requirements";
    if (boolean_role) {
      if (defined == 0 && (m & kU) && !(m & kE)) {
        Error(e_.root(), std::string(what) + " that are always UNDEFINED never match");
      } else if (defined != 0 && !(defined & kB)) {
        Error(e_.root(),
              std::string(what) + " must be a boolean condition, but this is " + Describe(defined));
      }
    } else if (role_ == ExprRole::kRank && defined != 0 && !(defined & kNum)) {
      Error(e_.root(), "rank must be a number (higher is better), but this is " + Describe(defined));
    }
    return std::move(report_);
  }

 private:
  // Leftmost source offset of a subtree, for the caret.
  int Start(int id) const {
    const AstNode& n = e_.node(id);
    int pos = n.pos;
    for (int k : n.kids) pos = std::min(pos, Start(k));
    return pos;
  }

  // Past this many, further problems are not listed (one fix usually
  // removes several, and hostile input must not make the report huge).
  static constexpr size_t kMaxReported = 20;

  void Error(int id, const std::string& what) {
    if (report_.errors.size() < kMaxReported)
      report_.errors.push_back(DescribeAt(e_.source(), Start(id), what));
  }
  void ErrorAt(int offset, const std::string& what) {
    if (report_.errors.size() < kMaxReported) report_.errors.push_back(DescribeAt(e_.source(), offset, what));
  }

  // "GpuModel", "\"abc\"", or "this operand".
  std::string Name(int id) const {
    const AstNode& n = e_.node(id);
    if (n.kind == NodeKind::kAttr || n.kind == NodeKind::kLiteral) return e_.ToString(id);
    std::string text = e_.ToString(id);
    return text.size() <= 40 ? text : "this operand";
  }

  // True (and reports) when `m`'s defined types have nothing in `accepted`.
  bool Mismatch(int id, Mask m, Mask accepted, const std::string& context) {
    Mask defined = m & kDefined;
    if (defined == 0 || (defined & accepted)) return false;
    Error(id, context + ", but " + Name(id) + " is " + Describe(defined));
    return true;
  }

  Mask AttributeMask(const AstNode& n) {
    const AttributeInfo* info = nullptr;
    bool node_side = false;
    switch (role_) {
      case ExprRole::kRequirements:
      case ExprRole::kRank: node_side = n.scope != Scope::kMy; break;
      case ExprRole::kPolicy: node_side = n.scope == Scope::kMy; break;
      case ExprRole::kAny: return kAnything;
    }
    info = node_side ? FindNodeAttribute(n.text) : FindJobAttribute(n.text);
    if (info) return MaskOf(info->type) | kU;
    if (report_.warnings.size() >= kMaxReported) return kAnything;
    // Not in the vocabulary: fine (free-form attributes), but say so when it
    // looks like a typo of a published name.
    static const std::vector<std::string> kNodeNames = Names(NodeVocabulary());
    static const std::vector<std::string> kJobNames = Names(JobVocabulary());
    if (auto near = SuggestName(n.text, node_side ? kNodeNames : kJobNames)) {
      report_.warnings.push_back(DescribeAt(e_.source(), n.pos,
                                            "'" + n.text + "' is not a published " +
                                                (node_side ? "node" : "job") + " attribute; did you mean '" +
                                                *near + "'? (a missing attribute is UNDEFINED)"));
    }
    return kAnything;
  }

  static std::vector<std::string> Names(std::span<const AttributeInfo> table) {
    std::vector<std::string> out;
    for (const AttributeInfo& a : table) out.push_back(a.name);
    return out;
  }

  static bool IsLiteralZero(const AstNode& n) {
    return n.kind == NodeKind::kLiteral && ((n.literal_type == ValueType::kInt && n.literal_int == 0) ||
                                            (n.literal_type == ValueType::kReal && n.literal_real == 0));
  }

  Mask Infer(int id) {
    const AstNode& n = e_.node(id);
    switch (n.kind) {
      case NodeKind::kLiteral: return MaskOf(n.literal_type);
      case NodeKind::kAttr: return AttributeMask(n);
      case NodeKind::kList:
        for (int k : n.kids) Infer(k);
        return kL;
      case NodeKind::kUnary: {
        Mask m = Infer(n.kids[0]);
        Mask pass = m & (kU | kE);
        switch (n.unary_op) {
          case UnaryOp::kNeg:
          case UnaryOp::kPlus:
            if (Mismatch(n.kids[0], m, kNum,
                         std::string("'") + UnaryOpSpelling(n.unary_op) + "' needs a number")) {
              return kE;
            }
            return (m & kNum) | pass | kE;
          case UnaryOp::kNot:
            if (Mismatch(n.kids[0], m, kB, "'!' needs a boolean")) return kE;
            return kB | pass;
          case UnaryOp::kBitNot:
            if (Mismatch(n.kids[0], m, kI, "'~' needs an integer")) return kE;
            return kI | pass;
        }
        return kAnything | kE;
      }
      case NodeKind::kBinary: return InferBinary(n);
      case NodeKind::kTernary: {
        Mask c = Infer(n.kids[0]);
        Mismatch(n.kids[0], c, kB, "the condition of '? :' must be a boolean");
        return Infer(n.kids[1]) | Infer(n.kids[2]) | kU | kE;
      }
      case NodeKind::kElvis: {
        Mask a = Infer(n.kids[0]);
        return (a & ~kU) | Infer(n.kids[1]);
      }
      case NodeKind::kIndex: {
        Mismatch(n.kids[0], Infer(n.kids[0]), kL, "'[ ]' needs a list");
        Mismatch(n.kids[1], Infer(n.kids[1]), kI, "a list index must be an integer");
        return kAnything | kE;
      }
      case NodeKind::kCall: return InferCall(n);
    }
    return kAnything | kE;
  }

  Mask InferBinary(const AstNode& n) {
    Mask a = Infer(n.kids[0]);
    Mask b = Infer(n.kids[1]);
    Mask pass = (a | b) & (kU | kE);
    const std::string op = std::string("'") + BinaryOpSpelling(n.binary_op) + "'";
    switch (n.binary_op) {
      case BinaryOp::kAnd:
      case BinaryOp::kOr:
        Mismatch(n.kids[0], a, kB, op + " needs booleans");
        Mismatch(n.kids[1], b, kB, op + " needs booleans");
        return kB | kU | kE;
      case BinaryOp::kIs:
      case BinaryOp::kIsnt: return kB;
      case BinaryOp::kEq:
      case BinaryOp::kNe: {
        if (Mismatch(n.kids[0], a, kB | kNum | kS, op + " cannot compare lists (use =?= or subset())") ||
            Mismatch(n.kids[1], b, kB | kNum | kS, op + " cannot compare lists (use =?= or subset())")) {
          return kE;
        }
        Incomparable(n, a, b, kB | kNum | kS);
        return kB | pass | kE;
      }
      case BinaryOp::kLt:
      case BinaryOp::kLe:
      case BinaryOp::kGt:
      case BinaryOp::kGe:
        if (Mismatch(n.kids[0], a, kNum | kS, op + " compares numbers or strings") ||
            Mismatch(n.kids[1], b, kNum | kS, op + " compares numbers or strings")) {
          return kE;
        }
        Incomparable(n, a, b, kNum | kS);
        return kB | pass | kE;
      case BinaryOp::kBitAnd:
      case BinaryOp::kBitOr:
      case BinaryOp::kBitXor:
      case BinaryOp::kShl:
      case BinaryOp::kShr:
      case BinaryOp::kUshr:
        Mismatch(n.kids[0], a, kI, op + " needs integers");
        Mismatch(n.kids[1], b, kI, op + " needs integers");
        return kI | pass | kE;
      default: break;
    }
    // + - * / %
    std::string context = "arithmetic " + op + " needs numbers";
    if (((a | b) & kDefined) == kS || (a & kDefined) == kS || (b & kDefined) == kS) {
      if (n.binary_op == BinaryOp::kAdd) context += " (use strcat() to join strings)";
    }
    if (n.binary_op == BinaryOp::kMod) context = "'%' needs integers (as in ClassAds)";
    const Mask accepted = n.binary_op == BinaryOp::kMod ? kI : kNum;
    bool bad = Mismatch(n.kids[0], a, accepted, context);
    bad |= Mismatch(n.kids[1], b, accepted, context);
    if (bad) return kE;
    if ((n.binary_op == BinaryOp::kDiv || n.binary_op == BinaryOp::kMod) &&
        IsLiteralZero(e_.node(n.kids[1]))) {
      ErrorAt(n.pos, n.binary_op == BinaryOp::kDiv ? "division by zero" : "modulo by zero");
    }
    Mask out = pass | kE;
    if ((a & kI) && (b & kI)) out |= kI;
    if ((a & kNum) && (b & kNum) && ((a | b) & kR) && n.binary_op != BinaryOp::kMod) out |= kR;
    return out;
  }

  // == / < between, say, a string and a number: ERROR on every ad.
  void Incomparable(const AstNode& n, Mask a, Mask b, Mask scope) {
    Mask x = a & scope, y = b & scope;
    if (x == 0 || y == 0) return;
    bool compatible = ((x & kNum) && (y & kNum)) || ((x & kS) && (y & kS)) || ((x & kB) && (y & kB));
    if (compatible) return;
    ErrorAt(n.pos, std::string("'") + BinaryOpSpelling(n.binary_op) + "' compares " + Name(n.kids[0]) + " (" +
                       Describe(x) + ") with " + Name(n.kids[1]) + " (" + Describe(y) +
                       "); that is ERROR on every ad");
  }

  Mask InferCall(const AstNode& n) {
    std::vector<Mask> args;
    for (int k : n.kids) args.push_back(Infer(k));
    const std::string fn = std::string(GetFunction(n.func).name) + "()";
    auto want = [&](size_t k, Mask accepted, const char* what) {
      if (k < args.size()) Mismatch(n.kids[k], args[k], accepted, fn + " needs " + what);
    };
    switch (n.func) {
      case FuncId::kMember:
        want(0, kB | kNum | kS, "a single value as its first argument");
        want(1, kL, "a list as its second argument");
        return kB | kU | kE;
      case FuncId::kIdenticalMember: want(1, kL, "a list as its second argument"); return kB | kU | kE;
      case FuncId::kStringListMember:
      case FuncId::kStringListIMember:
        for (size_t k = 0; k < args.size(); ++k) want(k, kS, "strings");
        return kB | kU | kE;
      case FuncId::kRegexp: {
        for (size_t k = 0; k < args.size(); ++k) want(k, kS, "strings");
        const AstNode& pattern = e_.node(n.kids[0]);
        RegexOptions options;
        if (args.size() > 2) {
          const AstNode& opt = e_.node(n.kids[2]);
          if (opt.kind == NodeKind::kLiteral && opt.literal_type == ValueType::kString) {
            auto o = ParseRegexOptions(opt.text);
            if (!o.ok()) {
              ErrorAt(opt.pos, o.status().message());
            } else {
              options = *o;
            }
          }
        }
        if (pattern.kind == NodeKind::kLiteral && pattern.literal_type == ValueType::kString) {
          Status valid = Regex::Validate(pattern.text, options);
          if (!valid.ok()) ErrorAt(pattern.pos, "invalid regular expression: " + valid.message());
        }
        return kB | kU | kE;
      }
      case FuncId::kIfThenElse: want(0, kB, "a boolean condition"); return args[1] | args[2] | kU | kE;
      case FuncId::kIsUndefined:
      case FuncId::kIsError:
      case FuncId::kIsString:
      case FuncId::kIsInteger:
      case FuncId::kIsReal:
      case FuncId::kIsBoolean:
      case FuncId::kIsList: return kB;
      case FuncId::kSize: want(0, kS | kL, "a string or a list"); return kI | kU | kE;
      case FuncId::kSum:
      case FuncId::kAvg: want(0, kL, "a list of numbers"); return kNum | kU | kE;
      case FuncId::kMin:
      case FuncId::kMax:
        if (args.size() == 1) {
          want(0, kL | kNum, "a list of numbers");
        } else {
          for (size_t k = 0; k < args.size(); ++k) want(k, kNum, "numbers");
        }
        return kNum | kU | kE;
      case FuncId::kStrcat:
        for (size_t k = 0; k < args.size(); ++k) want(k, kB | kNum | kS, "strings, numbers or booleans");
        return kS | kU | kE;
      case FuncId::kSubstr:
        want(0, kS, "a string");
        want(1, kI, "an integer offset");
        want(2, kI, "an integer length");
        return kS | kU | kE;
      case FuncId::kToLower:
      case FuncId::kToUpper: want(0, kB | kNum | kS, "a string (or a value to convert)"); return kS | kU | kE;
      case FuncId::kInt:
        want(0, kB | kNum | kS, "a number, a numeric string or a boolean");
        return kI | kU | kE;
      case FuncId::kReal:
        want(0, kB | kNum | kS, "a number, a numeric string or a boolean");
        return kR | kU | kE;
      case FuncId::kString: return kS | kU | kE;
      case FuncId::kFloor:
      case FuncId::kCeil:
      case FuncId::kCeiling:
      case FuncId::kRound: want(0, kB | kNum | kS, "a number"); return kI | kU | kE;
      case FuncId::kAbs: want(0, kNum, "a number"); return (args[0] & kNum) | kU | kE;
      case FuncId::kPow:
        want(0, kNum, "numbers");
        want(1, kNum, "numbers");
        return kNum | kU | kE;
      case FuncId::kVersioncmp:
      case FuncId::kStrcmp:
      case FuncId::kStricmp:
        want(0, kB | kNum | kS, "strings");
        want(1, kB | kNum | kS, "strings");
        return kI | kU | kE;
      case FuncId::kVersionLE:
      case FuncId::kVersionLT:
      case FuncId::kVersionGE:
      case FuncId::kVersionGT:
      case FuncId::kVersionEQ:
      case FuncId::kVersionInRange:
        for (size_t k = 0; k < args.size(); ++k) want(k, kB | kNum | kS, "versions");
        return kB | kU | kE;
      case FuncId::kStringListsIntersect:
      case FuncId::kStringListSubsetMatch:
      case FuncId::kStringListISubsetMatch:
      case FuncId::kStringListRegexpMember:
        for (size_t k = 0; k < args.size(); ++k) want(k, kS, "strings");
        return kB | kU | kE;
      case FuncId::kStringListSize:
        for (size_t k = 0; k < args.size(); ++k) want(k, kS, "strings");
        return kI | kU | kE;
      case FuncId::kStringListSum:
      case FuncId::kStringListAvg:
      case FuncId::kStringListMin:
      case FuncId::kStringListMax:
        for (size_t k = 0; k < args.size(); ++k) want(k, kS, "strings");
        return kNum | kU | kE;
      case FuncId::kRegexpMember:
        want(0, kS, "a string pattern");
        want(1, kL, "a list of strings");
        want(2, kS, "option letters");
        return kB | kU | kE;
      case FuncId::kRegexps:
      case FuncId::kReplace:
      case FuncId::kReplaceAll:
        for (size_t k = 0; k < args.size(); ++k) want(k, kS, "strings");
        return kS | kU | kE;
      case FuncId::kAnyCompare:
      case FuncId::kAllCompare:
        want(0, kS, "an operator string such as \"<\"");
        want(1, kL, "a list");
        return kB | kU | kE;
      case FuncId::kJoin: return kS | kU | kE;
      case FuncId::kSplit:
        for (size_t k = 0; k < args.size(); ++k) want(k, kS, "strings");
        return kL | kU | kE;
      case FuncId::kQuantize: want(0, kB | kNum | kS, "a number"); return kNum | kU | kE;
      case FuncId::kLog:
        for (size_t k = 0; k < args.size(); ++k) want(k, kB | kNum | kS, "numbers");
        return kR | kU | kE;
      case FuncId::kBool: want(0, kB | kNum | kS, "a value to convert"); return kB | kU | kE;
      case FuncId::kUnparse: return kS | kE;
      case FuncId::kTime: return kI;
      case FuncId::kAbsTime: return kI | kU | kE;
      case FuncId::kRelTime: return kNum | kU | kE;
      case FuncId::kFormatTime:
      case FuncId::kInterval: return kS | kU | kE;
      case FuncId::kSplitTime: return kL | kU | kE;
      case FuncId::kIntersect:
      case FuncId::kUnion:
      case FuncId::kDifference:
        want(0, kL, "lists");
        want(1, kL, "lists");
        return kL | kU | kE;
      case FuncId::kSubset:
        want(0, kL, "lists");
        want(1, kL, "lists");
        return kB | kU | kE;
      case FuncId::kNumFunctions: break;
    }
    return kAnything | kE;
  }

  const Expr& e_;
  ExprRole role_;
  CheckReport report_;
};

bool IsBlank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

Status CheckAs(std::string_view text, ExprRole role, const char* what) {
  auto report = CheckText(text, role);
  if (!report.ok()) return report.status().WithContext(what);
  if (report->ok()) return Status::Ok();
  return InvalidArgument(std::string(what) + ": " + Join(report->errors, "\n"));
}

}  // namespace

CheckReport Check(const Expr& expr, ExprRole role) {
  if (expr.size() == 0) return {};
  return Checker(expr, role).Run();
}

Result<CheckReport> CheckText(std::string_view text, ExprRole role) {
  if (IsBlank(text)) return CheckReport{};
  auto expr = Parse(text);
  if (!expr.ok()) return expr.status();
  return Check(*expr, role);
}

Status CheckRequirements(std::string_view text) {
  return CheckAs(text, ExprRole::kRequirements, "requirements");
}
Status CheckRank(std::string_view text) {
  return CheckAs(text, ExprRole::kRank, "rank");
}
Status CheckPolicy(std::string_view text) {
  return CheckAs(text, ExprRole::kPolicy, "policy");
}

}  // namespace skyrun::expr
