// Value: the result of evaluating an expression, and what an ad holds in each
// slot. A tagged 16-byte trivially copyable struct: numbers and booleans are
// stored inline; strings and lists point into storage owned by someone else
// (the ad, the compiled expression's constants, or the EvalScratch of the
// evaluation that produced them), so copying a Value never allocates.
//
// UNDEFINED is "no such attribute / not known"; ERROR is "this cannot be
// computed" and carries a static reason ("division by zero") for messages.
// Thread-safety: plain values; the storage they point to must outlive them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace skyrun::expr {

class Arena;

enum class ValueType : uint8_t { kUndefined, kError, kBool, kInt, kReal, kString, kList };

// "UNDEFINED", "ERROR", "boolean", "integer", "real", "string", "list".
const char* ValueTypeName(ValueType type);

class Value {
 public:
  constexpr Value() : i_(0) {}  // UNDEFINED

  static constexpr Value Undefined() { return Value(); }
  // `reason` must be a string literal (or otherwise outlive every copy).
  static constexpr Value Error(const char* reason = nullptr) {
    Value v;
    v.type_ = ValueType::kError;
    v.s_ = reason;
    return v;
  }
  static constexpr Value Bool(bool b) {
    Value v;
    v.type_ = ValueType::kBool;
    v.i_ = b ? 1 : 0;
    return v;
  }
  static constexpr Value Int(int64_t i) {
    Value v;
    v.type_ = ValueType::kInt;
    v.i_ = i;
    return v;
  }
  static constexpr Value Real(double r) {
    Value v;
    v.type_ = ValueType::kReal;
    v.r_ = r;
    return v;
  }
  // Refers to `s`'s bytes; does not copy. Strings longer than 4 GiB are cut.
  static constexpr Value String(std::string_view s) {
    Value v;
    v.type_ = ValueType::kString;
    v.size_ = static_cast<uint32_t>(s.size());
    v.s_ = s.data();
    return v;
  }
  // Refers to the array; does not copy.
  static constexpr Value List(const Value* items, uint32_t count) {
    Value v;
    v.type_ = ValueType::kList;
    v.size_ = count;
    v.list_ = items;
    return v;
  }

  constexpr ValueType type() const { return type_; }
  constexpr bool IsUndefined() const { return type_ == ValueType::kUndefined; }
  constexpr bool IsError() const { return type_ == ValueType::kError; }
  constexpr bool IsBool() const { return type_ == ValueType::kBool; }
  constexpr bool IsInt() const { return type_ == ValueType::kInt; }
  constexpr bool IsReal() const { return type_ == ValueType::kReal; }
  constexpr bool IsNumber() const { return type_ == ValueType::kInt || type_ == ValueType::kReal; }
  constexpr bool IsString() const { return type_ == ValueType::kString; }
  constexpr bool IsList() const { return type_ == ValueType::kList; }
  // UNDEFINED or ERROR: the two values every operator has to pass through.
  constexpr bool IsExceptional() const { return type_ <= ValueType::kError; }
  constexpr bool IsTrue() const { return type_ == ValueType::kBool && i_ != 0; }
  constexpr bool IsFalse() const { return type_ == ValueType::kBool && i_ == 0; }

  // Accessors; each requires the matching type.
  constexpr bool AsBool() const { return i_ != 0; }
  constexpr int64_t AsInt() const { return i_; }
  constexpr double AsReal() const { return r_; }
  // An int or a real as a double.
  constexpr double AsNumber() const { return type_ == ValueType::kInt ? static_cast<double>(i_) : r_; }
  constexpr std::string_view AsString() const { return {s_, size_}; }
  constexpr std::span<const Value> AsList() const { return {list_, size_}; }
  // The reason given to Error(), or "" when none.
  const char* error_reason() const { return (type_ == ValueType::kError && s_) ? s_ : ""; }

  // The value as the expression language would write it: 42, 2.5, "GPU",
  // true, {1, "a"}, UNDEFINED, ERROR. Strings are quoted and escaped.
  std::string ToString() const;

 private:
  ValueType type_ = ValueType::kUndefined;
  uint32_t size_ = 0;
  union {
    int64_t i_;
    double r_;
    const char* s_;
    const Value* list_;
  };
};

static_assert(sizeof(Value) == 16, "Value must stay small");

// =?= : same type and same value; strings compare case-sensitively, 1 =?= 1.0
// is false, UNDEFINED =?= UNDEFINED and ERROR =?= ERROR are true.
bool Identical(const Value& a, const Value& b);

// A copy of `v` whose strings and lists live in `arena`.
Value CopyValue(const Value& v, Arena& arena);

// The expression-language spelling of a string literal, with quotes.
std::string QuoteString(std::string_view s);
// Shortest text that reads back as the same double, always with a '.' or an
// exponent so it stays a real ("2.0", "1e+300").
std::string FormatReal(double r);
// A real as string() and strcat() write it, in HTCondor's format so that text
// built from reals compares equal across the two systems: "%.15E"
// ("2.500000000000000E+00"), zeros as "0.0" / "-0.0", and the infinities and
// NaN as the expressions that make them ("real(\"INF\")").
std::string RealAsText(double r);

}  // namespace skyrun::expr
