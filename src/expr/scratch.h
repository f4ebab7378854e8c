// EvalScratch: the per-thread working memory of evaluation. Strings and lists
// that an evaluation creates (strcat, toLower, union, list literals that
// depend on attributes) live in its arena until the next evaluation starts;
// the arena keeps its blocks, so after the first few evaluations nothing is
// allocated. It also remembers the last regexp() pattern that was not a
// constant, so a pattern read from an ad is compiled once, not per call (to a
// DFA from its second use on; see DynamicRegex).
//
// Owned by whoever evaluates (one per thread: the scheduler's filter workers,
// the matcher, the CLI). Thread-safety: none; never share one between threads.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "expr/arena.h"
#include "expr/regex.h"
#include "expr/value.h"

namespace skyrun::expr {

class EvalScratch {
 public:
  // An evaluation that builds more than this many bytes of strings and lists
  // gives ERROR ("value too large") instead of exhausting memory.
  static constexpr size_t kMaxBytes = 64u << 20;

  EvalScratch() = default;
  EvalScratch(const EvalScratch&) = delete;
  EvalScratch& operator=(const EvalScratch&) = delete;

  // Called by Evaluate() at the start of each evaluation: invalidates the
  // strings and lists of the previous result.
  void Reset() { arena_.Reset(); }
  Arena& arena() { return arena_; }
  bool OverBudget() const { return arena_.used() > kMaxBytes; }

  // A string of `n` bytes to fill in, or nullptr when over budget.
  char* AllocateString(size_t n) {
    if (arena_.used() + n > kMaxBytes) return nullptr;
    return arena_.AllocateArray<char>(n);
  }
  Value* AllocateValues(size_t n) {
    if (arena_.used() + n * sizeof(Value) > kMaxBytes) return nullptr;
    return arena_.AllocateArray<Value>(n);
  }

  // The compiled regex for a pattern that is not a constant, or nullptr with
  // *error set when it does not compile. A pattern seen once is matched by
  // NFA simulation; when the same pattern comes again (one pattern from an
  // ad, matched against many), it is compiled to a DFA.
  const Regex* DynamicRegex(std::string_view pattern, const RegexOptions& options, const char** error) {
    const bool same = have_cached_ && cached_pattern_ == pattern && cached_options_.ignore_case == options.ignore_case &&
                      cached_options_.multiline == options.multiline && cached_options_.dot_all == options.dot_all;
    if (!same || (cached_ && cached_->dfa_states() == 0 && !dfa_tried_)) {
      dfa_tried_ = same;  // the second use in a row asks for the DFA
      have_cached_ = true;
      cached_pattern_.assign(pattern);
      cached_options_ = options;
      cached_.reset();
      auto re = Regex::Compile(pattern, options, /*build_dfa=*/same);
      if (re.ok()) cached_.emplace(std::move(re).value());
    }
    if (!cached_) {
      *error = "invalid regular expression";
      return nullptr;
    }
    return &*cached_;
  }

 private:
  Arena arena_;
  bool have_cached_ = false;
  bool dfa_tried_ = false;  // the cached pattern was compiled with a DFA requested
  std::string cached_pattern_;
  RegexOptions cached_options_;
  std::optional<Regex> cached_;  // empty when the cached pattern does not compile
};

}  // namespace skyrun::expr
