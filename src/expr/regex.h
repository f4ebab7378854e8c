// Regex: the engine behind regexp(). Patterns are compiled once into a DFA
// (Thompson NFA, then subset construction), so a search is one table lookup
// per byte: no backtracking, no recursion while matching, no allocation, and
// time linear in the text whatever the pattern. That is what lets a
// Requirements clause like regexp("A100|H100", GpuModel) cost nanoseconds,
// and what keeps hostile patterns from hanging or crashing the scheduler.
//
// Syntax: a PCRE subset. Literals; . ; [...] and [^...] with ranges, escapes
// and [:alpha:]-style classes; \d \w \s \D \W \S; \n \t \r \f \v \xHH and
// escaped punctuation; ( ) and (?: ); | ; * + ? {n} {n,} {n,m} (a trailing
// ? for laziness is accepted and changes nothing, since only "does it match"
// is asked); ^ and $. Back-references, look-around, \b and possessive
// quantifiers are refused with a message. Bytes are matched as bytes.
// Options: i (ignore ASCII case), m (^ and $ also match at line breaks),
// s (. also matches a newline).
//
// Search semantics, as in ClassAds: true when the pattern matches anywhere in
// the text; anchor with ^...$ for a whole-string match.
// Thread-safety: a compiled Regex is immutable; Search() may run concurrently.
#pragma once

#include <bitset>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace skyrun::expr {

struct RegexOptions {
  bool ignore_case = false;
  bool multiline = false;
  bool dot_all = false;
};

// Reads option letters ("i", "im", ...). An unknown letter is an error.
Result<RegexOptions> ParseRegexOptions(std::string_view letters);

class Regex {
 public:
  // Errors say what is wrong and where: "missing ')' at offset 4 of the pattern".
  // Without `build_dfa`, searches simulate the NFA: cheaper for a pattern
  // used once, slower for one used many times.
  static Result<Regex> Compile(std::string_view pattern, RegexOptions options, bool build_dfa = true);
  // The same checks as Compile() without building the DFA (for the type checker).
  static Status Validate(std::string_view pattern, RegexOptions options);

  // True if the pattern matches somewhere in `text`.
  bool Search(std::string_view text) const;

  const std::string& pattern() const { return pattern_; }
  const RegexOptions& options() const { return options_; }
  // Number of DFA states, or 0 when the pattern was too large for a DFA
  // (over 512 states, 16384 states x byte classes, or too much work to build)
  // and matching simulates the NFA instead: still linear, but slower and
  // allocating.
  size_t dfa_states() const { return flags_.size(); }

 private:
  friend class RegexBuilder;  // regex.cc: builds the NFA and the DFA

  struct NfaState {
    enum Kind : uint8_t { kByte, kSplit, kBol, kEol, kMatch } kind;
    int out = -1;
    int out1 = -1;
    int set = -1;  // index into sets_ for kByte
  };

  bool SimulateNfa(std::string_view text) const;

  std::string pattern_;
  RegexOptions options_;
  std::vector<NfaState> nfa_;
  std::vector<std::bitset<256>> sets_;  // the bytes each kByte state consumes
  int start_ = 0;

  // DFA: transitions_[state * classes_ + byte_class_[b]].
  uint8_t byte_class_[256] = {};
  int classes_ = 1;
  std::vector<uint16_t> transitions_;
  std::vector<uint8_t> flags_;  // kAccepting | kAcceptAtEnd | kDead
};

}  // namespace skyrun::expr
