// Regex: the engine behind regexp(), a thin wrapper over RE2. RE2 compiles a
// pattern to an automaton and searches with a lazily built DFA (falling back
// to an NFA simulation when its memory budget is spent), so a search takes
// time linear in the text whatever the pattern: no backtracking, so a hostile
// Requirements clause cannot hang or crash the scheduler. That is also why
// back-references and look-around are refused: no linear-time engine can
// offer them.
//
// Syntax: RE2's (a PCRE subset): literals; . ; [...] and [^...] with ranges,
// escapes and [:alpha:]-style classes; \d \w \s \b and their negations; \n
// \t \r \f \v \xHH and escaped punctuation; ( ) and (?: ); | ; * + ? {n}
// {n,} {n,m} (counts up to 1000) and their lazy forms (laziness changes
// nothing here, since only "does it match" is asked); ^ and $. Bytes are
// matched as bytes (RE2's Latin-1 mode), so any text is searchable.
// Options: i (ignore case), m (^ and $ also match at line breaks), s (. also
// matches a newline), x (extended: whitespace and #-comments outside a class
// are ignored; RE2 lacks the mode, so the pattern is rewritten). Inline flags
// (?i) (?m) (?s) and (?U) work as in RE2.
//
// Search semantics, as in ClassAds: true when the pattern matches anywhere in
// the text; anchor with ^...$ for a whole-string match.
//
// Literal patterns skip RE2 in Search(): a pattern that is only printable
// ASCII text, escaped metacharacters, '|' and groups of such alternatives,
// with ^ / $ at the ends of top-level alternatives ("A100|H100",
// "^(a100|h100)-"), and no m or x option, expands to at most
// kMaxLiteralAlternatives plain strings that are searched for directly (ASCII
// case folding under i, which is exact because the strings are ASCII). A call
// to RE2 costs 60-70 ns on a short text; a literal search a few ns. RE2 still
// compiles every pattern (errors, Substitute()).
// Callers: the compiler (constant patterns), EvalScratch (patterns read from
// an ad), the type checker (Validate). Thread-safety: a compiled Regex is
// immutable and Search() may run concurrently (RE2 guards its DFA cache).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace re2 {
class RE2;
}

namespace skyrun::expr {

struct RegexOptions {
  bool ignore_case = false;
  bool multiline = false;
  bool dot_all = false;
  bool extended = false;
  // Not an option letter: keep capture groups, for regexps() / replace().
  bool capture = false;

  bool operator==(const RegexOptions&) const = default;
};

// Reads option letters ("i", "im", ...). An unknown letter is an error.
Result<RegexOptions> ParseRegexOptions(std::string_view letters);

class Regex {
 public:
  // Literal patterns with more alternatives than this (after expanding
  // groups) go to RE2.
  static constexpr size_t kMaxLiteralAlternatives = 32;

  // RE2's memory budget for one pattern: its compiled program and its DFA
  // cache. A pattern whose program alone does not fit is refused; a DFA that
  // outgrows the rest is rebuilt or replaced by NFA simulation (still linear).
  static constexpr int64_t kMaxMemoryBytes = int64_t{2} << 20;

  // Errors say what is wrong and where: "missing ')' for the group '(ab' at
  // offset 0 of the pattern"; back-references and look-around say that they
  // are not supported and why.
  static Result<Regex> Compile(std::string_view pattern, RegexOptions options);
  // The same checks as Compile(), keeping nothing (for the type checker).
  static Status Validate(std::string_view pattern, RegexOptions options);

  Regex(Regex&&) noexcept;
  Regex& operator=(Regex&&) noexcept;
  ~Regex();

  // True if the pattern matches somewhere in `text`.
  bool Search(std::string_view text) const;

  // regexps() / replace() / replaceAll(): needs options().capture. kExtract
  // gives `rewrite` (\0..\9 name the groups) for the first match, "" when
  // none; kReplaceFirst / kReplaceAll give `text` with the first / every
  // match replaced. False with *error set when `rewrite` names a group the
  // pattern lacks.
  enum class SubstMode : uint8_t { kExtract, kReplaceFirst, kReplaceAll };
  bool Substitute(std::string_view text, std::string_view rewrite, SubstMode mode, std::string* out,
                  std::string* error) const;

  const std::string& pattern() const { return pattern_; }
  const RegexOptions& options() const { return options_; }
  // True when Search() matches literal strings instead of calling RE2 (see
  // the header comment); for tests and the benchmark.
  bool is_literal() const { return !literals_.empty(); }

  // One expanded alternative of a literal pattern: `text` (lower-cased under
  // option i), required at the start and/or the end of the searched text.
  struct Literal {
    std::string text;
    bool at_start = false;
    bool at_end = false;
  };

 private:
  Regex(std::string pattern, RegexOptions options, std::unique_ptr<re2::RE2> re);
  bool SearchLiterals(std::string_view text) const;

  std::string pattern_;
  RegexOptions options_;
  std::unique_ptr<re2::RE2> re_;   // never null in a constructed Regex
  std::vector<Literal> literals_;  // empty: not a literal pattern, RE2 searches
};

}  // namespace skyrun::expr
