#include "expr/arena.h"

#include <cstring>

namespace skyrun::expr {

void* Arena::Allocate(size_t bytes, size_t align) {
  if (bytes == 0) bytes = 1;
  used_ += bytes;
  while (current_ < blocks_.size()) {
    Block& block = blocks_[current_];
    size_t start = (offset_ + align - 1) & ~(align - 1);
    if (start + bytes <= block.size) {
      offset_ = start + bytes;
      return block.data.get() + start;
    }
    ++current_;
    offset_ = 0;
  }
  // No kept block has room: add one (blocks come from new[], so they are
  // aligned for any fundamental type).
  Block block;
  size_t grown = blocks_.empty() ? kFirstBlock : blocks_.back().size * 2;
  if (grown > kMaxBlock) grown = kMaxBlock;
  block.size = bytes > grown ? bytes : grown;
  block.data = std::make_unique<char[]>(block.size);
  blocks_.push_back(std::move(block));
  current_ = blocks_.size() - 1;
  offset_ = bytes;
  return blocks_.back().data.get();
}

std::string_view Arena::CopyString(std::string_view s) {
  if (s.empty()) return {};
  char* p = AllocateArray<char>(s.size());
  std::memcpy(p, s.data(), s.size());
  return {p, s.size()};
}

}  // namespace skyrun::expr
