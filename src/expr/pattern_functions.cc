// The regular-expression functions beyond regexp(): regexpMember,
// stringListRegexpMember, and the substitutions regexps / replace /
// replaceAll, whose rewrite names groups as \0 .. \9 (as in ClassAds).
// Patterns go through the scratch's one-pattern cache, so a constant pattern
// is compiled once per scratch, not once per ad.
#include <string>

#include "expr/function_helpers.h"
#include "expr/regex.h"

namespace skyrun::expr {
namespace {

// The compiled pattern of args[0] with the option letters in `options`
// (may be null), or nullptr with *out set to the ERROR.
const Regex* Pattern(const Value& pattern, const Value* options, bool capture, EvalScratch& scratch,
                     Value* out) {
  if (!pattern.IsString() || (options && !options->IsString())) {
    *out = Value::Error("regular expression functions need string patterns and options");
    return nullptr;
  }
  auto parsed = ParseRegexOptions(options ? options->AsString() : std::string_view());
  if (!parsed.ok()) {
    *out = Value::Error("unknown regexp option");
    return nullptr;
  }
  parsed->capture = capture;
  const char* error = nullptr;
  const Regex* re = scratch.DynamicRegex(pattern.AsString(), *parsed, &error);
  if (!re) *out = Value::Error(error);
  return re;
}

// regexpMember(pattern, list [, options]): true if an element matches; ERROR
// for an element that is not a string; UNDEFINED elements make a "no" UNDEFINED.
Value RegexpMember(std::span<const Value> args, EvalScratch& scratch) {
  Value ex;
  if (Exceptional(args, &ex)) return ex;
  if (!args[1].IsList()) return Value::Error("regexpMember() needs a list");
  Value bad;
  const Regex* re = Pattern(args[0], args.size() > 2 ? &args[2] : nullptr, false, scratch, &bad);
  if (!re) return bad;
  bool undefined = false;
  for (const Value& e : args[1].AsList()) {
    if (e.IsUndefined()) {
      undefined = true;
      continue;
    }
    if (!e.IsString()) return Value::Error("regexpMember() needs a list of strings");
    if (re->Search(e.AsString())) return Value::Bool(true);
  }
  return undefined ? Value::Undefined() : Value::Bool(false);
}

// stringListRegexpMember(pattern, "a,b" [, delimiters [, options]]).
Value StringListRegexpMember(std::span<const Value> args, EvalScratch& scratch) {
  Value ex;
  if (Exceptional(args, &ex)) return ex;
  for (const Value& v : args) {
    if (!v.IsString()) return Value::Error("stringListRegexpMember() needs strings");
  }
  Value bad;
  const Regex* re = Pattern(args[0], args.size() > 3 ? &args[3] : nullptr, false, scratch, &bad);
  if (!re) return bad;
  std::string_view list = args[1].AsString();
  std::string_view delims = args.size() > 2 ? args[2].AsString() : std::string_view(", ");
  size_t at = 0;
  while (at <= list.size()) {
    size_t end = at;
    while (end < list.size() && delims.find(list[end]) == std::string_view::npos) ++end;
    std::string_view word = list.substr(at, end - at);
    while (!word.empty() && (word.front() == ' ' || word.front() == '\t')) word.remove_prefix(1);
    while (!word.empty() && (word.back() == ' ' || word.back() == '\t')) word.remove_suffix(1);
    if (!word.empty() && re->Search(word)) return Value::Bool(true);
    at = end + 1;
  }
  return Value::Bool(false);
}

Value Substitute(FuncId id, std::span<const Value> args, EvalScratch& scratch) {
  Value ex;
  if (Exceptional(args, &ex)) return ex;
  if (!args[1].IsString() || !args[2].IsString()) return Value::Error("regexps/replace need strings");
  Value bad;
  const Regex* re = Pattern(args[0], args.size() > 3 ? &args[3] : nullptr, true, scratch, &bad);
  if (!re) return bad;
  auto mode = id == FuncId::kRegexps   ? Regex::SubstMode::kExtract
              : id == FuncId::kReplace ? Regex::SubstMode::kReplaceFirst
                                       : Regex::SubstMode::kReplaceAll;
  std::string out, error;
  if (!re->Substitute(args[1].AsString(), args[2].AsString(), mode, &out, &error)) {
    return Value::Error("the rewrite names a group the pattern does not have");
  }
  return StoreString(out, scratch);
}

}  // namespace

Value CallPatternFunction(FuncId id, std::span<const Value> args, EvalScratch& scratch) {
  switch (id) {
    case FuncId::kRegexpMember: return RegexpMember(args, scratch);
    case FuncId::kStringListRegexpMember: return StringListRegexpMember(args, scratch);
    case FuncId::kRegexps:
    case FuncId::kReplace:
    case FuncId::kReplaceAll: return Substitute(id, args, scratch);
    default: break;
  }
  return Value::Error("not a pattern function");
}

}  // namespace skyrun::expr
