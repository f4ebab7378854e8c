// The built-in functions of the expression language: their names, how many
// arguments each takes, and their implementations over Values. The parser
// resolves a call to a FuncId once; the evaluator dispatches on it.
//
// Every function is total: bad arguments give ERROR (with a reason), missing
// ones UNDEFINED, never an exception or a crash. Functions that build a new
// string or list put it in the EvalScratch's arena, so a warmed-up scratch
// does not allocate. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "expr/value.h"

namespace skyrun::expr {

class EvalScratch;

enum class FuncId : uint8_t {
  kMember,
  kIdenticalMember,
  kStringListMember,
  kStringListIMember,
  kRegexp,
  kIfThenElse,
  kIsUndefined,
  kIsError,
  kIsString,
  kIsInteger,
  kIsReal,
  kIsBoolean,
  kIsList,
  kSize,
  kSum,
  kMin,
  kMax,
  kAvg,
  kStrcat,
  kSubstr,
  kToLower,
  kToUpper,
  kInt,
  kReal,
  kString,
  kFloor,
  kCeiling,
  kRound,
  kAbs,
  kPow,
  kVersioncmp,
  kStrcmp,
  kStricmp,
  kIntersect,
  kUnion,
  kDifference,
  kSubset,
  // From ClassAds (docs/expressions.md "Compared with ClassAds").
  kStringListsIntersect,
  kStringListSize,
  kStringListSum,
  kStringListAvg,
  kStringListMin,
  kStringListMax,
  kStringListSubsetMatch,
  kStringListISubsetMatch,
  kStringListRegexpMember,
  kRegexpMember,
  kRegexps,
  kReplace,
  kReplaceAll,
  kAnyCompare,
  kAllCompare,
  kJoin,
  kSplit,
  kQuantize,
  kCeil,
  kLog,
  kBool,
  kUnparse,
  kVersionLE,
  kVersionLT,
  kVersionGE,
  kVersionGT,
  kVersionEQ,
  kVersionInRange,
  kTime,
  kAbsTime,
  kRelTime,
  kFormatTime,
  kInterval,
  kSplitTime,
  kNumFunctions,  // not a function: how many there are
};

struct FunctionInfo {
  FuncId id;
  const char* name;  // canonical spelling, as printed
  int min_args;
  int max_args;           // -1: any number
  const char* signature;  // for docs and messages: "member(value, list)"
};

// The table, in FuncId order.
std::span<const FunctionInfo> AllFunctions();
const FunctionInfo& GetFunction(FuncId id);
// Case-insensitive lookup by name.
std::optional<FuncId> FindFunction(std::string_view name);

// False for calls whose value depends on the clock (time(), absTime() and
// formatTime() without a time): the compiler must not fold them.
bool IsFoldable(FuncId id, size_t arg_count);

// Calls a strict function (every one except ifThenElse, whose arguments the
// evaluator evaluates lazily, and regexp with a precompiled pattern, which the
// evaluator handles itself). `args` are already evaluated.
Value CallFunction(FuncId id, std::span<const Value> args, EvalScratch& scratch);

// Helpers shared with the operators.
// == between two values: TRUE/FALSE, UNDEFINED if either is UNDEFINED, ERROR
// for incomparable types. Strings compare without regard to case.
Value EqualValues(const Value& a, const Value& b);
// True when a == b is TRUE (used by member() and the set functions).
bool LooselyEqual(const Value& a, const Value& b);
// Natural version order: "1.10" > "1.9"; returns -1, 0 or 1.
int VersionCompare(std::string_view a, std::string_view b);
// Case-insensitive three-way comparison of strings (ASCII).
int CompareIgnoreCase(std::string_view a, std::string_view b);

}  // namespace skyrun::expr
