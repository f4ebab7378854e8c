// EvalScratch: the per-thread working memory of evaluation. Strings and lists
// that an evaluation creates (strcat, toLower, union, list literals that
// depend on attributes) live in its arena until the next evaluation starts;
// the arena keeps its blocks, so after the first few evaluations nothing is
// allocated. It also remembers the last regexp() pattern that was not a
// constant, so a pattern read from an ad is compiled once, not per call.
//
// Owned by whoever evaluates (one per thread: the scheduler's filter workers,
// the matcher, the CLI). Thread-safety: none; never share one between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
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

  // The clock of time(), absTime() and formatTime(), injected like every
  // clock in skyrun: tests and the simulator hand over a SimulatedClock, a
  // caller that wants one instant for a batch of evaluations pins one. Without
  // one, those functions read the system clock at each call, so a pool policy
  // such as time() - EnteredCurrentStatus < relTime("2h") works wherever it is
  // evaluated. The clock must outlive the scratch's evaluations.
  void set_clock(const Clock* clock) { clock_ = clock; }
  // Whole seconds since the Unix epoch.
  int64_t NowSeconds() const {
    if (clock_) return clock_->Now() / kMicrosPerSecond;
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // The compiled regex for a pattern that is not a constant, or nullptr with
  // *error set when it does not compile. The last pattern is kept, so a
  // pattern read from one ad and matched against many is compiled once.
  const Regex* DynamicRegex(std::string_view pattern, const RegexOptions& options, const char** error) {
    if (!have_cached_ || cached_pattern_ != pattern || cached_options_ != options) {
      have_cached_ = true;
      cached_pattern_.assign(pattern);
      cached_options_ = options;
      cached_.reset();
      auto re = Regex::Compile(pattern, options);
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
  std::string cached_pattern_;
  RegexOptions cached_options_;
  std::optional<Regex> cached_;  // empty when the cached pattern does not compile
  const Clock* clock_ = nullptr;
};

}  // namespace skyrun::expr
