#include "expr/ops.h"

#include <cmath>
#include <cstdint>

#include "expr/functions.h"

namespace skyrun::expr {
namespace {

constexpr double kTwo63 = 9223372036854775808.0;

Value Propagate(const Value& a, const Value& b) {
  if (a.IsError()) return a;
  if (b.IsError()) return b;
  return Value::Undefined();
}

Value FromOrder(BinaryOp op, int c) {
  if (c == 2) return Value::Bool(op == BinaryOp::kNe);  // NaN: only != holds
  switch (op) {
    case BinaryOp::kLt: return Value::Bool(c < 0);
    case BinaryOp::kLe: return Value::Bool(c <= 0);
    case BinaryOp::kGt: return Value::Bool(c > 0);
    case BinaryOp::kGe: return Value::Bool(c >= 0);
    default: return Value::Error("bad comparison");
  }
}

Value IntArithmetic(BinaryOp op, int64_t x, int64_t y) {
  int64_t r = 0;
  switch (op) {
    case BinaryOp::kAdd:
      if (__builtin_add_overflow(x, y, &r)) return Value::Error("integer overflow");
      return Value::Int(r);
    case BinaryOp::kSub:
      if (__builtin_sub_overflow(x, y, &r)) return Value::Error("integer overflow");
      return Value::Int(r);
    case BinaryOp::kMul:
      if (__builtin_mul_overflow(x, y, &r)) return Value::Error("integer overflow");
      return Value::Int(r);
    case BinaryOp::kDiv:
      if (y == 0) return Value::Error("division by zero");
      if (x == INT64_MIN && y == -1) return Value::Error("integer overflow");
      return Value::Int(x / y);
    case BinaryOp::kMod:
      if (y == 0) return Value::Error("modulo by zero");
      if (y == -1) return Value::Int(0);
      return Value::Int(x % y);
    case BinaryOp::kBitAnd: return Value::Int(x & y);
    case BinaryOp::kBitOr: return Value::Int(x | y);
    case BinaryOp::kBitXor: return Value::Int(x ^ y);
    case BinaryOp::kShl:
      if (y < 0 || y > 63) return Value::Error("shift count out of range 0..63");
      return Value::Int(static_cast<int64_t>(static_cast<uint64_t>(x) << y));
    case BinaryOp::kShr:
      if (y < 0 || y > 63) return Value::Error("shift count out of range 0..63");
      return Value::Int(x >> y);
    case BinaryOp::kUshr:
      if (y < 0 || y > 63) return Value::Error("shift count out of range 0..63");
      return Value::Int(static_cast<int64_t>(static_cast<uint64_t>(x) >> y));
    default: return Value::Error("bad operator");
  }
}

}  // namespace

int CompareNumbers(const Value& a, const Value& b) {
  if (a.IsInt() && b.IsInt()) return (a.AsInt() > b.AsInt()) - (a.AsInt() < b.AsInt());
  if (a.IsReal() && b.IsReal()) {
    double x = a.AsReal(), y = b.AsReal();
    if (std::isnan(x) || std::isnan(y)) return 2;
    return (x > y) - (x < y);
  }
  // One int, one real: compare exactly, not through a lossy conversion.
  bool int_first = a.IsInt();
  int64_t i = int_first ? a.AsInt() : b.AsInt();
  double d = int_first ? b.AsReal() : a.AsReal();
  int c;  // sign of (i - d)
  if (std::isnan(d)) return 2;
  if (d >= kTwo63) {
    c = -1;
  } else if (d < -kTwo63) {
    c = 1;
  } else {
    double di = static_cast<double>(i);
    if (di < d) {
      c = -1;
    } else if (di > d) {
      c = 1;
    } else {
      int64_t t = static_cast<int64_t>(d);
      c = (i > t) - (i < t);
    }
  }
  return int_first ? c : -c;
}

Value ApplyUnary(UnaryOp op, const Value& v) {
  if (v.IsExceptional()) return v;
  switch (op) {
    case UnaryOp::kNeg:
      if (v.IsInt()) {
        if (v.AsInt() == INT64_MIN) return Value::Error("integer overflow");
        return Value::Int(-v.AsInt());
      }
      if (v.IsReal()) return Value::Real(-v.AsReal());
      return Value::Error("'-' needs a number");
    case UnaryOp::kPlus:
      if (v.IsNumber()) return v;
      return Value::Error("'+' needs a number");
    case UnaryOp::kNot:
      if (v.IsBool()) return Value::Bool(!v.AsBool());
      return Value::Error("'!' needs a boolean");
    case UnaryOp::kBitNot:
      if (v.IsInt()) return Value::Int(~v.AsInt());
      return Value::Error("'~' needs an integer");
  }
  return Value::Error("bad operator");
}

Value ApplyBinary(BinaryOp op, const Value& a, const Value& b) {
  switch (op) {
    case BinaryOp::kIs: return Value::Bool(Identical(a, b));
    case BinaryOp::kIsnt: return Value::Bool(!Identical(a, b));
    case BinaryOp::kEq: return EqualValues(a, b);
    case BinaryOp::kNe: {
      Value e = EqualValues(a, b);
      return e.IsBool() ? Value::Bool(!e.AsBool()) : e;
    }
    default: break;
  }
  if (a.IsExceptional() || b.IsExceptional()) return Propagate(a, b);
  switch (op) {
    case BinaryOp::kLt:
    case BinaryOp::kLe:
    case BinaryOp::kGt:
    case BinaryOp::kGe:
      if (a.IsNumber() && b.IsNumber()) return FromOrder(op, CompareNumbers(a, b));
      if (a.IsString() && b.IsString()) return FromOrder(op, CompareIgnoreCase(a.AsString(), b.AsString()));
      return Value::Error("ordering needs two numbers or two strings");
    case BinaryOp::kBitAnd:
    case BinaryOp::kBitOr:
    case BinaryOp::kBitXor:
    case BinaryOp::kShl:
    case BinaryOp::kShr:
    case BinaryOp::kUshr:
      if (a.IsInt() && b.IsInt()) return IntArithmetic(op, a.AsInt(), b.AsInt());
      return Value::Error("bitwise operators need integers");
    case BinaryOp::kAdd:
    case BinaryOp::kSub:
    case BinaryOp::kMul:
    case BinaryOp::kDiv:
    case BinaryOp::kMod: {
      if (a.IsInt() && b.IsInt()) return IntArithmetic(op, a.AsInt(), b.AsInt());
      if (!a.IsNumber() || !b.IsNumber()) {
        if (a.IsString() || b.IsString())
          return Value::Error("arithmetic on a string (use strcat to join strings)");
        return Value::Error("arithmetic needs numbers");
      }
      // As in ClassAds: % needs integers; a real result of +infinity (an
      // overflow, or a positive number divided by zero) is ERROR, while NaN
      // (0.0/0) and -infinity are values.
      if (op == BinaryOp::kMod) return Value::Error("'%' needs integers");
      double x = a.AsNumber(), y = b.AsNumber();
      double r = op == BinaryOp::kAdd   ? x + y
                 : op == BinaryOp::kSub ? x - y
                 : op == BinaryOp::kMul ? x * y
                                        : x / y;
      if (r == HUGE_VAL) return Value::Error(y == 0 ? "division by zero" : "real overflow");
      return Value::Real(r);
    }
    default: return Value::Error("bad operator");
  }
}

Value ApplyIndex(const Value& list, const Value& index) {
  if (list.IsExceptional() || index.IsExceptional()) return Propagate(list, index);
  if (!list.IsList()) return Value::Error("[] needs a list");
  if (!index.IsInt()) return Value::Error("a list index must be an integer");
  int64_t i = index.AsInt();
  if (i < 0 || i >= static_cast<int64_t>(list.AsList().size()))
    return Value::Error("list index out of range");
  return list.AsList()[static_cast<size_t>(i)];
}

}  // namespace skyrun::expr
