// FlatSet: an ordered set of small values kept in one sorted vector, for the
// fleet's per-class and per-shape lists (a few to a few thousand entries).
// A search walks contiguous memory instead of a tree's nodes spread over the
// heap (what kept the scheduler's cycle waiting on memory), at the price of
// moving the entries on the nearer side of the one inserted or erased (room
// is kept in front, so taking the lowest entries one by one, as bookings do
// on a class of many idle nodes alike, moves nothing).
//
// The subset of std::set's interface the scheduler uses: insert, erase,
// lower_bound, iteration in order and in reverse, size, empty. Iterators are
// invalidated by insert and erase.
//
// Used by Fleet (fleet.h). Thread-safety: none, as a std::vector.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace skyrun {

template <typename T>
class FlatSet {
 public:
  using const_iterator = typename std::vector<T>::const_iterator;
  using const_reverse_iterator = typename std::vector<T>::const_reverse_iterator;

  // Adds `v`; false when it was there already.
  bool insert(const T& v) {
    auto it = std::lower_bound(items_.begin() + static_cast<std::ptrdiff_t>(head_), items_.end(), v);
    if (it != items_.end() && !(v < *it)) return false;
    const size_t pos = static_cast<size_t>(it - items_.begin());
    if (head_ > 0 && pos - head_ < size() / 2) {
      // Nearer the front, with room there: the entries before it move.
      std::move(items_.begin() + static_cast<std::ptrdiff_t>(head_), it,
                items_.begin() + static_cast<std::ptrdiff_t>(head_ - 1));
      --head_;
      items_[pos - 1] = v;
    } else {
      items_.insert(it, v);
    }
    return true;
  }
  // Takes `v` out; how many were taken (0 or 1).
  size_t erase(const T& v) {
    auto it = std::lower_bound(items_.begin() + static_cast<std::ptrdiff_t>(head_), items_.end(), v);
    if (it == items_.end() || v < *it) return 0;
    const size_t pos = static_cast<size_t>(it - items_.begin());
    if (pos - head_ < size() / 2) {
      // Nearer the front: the entries before it move (taking the lowest of
      // many moves none), and the room left in front is reused.
      auto first = items_.begin() + static_cast<std::ptrdiff_t>(head_);
      std::move_backward(first, it, it + 1);
      ++head_;
      if (head_ > kMinSlack && head_ > size()) {
        items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
      }
    } else {
      items_.erase(it);
    }
    if (size() == 0) {
      items_.clear();
      head_ = 0;
    }
    return 1;
  }
  // The first entry not less than `v`.
  const_iterator lower_bound(const T& v) const { return std::lower_bound(begin(), end(), v); }

  const_iterator begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  const_iterator end() const { return items_.end(); }
  const_reverse_iterator rbegin() const { return const_reverse_iterator(end()); }
  const_reverse_iterator rend() const { return const_reverse_iterator(begin()); }
  size_t size() const { return items_.size() - head_; }
  bool empty() const { return size() == 0; }
  const T& front() const { return *begin(); }
  const T& back() const { return items_.back(); }

 private:
  // Room kept in front before it is given back (entries taken from the front
  // of a large class one by one cost nothing to move).
  static constexpr size_t kMinSlack = 64;
  std::vector<T> items_;  // items_[head_..] hold the set, in order
  size_t head_ = 0;
};

}  // namespace skyrun
