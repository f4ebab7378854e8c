// The functions over "string lists" ("a, b, c" held in one string), which
// HTCondor pools use for attributes such as HasFileTransferPluginMethods, and
// split() / join() between strings and lists. As in ClassAds: any of the
// delimiter characters separates items (default: comma and space), items are
// trimmed of white space and empty ones are skipped.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "expr/function_helpers.h"
#include "expr/ops.h"

namespace skyrun::expr {
namespace {

constexpr std::string_view kDefaultDelimiters = ", ";

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Calls fn(item) for each item of `list`; stops early when fn returns false.
template <typename Fn>
void ForEachItem(std::string_view list, std::string_view delims, Fn fn) {
  size_t at = 0;
  while (at <= list.size()) {
    size_t end = at;
    while (end < list.size() && delims.find(list[end]) == std::string_view::npos) ++end;
    std::string_view word = list.substr(at, end - at);
    while (!word.empty() && IsSpace(word.front())) word.remove_prefix(1);
    while (!word.empty() && IsSpace(word.back())) word.remove_suffix(1);
    if (!word.empty() && !fn(word)) return;
    at = end + 1;
  }
}

std::vector<std::string_view> Items(std::string_view list, std::string_view delims) {
  std::vector<std::string_view> out;
  ForEachItem(list, delims, [&](std::string_view w) {
    out.push_back(w);
    return true;
  });
  return out;
}

bool Same(std::string_view a, std::string_view b, bool ignore_case) {
  return ignore_case ? (a.size() == b.size() && CompareIgnoreCase(a, b) == 0) : a == b;
}

// Checks that every argument is a string; sets *out (ERROR/UNDEFINED/type
// error) and returns false otherwise.
bool AllStrings(std::span<const Value> args, const char* fn, Value* out) {
  if (Exceptional(args, out)) return false;
  for (const Value& v : args) {
    if (!v.IsString()) {
      *out = Value::Error(fn);
      return false;
    }
  }
  return true;
}

Value Member(std::span<const Value> args, bool ignore_case) {
  Value bad;
  if (!AllStrings(args, "stringListMember() needs strings", &bad)) return bad;
  std::string_view delims = args.size() > 2 ? args[2].AsString() : kDefaultDelimiters;
  bool found = false;
  ForEachItem(args[1].AsString(), delims, [&](std::string_view w) {
    found = Same(w, args[0].AsString(), ignore_case);
    return !found;
  });
  return Value::Bool(found);
}

// stringListsIntersect: any item in both. stringList[I]SubsetMatch: every
// item of the first in the second.
Value TwoLists(FuncId id, std::span<const Value> args) {
  Value bad;
  if (!AllStrings(args, "string list functions need strings", &bad)) return bad;
  std::string_view delims = args.size() > 2 ? args[2].AsString() : kDefaultDelimiters;
  const bool ignore_case = id == FuncId::kStringListISubsetMatch;
  std::vector<std::string_view> second = Items(args[1].AsString(), delims);
  auto in_second = [&](std::string_view w) {
    return std::any_of(second.begin(), second.end(),
                       [&](std::string_view x) { return Same(w, x, ignore_case); });
  };
  if (id == FuncId::kStringListsIntersect) {
    bool any = false;
    ForEachItem(args[0].AsString(), delims, [&](std::string_view w) {
      any = in_second(w);
      return !any;
    });
    return Value::Bool(any);
  }
  bool all = true;
  ForEachItem(args[0].AsString(), delims, [&](std::string_view w) {
    all = in_second(w);
    return all;
  });
  return Value::Bool(all);
}

// stringListSize/Sum/Avg/Min/Max. Items must be numbers for all but Size.
Value Summarize(FuncId id, std::span<const Value> args) {
  Value bad;
  if (!AllStrings(args, "string list functions need strings", &bad)) return bad;
  std::string_view delims = args.size() > 1 ? args[1].AsString() : kDefaultDelimiters;
  std::vector<std::string_view> items = Items(args[0].AsString(), delims);
  if (id == FuncId::kStringListSize) return Value::Int(static_cast<int64_t>(items.size()));
  std::vector<Value> numbers;
  numbers.reserve(items.size());
  for (std::string_view w : items) {
    Value n = ToReal(Value::String(w));
    if (n.IsError()) return Value::Error("stringListSum/Avg/Min/Max: an item is not a number");
    // Keep integers integral so that stringListSum("1,2") is 3, not 3.0.
    Value i = ToInt(Value::String(w));
    numbers.push_back(
        i.IsInt() && static_cast<double>(i.AsInt()) == n.AsReal() && w.find_first_of(".eE") == w.npos ? i
                                                                                                      : n);
  }
  FuncId list_fn = id == FuncId::kStringListSum   ? FuncId::kSum
                   : id == FuncId::kStringListAvg ? FuncId::kAvg
                   : id == FuncId::kStringListMin ? FuncId::kMin
                                                  : FuncId::kMax;
  if (numbers.empty()) {
    return list_fn == FuncId::kSum   ? Value::Int(0)
           : list_fn == FuncId::kAvg ? Value::Real(0)
                                     : Value::Undefined();
  }
  EvalScratch unused;  // sum/min/max/avg of numbers allocate nothing
  Value list = Value::List(numbers.data(), static_cast<uint32_t>(numbers.size()));
  return CallFunction(list_fn, {&list, 1}, unused);
}

// split(s [, delimiters]): the items as a list of strings (default: white
// space and commas).
Value Split(std::span<const Value> args, EvalScratch& scratch) {
  Value bad;
  if (!AllStrings(args, "split() needs strings", &bad)) return bad;
  std::string_view delims = args.size() > 1 ? args[1].AsString() : std::string_view(", \t\n\r");
  std::vector<std::string_view> items = Items(args[0].AsString(), delims);
  Value* out = scratch.AllocateValues(items.size());
  if (!out && !items.empty()) return TooLarge();
  for (size_t k = 0; k < items.size(); ++k) out[k] = Value::String(items[k]);  // views into the argument
  return Value::List(out, static_cast<uint32_t>(items.size()));
}

// join(sep, a, b, ...), join(sep, list), join(list): the text of each value,
// separated. UNDEFINED if any value is, ERROR for a nested list.
Value Join(std::span<const Value> args, EvalScratch& scratch) {
  Value sep = Value::String("");
  std::span<const Value> parts;
  const Value& last = args.back();
  if (args.size() <= 2 && last.IsList()) {
    if (args.size() == 2) sep = args[0];
    parts = last.AsList();
  } else {
    sep = args[0];
    parts = args.subspan(1);
  }
  std::string sep_text;
  if (sep.IsExceptional()) return sep;
  if (!TextOf(sep, &sep_text)) return Value::Error("join() separator must be a string");
  std::string out, text;
  bool undefined = false;
  for (size_t k = 0; k < parts.size(); ++k) {
    const Value& v = parts[k];
    if (v.IsError()) return v;
    if (v.IsUndefined()) {
      undefined = true;
      continue;
    }
    if (!TextOf(v, &text)) return Value::Error("join() cannot join a nested list");
    if (k) out += sep_text;
    out += text;
  }
  if (undefined) return Value::Undefined();
  return StoreString(out, scratch);
}

}  // namespace

Value CallStringListFunction(FuncId id, std::span<const Value> args, EvalScratch& scratch) {
  switch (id) {
    case FuncId::kStringListMember: return Member(args, false);
    case FuncId::kStringListIMember: return Member(args, true);
    case FuncId::kStringListsIntersect:
    case FuncId::kStringListSubsetMatch:
    case FuncId::kStringListISubsetMatch: return TwoLists(id, args);
    case FuncId::kStringListSize:
    case FuncId::kStringListSum:
    case FuncId::kStringListAvg:
    case FuncId::kStringListMin:
    case FuncId::kStringListMax: return Summarize(id, args);
    case FuncId::kSplit: return Split(args, scratch);
    case FuncId::kJoin: return Join(args, scratch);
    default: break;
  }
  return Value::Error("not a string list function");
}

}  // namespace skyrun::expr
