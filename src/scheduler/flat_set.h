// FlatSet: an ordered set of small values kept in one sorted vector, for the
// fleet's per-class and per-shape lists (a few to a few thousand entries).
// A search walks contiguous memory instead of a tree's nodes spread over the
// heap (what kept the scheduler's cycle waiting on memory), at the price of
// moving the entries after the one inserted or erased.
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
    auto it = std::lower_bound(items_.begin(), items_.end(), v);
    if (it != items_.end() && !(v < *it)) return false;
    items_.insert(it, v);
    return true;
  }
  // Takes `v` out; how many were taken (0 or 1).
  size_t erase(const T& v) {
    auto it = std::lower_bound(items_.begin(), items_.end(), v);
    if (it == items_.end() || v < *it) return 0;
    items_.erase(it);
    return 1;
  }
  // The first entry not less than `v`.
  const_iterator lower_bound(const T& v) const { return std::lower_bound(items_.begin(), items_.end(), v); }

  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  const_reverse_iterator rbegin() const { return items_.rbegin(); }
  const_reverse_iterator rend() const { return items_.rend(); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const T& front() const { return items_.front(); }
  const T& back() const { return items_.back(); }

 private:
  std::vector<T> items_;
};

}  // namespace skyrun
