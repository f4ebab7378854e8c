// Arena: a chunked bump allocator for the strings and lists that values point
// into. Ads keep theirs for life; an EvalScratch resets its arena at the start
// of every evaluation, and because Reset() keeps the blocks, a warmed-up
// evaluator does not touch the heap again.
//
// Used by Ad, CompiledExpr (constants) and EvalScratch. Thread-safety: none;
// one owner at a time. Moving an Arena keeps every pointer it handed out valid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace skyrun::expr {

class Arena {
 public:
  Arena() = default;
  Arena(Arena&&) noexcept = default;
  Arena& operator=(Arena&&) noexcept = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Uninitialised memory for `bytes` bytes aligned to `align` (a power of two
  // no larger than alignof(std::max_align_t)).
  void* Allocate(size_t bytes, size_t align);

  template <typename T>
  T* AllocateArray(size_t n) {
    return static_cast<T*>(Allocate(n * sizeof(T), alignof(T)));
  }

  // A copy of `s` that lives as long as the arena (or until Reset()).
  std::string_view CopyString(std::string_view s);

  // Forgets every allocation but keeps the blocks for reuse.
  void Reset() {
    current_ = 0;
    offset_ = 0;
    used_ = 0;
  }

  // Bytes handed out since the last Reset(): lets callers cap runaway growth.
  size_t used() const { return used_; }

 private:
  struct Block {
    std::unique_ptr<char[]> data;
    size_t size = 0;
  };
  // Blocks grow geometrically from small: an ad with a few short strings
  // stays a few hundred bytes, so thousands of node ads stay cache-friendly.
  static constexpr size_t kFirstBlock = 256;
  static constexpr size_t kMaxBlock = size_t{64} * 1024;

  std::vector<Block> blocks_;
  size_t current_ = 0;  // index of the block being filled
  size_t offset_ = 0;   // first free byte in blocks_[current_]
  size_t used_ = 0;
};

}  // namespace skyrun::expr
