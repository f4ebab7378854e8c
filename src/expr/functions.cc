#include "expr/functions.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "common/strings.h"
#include "expr/function_helpers.h"
#include "expr/ops.h"
#include "expr/regex.h"
#include "expr/scratch.h"

namespace skyrun::expr {
namespace {

constexpr FunctionInfo kFunctions[] = {
    {FuncId::kMember, "member", 2, 2, "member(value, list)"},
    {FuncId::kIdenticalMember, "identicalMember", 2, 2, "identicalMember(value, list)"},
    {FuncId::kStringListMember, "stringListMember", 2, 3,
     "stringListMember(string, \"a,b,c\" [, delimiters])"},
    {FuncId::kStringListIMember, "stringListIMember", 2, 3,
     "stringListIMember(string, \"a,b,c\" [, delimiters])"},
    {FuncId::kRegexp, "regexp", 2, 3, "regexp(pattern, string [, options])"},
    {FuncId::kIfThenElse, "ifThenElse", 3, 3, "ifThenElse(condition, then, else)"},
    {FuncId::kIsUndefined, "isUndefined", 1, 1, "isUndefined(value)"},
    {FuncId::kIsError, "isError", 1, 1, "isError(value)"},
    {FuncId::kIsString, "isString", 1, 1, "isString(value)"},
    {FuncId::kIsInteger, "isInteger", 1, 1, "isInteger(value)"},
    {FuncId::kIsReal, "isReal", 1, 1, "isReal(value)"},
    {FuncId::kIsBoolean, "isBoolean", 1, 1, "isBoolean(value)"},
    {FuncId::kIsList, "isList", 1, 1, "isList(value)"},
    {FuncId::kSize, "size", 1, 1, "size(string or list)"},
    {FuncId::kSum, "sum", 1, 1, "sum(list)"},
    {FuncId::kMin, "min", 1, -1, "min(list) or min(a, b, ...)"},
    {FuncId::kMax, "max", 1, -1, "max(list) or max(a, b, ...)"},
    {FuncId::kAvg, "avg", 1, 1, "avg(list)"},
    {FuncId::kStrcat, "strcat", 0, -1, "strcat(value, ...)"},
    {FuncId::kSubstr, "substr", 2, 3, "substr(string, offset [, length])"},
    {FuncId::kToLower, "toLower", 1, 1, "toLower(string)"},
    {FuncId::kToUpper, "toUpper", 1, 1, "toUpper(string)"},
    {FuncId::kInt, "int", 1, 1, "int(value)"},
    {FuncId::kReal, "real", 1, 1, "real(value)"},
    {FuncId::kString, "string", 1, 1, "string(value)"},
    {FuncId::kFloor, "floor", 1, 1, "floor(number)"},
    {FuncId::kCeiling, "ceiling", 1, 1, "ceiling(number)"},
    {FuncId::kRound, "round", 1, 1, "round(number)"},
    {FuncId::kAbs, "abs", 1, 1, "abs(number)"},
    {FuncId::kPow, "pow", 2, 2, "pow(base, exponent)"},
    {FuncId::kVersioncmp, "versioncmp", 2, 2, "versioncmp(string, string)"},
    {FuncId::kStrcmp, "strcmp", 2, 2, "strcmp(string, string)"},
    {FuncId::kStricmp, "stricmp", 2, 2, "stricmp(string, string)"},
    {FuncId::kIntersect, "intersect", 2, 2, "intersect(list, list)"},
    {FuncId::kUnion, "union", 2, 2, "union(list, list)"},
    {FuncId::kDifference, "difference", 2, 2, "difference(list, list)"},
    {FuncId::kSubset, "subset", 2, 2, "subset(list, list)"},
    {FuncId::kStringListsIntersect, "stringListsIntersect", 2, 3,
     "stringListsIntersect(\"a,b\", \"b,c\" [, delimiters])"},
    {FuncId::kStringListSize, "stringListSize", 1, 2, "stringListSize(\"a,b,c\" [, delimiters])"},
    {FuncId::kStringListSum, "stringListSum", 1, 2, "stringListSum(\"1,2,3\" [, delimiters])"},
    {FuncId::kStringListAvg, "stringListAvg", 1, 2, "stringListAvg(\"1,2,3\" [, delimiters])"},
    {FuncId::kStringListMin, "stringListMin", 1, 2, "stringListMin(\"1,2,3\" [, delimiters])"},
    {FuncId::kStringListMax, "stringListMax", 1, 2, "stringListMax(\"1,2,3\" [, delimiters])"},
    {FuncId::kStringListSubsetMatch, "stringListSubsetMatch", 2, 3,
     "stringListSubsetMatch(\"a,b\", \"a,b,c\" [, delimiters])"},
    {FuncId::kStringListISubsetMatch, "stringListISubsetMatch", 2, 3,
     "stringListISubsetMatch(\"a,b\", \"A,B,C\" [, delimiters])"},
    {FuncId::kStringListRegexpMember, "stringListRegexpMember", 2, 4,
     "stringListRegexpMember(pattern, \"a,b,c\" [, delimiters [, options]])"},
    {FuncId::kRegexpMember, "regexpMember", 2, 3, "regexpMember(pattern, list [, options])"},
    {FuncId::kRegexps, "regexps", 3, 4, "regexps(pattern, string, rewrite [, options])"},
    {FuncId::kReplace, "replace", 3, 4, "replace(pattern, string, rewrite [, options])"},
    {FuncId::kReplaceAll, "replaceAll", 3, 4, "replaceAll(pattern, string, rewrite [, options])"},
    {FuncId::kAnyCompare, "anyCompare", 3, 3, "anyCompare(\"<\", list, value)"},
    {FuncId::kAllCompare, "allCompare", 3, 3, "allCompare(\"<\", list, value)"},
    {FuncId::kJoin, "join", 1, -1, "join(separator, value, ...) or join([separator,] list)"},
    {FuncId::kSplit, "split", 1, 2, "split(string [, delimiters])"},
    {FuncId::kQuantize, "quantize", 2, 2, "quantize(number, step or list)"},
    {FuncId::kCeil, "ceil", 1, 1, "ceil(number)"},
    {FuncId::kLog, "log", 1, 2, "log(number [, base])"},
    {FuncId::kBool, "bool", 1, 1, "bool(value)"},
    {FuncId::kUnparse, "unparse", 1, 1, "unparse(attribute)"},
    {FuncId::kVersionLE, "versionLE", 2, 2, "versionLE(version, version)"},
    {FuncId::kVersionLT, "versionLT", 2, 2, "versionLT(version, version)"},
    {FuncId::kVersionGE, "versionGE", 2, 2, "versionGE(version, version)"},
    {FuncId::kVersionGT, "versionGT", 2, 2, "versionGT(version, version)"},
    {FuncId::kVersionEQ, "versionEQ", 2, 2, "versionEQ(version, version)"},
    {FuncId::kVersionInRange, "version_in_range", 3, 3, "version_in_range(version, min, max)"},
    {FuncId::kTime, "time", 0, 0, "time()"},
    {FuncId::kAbsTime, "absTime", 0, 2, "absTime([\"2024-05-01T12:00:00Z\" or seconds])"},
    {FuncId::kRelTime, "relTime", 1, 1, "relTime(\"1d2h\" or \"2+03:04:05\" or seconds)"},
    {FuncId::kFormatTime, "formatTime", 0, 2, "formatTime([seconds [, strftime format]])"},
    {FuncId::kInterval, "interval", 1, 1, "interval(seconds)"},
    {FuncId::kSplitTime, "splitTime", 1, 1, "splitTime(seconds)"},
};
static_assert(std::size(kFunctions) == static_cast<size_t>(FuncId::kNumFunctions));

constexpr double kTwo63 = 9223372036854775808.0;

char LowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}
char UpperAscii(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c;
}

}  // namespace

bool Exceptional(std::span<const Value> args, Value* out) {
  bool undefined = false;
  for (const Value& v : args) {
    if (v.IsError()) {
      *out = v;
      return true;
    }
    undefined |= v.IsUndefined();
  }
  if (undefined) *out = Value::Undefined();
  return undefined;
}

Value StoreString(std::string_view text, EvalScratch& scratch) {
  char* out = scratch.AllocateString(text.size());
  if (!out && !text.empty()) return TooLarge();
  std::copy_n(text.data(), text.size(), out);
  return Value::String({out, text.size()});
}

bool TextOf(const Value& v, std::string* out) {
  switch (v.type()) {
    case ValueType::kString: out->assign(v.AsString()); return true;
    case ValueType::kBool: out->assign(v.AsBool() ? "true" : "false"); return true;
    case ValueType::kInt: *out = std::to_string(v.AsInt()); return true;
    case ValueType::kReal: *out = RealAsText(v.AsReal()); return true;
    default: return false;
  }
}

namespace {

bool IsMember(const Value& x, std::span<const Value> list) {
  for (const Value& e : list) {
    if (LooselyEqual(x, e)) return true;
  }
  return false;
}

Value MakeList(const Value* items, size_t n) {
  return Value::List(items, static_cast<uint32_t>(n));
}

// Writes a scalar's text form (no quotes for strings) into buf; returns its
// view. Strings return their own bytes.
std::string_view ScalarText(const Value& v, char* buf, size_t cap) {
  switch (v.type()) {
    case ValueType::kString: return v.AsString();
    case ValueType::kBool: return v.AsBool() ? "true" : "false";
    case ValueType::kInt: {
      auto [end, ec] = std::to_chars(buf, buf + cap, v.AsInt());
      return {buf, static_cast<size_t>(end - buf)};
    }
    case ValueType::kReal: {
      std::string s = RealAsText(v.AsReal());
      size_t n = std::min(s.size(), cap);
      std::copy_n(s.data(), n, buf);
      return {buf, n};
    }
    default: return {};
  }
}

Value Strcat(std::span<const Value> args, EvalScratch& scratch) {
  Value ex;
  if (Exceptional(args, &ex)) return ex;
  size_t total = 0;
  char buf[64];
  for (const Value& v : args) {
    if (v.IsList()) return Value::Error("strcat() cannot join a list");
    total += ScalarText(v, buf, sizeof buf).size();
  }
  char* out = scratch.AllocateString(total);
  if (!out) return TooLarge();
  size_t at = 0;
  for (const Value& v : args) {
    std::string_view t = ScalarText(v, buf, sizeof buf);
    std::copy_n(t.data(), t.size(), out + at);
    at += t.size();
  }
  return Value::String({out, total});
}

Value ChangeCase(const Value& v, bool upper, EvalScratch& scratch) {
  if (v.IsExceptional()) return v;
  std::string text;
  if (!v.IsString() && !TextOf(v, &text)) return Value::Error("toLower/toUpper of a list");
  std::string_view s = v.IsString() ? v.AsString() : std::string_view(text);
  char* out = scratch.AllocateString(s.size());
  if (!out) return TooLarge();
  for (size_t k = 0; k < s.size(); ++k) out[k] = upper ? UpperAscii(s[k]) : LowerAscii(s[k]);
  return Value::String({out, s.size()});
}

Value Substr(std::span<const Value> args) {
  Value ex;
  if (Exceptional(args, &ex)) return ex;
  if (!args[0].IsString()) return Value::Error("substr() needs a string");
  if (!args[1].IsInt() || (args.size() > 2 && !args[2].IsInt())) {
    return Value::Error("substr() offset and length must be integers");
  }
  std::string_view s = args[0].AsString();
  const int64_t len = static_cast<int64_t>(s.size());
  int64_t offset = args[1].AsInt();
  if (offset < 0) offset = std::max<int64_t>(0, len + std::max<int64_t>(offset, -len));
  offset = std::min(offset, len);
  int64_t end = len;
  if (args.size() > 2) {
    int64_t l = args[2].AsInt();
    if (l < 0) {
      end = l < -len ? 0 : len + l;
    } else {
      end = l > len - offset ? len : offset + l;
    }
  }
  if (end < offset) end = offset;
  return Value::String(s.substr(static_cast<size_t>(offset), static_cast<size_t>(end - offset)));
}

// The longest numeric prefix of `s`, as strtod/strtoll read it (leading
// spaces, a sign, decimal, hex, exponent, inf, nan). An integer when the
// prefix is one that fits.
bool ParseNumberPrefix(std::string_view s, Value* out) {
  std::string text(s);  // strtod needs a terminator
  const char* begin = text.c_str();
  char* real_end = nullptr;
  double d = std::strtod(begin, &real_end);
  if (real_end == begin) return false;
  char* int_end = nullptr;
  errno = 0;
  long long i = std::strtoll(begin, &int_end, 10);
  if (errno == 0 && int_end == real_end) {
    *out = Value::Int(i);
  } else {
    *out = Value::Real(d);
  }
  return true;
}

Value RealToInt(double d, const char* what) {
  if (!std::isfinite(d) || d >= kTwo63 || d < -kTwo63) return Value::Error(what);
  return Value::Int(static_cast<int64_t>(d));
}

}  // namespace

Value ToInt(const Value& v) {
  switch (v.type()) {
    case ValueType::kUndefined:
    case ValueType::kError:
    case ValueType::kInt: return v;
    case ValueType::kBool: return Value::Int(v.AsBool() ? 1 : 0);
    case ValueType::kReal:
      return RealToInt(std::trunc(v.AsReal()), "int() of a real out of the integer range");
    case ValueType::kString: {
      Value n;
      if (!ParseNumberPrefix(v.AsString(), &n)) return Value::Error("int() of a string that is not a number");
      return n.IsInt() ? n : RealToInt(std::trunc(n.AsReal()), "int() of a number out of the integer range");
    }
    case ValueType::kList: break;
  }
  return Value::Error("int() of a list");
}

Value ToReal(const Value& v) {
  switch (v.type()) {
    case ValueType::kUndefined:
    case ValueType::kError:
    case ValueType::kReal: return v;
    case ValueType::kBool: return Value::Real(v.AsBool() ? 1.0 : 0.0);
    case ValueType::kInt: return Value::Real(static_cast<double>(v.AsInt()));
    case ValueType::kString: {
      Value n;
      if (!ParseNumberPrefix(v.AsString(), &n))
        return Value::Error("real() of a string that is not a number");
      return Value::Real(n.AsNumber());
    }
    case ValueType::kList: break;
  }
  return Value::Error("real() of a list");
}

namespace {

Value ToStringValue(const Value& v, EvalScratch& scratch) {
  if (v.IsExceptional() || v.IsString()) return v;
  std::string text;
  if (v.IsList()) {
    text = v.ToString();
  } else {
    char buf[64];
    text = std::string(ScalarText(v, buf, sizeof buf));
  }
  return StoreString(text, scratch);
}

// floor/ceiling/round convert their argument as real() does ("3.9" is 3.9);
// round() takes halves to the even neighbour (2.5 -> 2), as ClassAds does.
Value Rounding(FuncId id, const Value& arg) {
  if (arg.IsExceptional() || arg.IsInt()) return arg;
  Value v = ToReal(arg);
  if (!v.IsReal()) return v.IsError() ? Value::Error("floor/ceiling/round need a number") : v;
  double d = v.AsReal();
  double r = id == FuncId::kFloor ? std::floor(d) : id == FuncId::kRound ? std::nearbyint(d) : std::ceil(d);
  return RealToInt(r, "rounded value out of the integer range");
}

Value Pow(const Value& base, const Value& exp) {
  if (base.IsError()) return base;
  if (exp.IsError()) return exp;
  if (base.IsUndefined() || exp.IsUndefined()) return Value::Undefined();
  if (!base.IsNumber() || !exp.IsNumber()) return Value::Error("pow() needs numbers");
  if (base.IsInt() && exp.IsInt() && exp.AsInt() >= 0) {
    int64_t result = 1, b = base.AsInt(), e = exp.AsInt();
    while (e > 0) {
      if (e & 1) {
        if (__builtin_mul_overflow(result, b, &result)) return Value::Error("integer overflow");
      }
      e >>= 1;
      if (e > 0 && __builtin_mul_overflow(b, b, &b)) return Value::Error("integer overflow");
    }
    return Value::Int(result);
  }
  return Value::Real(std::pow(base.AsNumber(), exp.AsNumber()));
}

// sum/min/max/avg over a list of numbers.
// As in ClassAds, UNDEFINED elements are skipped; sum and avg of nothing are
// 0, min and max of nothing UNDEFINED.
Value Aggregate(FuncId id, std::span<const Value> items) {
  size_t count = 0;
  const Value* first = nullptr;
  for (const Value& v : items) {
    if (v.IsError()) return v;
    if (v.IsUndefined()) continue;
    if (!v.IsNumber()) return Value::Error("sum/min/max/avg need a list of numbers");
    if (!first) first = &v;
    ++count;
  }
  if (count == 0) return id == FuncId::kSum || id == FuncId::kAvg ? Value::Int(0) : Value::Undefined();
  if (id == FuncId::kMin || id == FuncId::kMax) {
    Value best = *first;
    for (const Value& v : items) {
      if (v.IsUndefined()) continue;
      int c = CompareNumbers(v, best);
      if (c == 2) return Value::Real(NAN);
      if ((id == FuncId::kMin && c < 0) || (id == FuncId::kMax && c > 0)) best = v;
    }
    return best;
  }
  bool all_int = true;
  int64_t isum = 0;
  double rsum = 0;
  for (const Value& v : items) {
    if (v.IsUndefined()) continue;
    rsum += v.AsNumber();
    if (v.IsInt() && all_int) {
      if (__builtin_add_overflow(isum, v.AsInt(), &isum)) {
        if (id == FuncId::kSum) return Value::Error("integer overflow");
        all_int = false;
      }
    } else {
      all_int = false;
    }
  }
  if (id == FuncId::kAvg) return Value::Real(rsum / static_cast<double>(count));
  return all_int ? Value::Int(isum) : Value::Real(rsum);
}

Value Regexp(std::span<const Value> args, EvalScratch& scratch) {
  Value ex;
  if (Exceptional(args, &ex)) return ex;
  for (const Value& v : args) {
    if (!v.IsString()) return Value::Error("regexp() needs strings");
  }
  auto options = ParseRegexOptions(args.size() > 2 ? args[2].AsString() : std::string_view());
  if (!options.ok()) return Value::Error("unknown regexp option");
  const char* error = nullptr;
  const Regex* re = scratch.DynamicRegex(args[0].AsString(), *options, &error);
  if (!re) return Value::Error(error);
  return Value::Bool(re->Search(args[1].AsString()));
}

// strcmp/stricmp/versioncmp and the version tests: both sides as text (1 is
// "1"); UNDEFINED when either is UNDEFINED.
Value CompareAsText(FuncId id, std::span<const Value> args) {
  Value ex;
  if (Exceptional(args, &ex)) return ex;
  std::string text[3];
  for (size_t k = 0; k < args.size(); ++k) {
    if (!TextOf(args[k], &text[k])) return Value::Error("string comparison of a list");
  }
  auto cmp = [&](const std::string& a, const std::string& b) {
    int c = id == FuncId::kStricmp  ? CompareIgnoreCase(a, b)
            : id == FuncId::kStrcmp ? a.compare(b)
                                    : VersionCompare(a, b);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  };
  if (id == FuncId::kVersionInRange)
    return Value::Bool(cmp(text[1], text[0]) <= 0 && cmp(text[0], text[2]) <= 0);
  int c = cmp(text[0], text[1]);
  switch (id) {
    case FuncId::kVersionLE: return Value::Bool(c <= 0);
    case FuncId::kVersionLT: return Value::Bool(c < 0);
    case FuncId::kVersionGE: return Value::Bool(c >= 0);
    case FuncId::kVersionGT: return Value::Bool(c > 0);
    case FuncId::kVersionEQ: return Value::Bool(c == 0);
    default: return Value::Int(c);
  }
}

// anyCompare / allCompare: `op` applied to each element and the value.
Value ListCompare(bool all, std::span<const Value> args) {
  const Value& op_text = args[0];
  const Value& list = args[1];
  if (op_text.IsExceptional()) return op_text;
  if (list.IsExceptional()) return list;
  if (!op_text.IsString()) return Value::Error("anyCompare/allCompare need an operator string");
  if (!list.IsList()) return Value::Error("anyCompare/allCompare need a list");
  static constexpr std::pair<std::string_view, BinaryOp> kOps[] = {
      {"<", BinaryOp::kLt},   {"<=", BinaryOp::kLe},    {">", BinaryOp::kGt},  {">=", BinaryOp::kGe},
      {"==", BinaryOp::kEq},  {"!=", BinaryOp::kNe},    {"is", BinaryOp::kIs}, {"isnt", BinaryOp::kIsnt},
      {"=?=", BinaryOp::kIs}, {"=!=", BinaryOp::kIsnt},
  };
  const BinaryOp* op = nullptr;
  for (const auto& [text, o] : kOps) {
    if (EqualsIgnoreCase(op_text.AsString(), text)) op = &o;
  }
  if (!op) return Value::Error("anyCompare/allCompare: unknown operator (use < <= > >= == != is isnt)");
  for (const Value& e : list.AsList()) {
    Value r = ApplyBinary(*op, e, args[2]);
    if (r.IsError()) return r;
    if (r.IsUndefined()) {
      if (all) return Value::Bool(false);
      continue;
    }
    if (r.AsBool() != all) return Value::Bool(!all);
  }
  return Value::Bool(all);
}

// quantize(a, b): a rounded up to a multiple of b; with a list, the first
// element at least a (past the last: a multiple of the last).
Value Quantize(std::span<const Value> args) {
  Value ex;
  if (Exceptional(args, &ex)) return ex;
  const Value& a = args[0];
  Value x = ToReal(a);
  if (x.IsError()) return Value::Error("quantize() needs a number");
  Value step = args[1];
  if (step.IsList()) {
    auto items = step.AsList();
    if (items.empty()) return a;
    for (const Value& e : items) {
      Value r = ToReal(e);
      if (!r.IsReal()) return Value::Error("quantize() needs a list of numbers");
      if (r.AsReal() >= x.AsReal()) return e;
    }
    step = items.back();
  }
  if (step.IsInt()) {
    int64_t b = step.AsInt();
    if (b == 0 || b == -1) return a;  // every integer is a multiple of -1 (and INT64_MIN / -1 overflows)
    if (a.IsInt()) {
      int64_t q = a.AsInt() / b, r = a.AsInt() % b;
      if (r != 0 && ((r > 0) == (b > 0))) ++q;
      int64_t out;
      if (__builtin_mul_overflow(q, b, &out)) return Value::Error("integer overflow");
      return Value::Int(out);
    }
    return Value::Real(std::ceil(x.AsReal() / static_cast<double>(b)) * static_cast<double>(b));
  }
  Value b = ToReal(step);
  if (!b.IsReal()) return Value::Error("quantize() needs a number to round to");
  if (std::fabs(b.AsReal()) <= 1e-8) return a;
  return Value::Real(std::ceil(x.AsReal() / b.AsReal()) * b.AsReal());
}

Value Log(std::span<const Value> args) {
  Value ex;
  if (Exceptional(args, &ex)) return ex;
  Value x = ToReal(args[0]);
  if (x.IsError()) return Value::Error("log() needs a number");
  double r = std::log(x.AsReal());
  if (args.size() > 1) {
    Value base = ToReal(args[1]);
    if (base.IsError()) return Value::Error("log() needs a number as its base");
    r /= std::log(base.AsReal());
  }
  if (std::isinf(r) && r > 0) return Value::Error("log() is infinite");
  return Value::Real(r);
}

// bool(): numbers are true when not zero, "true"/"false" (any case) read as
// booleans, other strings UNDEFINED, lists ERROR.
Value ToBool(const Value& v) {
  switch (v.type()) {
    case ValueType::kUndefined:
    case ValueType::kError:
    case ValueType::kBool: return v;
    case ValueType::kInt: return Value::Bool(v.AsInt() != 0);
    case ValueType::kReal: return Value::Bool(v.AsReal() != 0.0);
    case ValueType::kString:
      if (EqualsIgnoreCase(v.AsString(), "true")) return Value::Bool(true);
      if (EqualsIgnoreCase(v.AsString(), "false")) return Value::Bool(false);
      return Value::Undefined();
    case ValueType::kList: break;
  }
  return Value::Error("bool() of a list");
}

// The two list arguments of the set functions, checked.
bool ListPair(std::span<const Value> args, Value* out) {
  if (Exceptional(args, out)) return false;
  if (!args[0].IsList() || !args[1].IsList()) {
    *out = Value::Error("set functions need two lists");
    return false;
  }
  return true;
}

Value SetOp(FuncId id, std::span<const Value> args, EvalScratch& scratch) {
  Value bad;
  if (!ListPair(args, &bad)) return bad;
  auto a = args[0].AsList();
  auto b = args[1].AsList();
  if (id == FuncId::kSubset) {
    for (const Value& x : a) {
      if (!IsMember(x, b)) return Value::Bool(false);
    }
    return Value::Bool(true);
  }
  Value* out = scratch.AllocateValues(a.size() + b.size());
  if (!out) return TooLarge();
  size_t n = 0;
  auto add_unique = [&](const Value& x) {
    if (!IsMember(x, {out, n})) out[n++] = x;
  };
  for (const Value& x : a) {
    bool in_b = IsMember(x, b);
    if ((id == FuncId::kIntersect && in_b) || (id == FuncId::kDifference && !in_b) || id == FuncId::kUnion) {
      add_unique(x);
    }
  }
  if (id == FuncId::kUnion) {
    for (const Value& x : b) add_unique(x);
  }
  return MakeList(out, n);
}

}  // namespace

bool IsFoldable(FuncId id, size_t arg_count) {
  switch (id) {
    case FuncId::kTime: return false;
    case FuncId::kAbsTime:
    case FuncId::kFormatTime: return arg_count > 0;
    default: return true;
  }
}

std::span<const FunctionInfo> AllFunctions() {
  return kFunctions;
}

const FunctionInfo& GetFunction(FuncId id) {
  return kFunctions[static_cast<size_t>(id)];
}

std::optional<FuncId> FindFunction(std::string_view name) {
  for (const FunctionInfo& f : kFunctions) {
    if (EqualsIgnoreCase(name, f.name)) return f.id;
  }
  return std::nullopt;
}

int CompareIgnoreCase(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t k = 0; k < n; ++k) {
    unsigned char x = static_cast<unsigned char>(LowerAscii(a[k]));
    unsigned char y = static_cast<unsigned char>(LowerAscii(b[k]));
    if (x != y) return x < y ? -1 : 1;
  }
  return (a.size() > b.size()) - (a.size() < b.size());
}

Value EqualValues(const Value& a, const Value& b) {
  if (a.IsError()) return a;
  if (b.IsError()) return b;
  if (a.IsUndefined() || b.IsUndefined()) return Value::Undefined();
  if (a.IsNumber() && b.IsNumber()) return Value::Bool(CompareNumbers(a, b) == 0);
  if (a.IsString() && b.IsString()) {
    std::string_view x = a.AsString(), y = b.AsString();
    return Value::Bool(x.size() == y.size() && CompareIgnoreCase(x, y) == 0);
  }
  if (a.IsBool() && b.IsBool()) return Value::Bool(a.AsBool() == b.AsBool());
  if (a.IsList() || b.IsList()) return Value::Error("== cannot compare lists (use =?= or subset)");
  return Value::Error("== between incompatible types");
}

bool LooselyEqual(const Value& a, const Value& b) {
  if (a.type() != b.type() && !(a.IsNumber() && b.IsNumber())) return false;
  return EqualValues(a, b).IsTrue();
}

int VersionCompare(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      size_t si = i, sj = j;
      while (si < a.size() && a[si] == '0') ++si;
      while (sj < b.size() && b[sj] == '0') ++sj;
      size_t ei = si, ej = sj;
      while (ei < a.size() && digit(a[ei])) ++ei;
      while (ej < b.size() && digit(b[ej])) ++ej;
      if (ei - si != ej - sj) return ei - si < ej - sj ? -1 : 1;
      int c = a.substr(si, ei - si).compare(b.substr(sj, ej - sj));
      if (c != 0) return c < 0 ? -1 : 1;
      i = ei;
      j = ej;
    } else {
      if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]) ? -1 : 1;
      ++i;
      ++j;
    }
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

Value CallFunction(FuncId id, std::span<const Value> args, EvalScratch& scratch) {
  switch (id) {
    case FuncId::kMember:
    case FuncId::kIdenticalMember: {
      const Value& list = args[1];
      if (list.IsExceptional()) return list;
      if (!list.IsList()) return Value::Error("member() needs a list as its second argument");
      const Value& x = args[0];
      if (id == FuncId::kIdenticalMember) {
        for (const Value& e : list.AsList()) {
          if (Identical(x, e)) return Value::Bool(true);
        }
        return Value::Bool(false);
      }
      if (x.IsExceptional()) return x;
      if (x.IsList()) return Value::Error("member() of a list (use subset)");
      return Value::Bool(IsMember(x, list.AsList()));
    }
    case FuncId::kStringListMember:
    case FuncId::kStringListIMember:
    case FuncId::kStringListsIntersect:
    case FuncId::kStringListSize:
    case FuncId::kStringListSum:
    case FuncId::kStringListAvg:
    case FuncId::kStringListMin:
    case FuncId::kStringListMax:
    case FuncId::kStringListSubsetMatch:
    case FuncId::kStringListISubsetMatch:
    case FuncId::kJoin:
    case FuncId::kSplit: return CallStringListFunction(id, args, scratch);
    case FuncId::kStringListRegexpMember:
    case FuncId::kRegexpMember:
    case FuncId::kRegexps:
    case FuncId::kReplace:
    case FuncId::kReplaceAll: return CallPatternFunction(id, args, scratch);
    case FuncId::kTime:
    case FuncId::kAbsTime:
    case FuncId::kRelTime:
    case FuncId::kFormatTime:
    case FuncId::kInterval:
    case FuncId::kSplitTime: return CallTimeFunction(id, args, scratch);
    case FuncId::kAnyCompare: return ListCompare(false, args);
    case FuncId::kAllCompare: return ListCompare(true, args);
    case FuncId::kQuantize: return Quantize(args);
    case FuncId::kLog: return Log(args);
    case FuncId::kBool: return ToBool(args[0]);
    case FuncId::kUnparse: {
      // The compiler passes the attribute's value (an ad holds values, so
      // that is its expression); a missing attribute unparses to "".
      const Value& v = args[0];
      return StoreString(v.IsUndefined() ? std::string() : v.ToString(), scratch);
    }
    case FuncId::kRegexp: return Regexp(args, scratch);
    case FuncId::kIfThenElse: {
      // Normally evaluated lazily by the evaluator; this strict form is for
      // constant folding.
      const Value& c = args[0];
      if (c.IsExceptional()) return c;
      if (!c.IsBool()) return Value::Error("ifThenElse() needs a boolean condition");
      return c.AsBool() ? args[1] : args[2];
    }
    case FuncId::kIsUndefined: return Value::Bool(args[0].IsUndefined());
    case FuncId::kIsError: return Value::Bool(args[0].IsError());
    case FuncId::kIsString: return Value::Bool(args[0].IsString());
    case FuncId::kIsInteger: return Value::Bool(args[0].IsInt());
    case FuncId::kIsReal: return Value::Bool(args[0].IsReal());
    case FuncId::kIsBoolean: return Value::Bool(args[0].IsBool());
    case FuncId::kIsList: return Value::Bool(args[0].IsList());
    case FuncId::kSize: {
      const Value& v = args[0];
      if (v.IsExceptional()) return v;
      if (v.IsString()) return Value::Int(static_cast<int64_t>(v.AsString().size()));
      if (v.IsList()) return Value::Int(static_cast<int64_t>(v.AsList().size()));
      return Value::Error("size() needs a string or a list");
    }
    case FuncId::kSum:
    case FuncId::kAvg:
    case FuncId::kMin:
    case FuncId::kMax: {
      if (args.size() > 1) return Aggregate(id, args);
      const Value& v = args[0];
      if (v.IsExceptional()) return v;
      if (v.IsList()) return Aggregate(id, v.AsList());
      if (v.IsNumber() && (id == FuncId::kMin || id == FuncId::kMax)) return v;
      return Value::Error("sum/min/max/avg need a list of numbers");
    }
    case FuncId::kStrcat: return Strcat(args, scratch);
    case FuncId::kSubstr: return Substr(args);
    case FuncId::kToLower: return ChangeCase(args[0], false, scratch);
    case FuncId::kToUpper: return ChangeCase(args[0], true, scratch);
    case FuncId::kInt: return ToInt(args[0]);
    case FuncId::kReal: return ToReal(args[0]);
    case FuncId::kString: return ToStringValue(args[0], scratch);
    case FuncId::kFloor:
    case FuncId::kCeil:
    case FuncId::kCeiling:
    case FuncId::kRound: return Rounding(id, args[0]);
    case FuncId::kAbs: {
      const Value& v = args[0];
      if (v.IsExceptional()) return v;
      if (v.IsInt()) {
        if (v.AsInt() == INT64_MIN) return Value::Error("integer overflow");
        return Value::Int(v.AsInt() < 0 ? -v.AsInt() : v.AsInt());
      }
      if (v.IsReal()) return Value::Real(std::fabs(v.AsReal()));
      return Value::Error("abs() needs a number");
    }
    case FuncId::kPow: return Pow(args[0], args[1]);
    case FuncId::kVersioncmp:
    case FuncId::kStrcmp:
    case FuncId::kStricmp:
    case FuncId::kVersionLE:
    case FuncId::kVersionLT:
    case FuncId::kVersionGE:
    case FuncId::kVersionGT:
    case FuncId::kVersionEQ:
    case FuncId::kVersionInRange: return CompareAsText(id, args);
    case FuncId::kIntersect:
    case FuncId::kUnion:
    case FuncId::kDifference:
    case FuncId::kSubset: return SetOp(id, args, scratch);
    case FuncId::kNumFunctions: break;
  }
  return Value::Error("unknown function");
}

}  // namespace skyrun::expr
