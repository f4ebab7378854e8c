// Helpers shared by the files that implement the built-in functions
// (functions.cc, string_list_functions.cc, time_functions.cc): how arguments
// are converted, as ClassAds converts them, and where results are stored.
// Internal to src/expr. Thread-safety: pure functions over the caller's scratch.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "expr/functions.h"
#include "expr/scratch.h"
#include "expr/value.h"

namespace skyrun::expr {

// ERROR if any argument is ERROR, else UNDEFINED if any is UNDEFINED; true
// when *out was set.
bool Exceptional(std::span<const Value> args, Value* out);

inline Value TooLarge() {
  return Value::Error("value too large");
}

// A copy of `text` in the scratch arena as a string Value.
Value StoreString(std::string_view text, EvalScratch& scratch);

// The text of a scalar as string() gives it: strings as they are, booleans
// "true"/"false", integers in decimal, reals as RealAsText(). False for
// lists, UNDEFINED and ERROR.
bool TextOf(const Value& v, std::string* out);

// HTCondor's conversions: a number from a string reads its longest numeric
// prefix ("7abc" is 7, "0x10" is 16, "INF" is infinity); booleans are 0/1.
// UNDEFINED and ERROR pass through; a list or text with no number is ERROR.
Value ToInt(const Value& v);
Value ToReal(const Value& v);

// The string-list functions (stringListSize, stringListsIntersect, ...),
// split() and join(); string_list_functions.cc.
Value CallStringListFunction(FuncId id, std::span<const Value> args, EvalScratch& scratch);
// regexpMember, regexps, replace, replaceAll, stringListRegexpMember.
Value CallPatternFunction(FuncId id, std::span<const Value> args, EvalScratch& scratch);
// time, absTime, relTime, formatTime, interval, splitTime; time_functions.cc.
Value CallTimeFunction(FuncId id, std::span<const Value> args, EvalScratch& scratch);

}  // namespace skyrun::expr
