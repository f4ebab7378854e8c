#include "expr/names.h"

#include <algorithm>
#include <cstdint>

namespace skyrun::expr {
namespace {

constexpr size_t kLongestName = 64;  // no published name is longer; a longer word is no typo of one

char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// Case-insensitive Levenshtein distance, or limit + 1 once it must exceed
// `limit`. Both words are at most kLongestName long: no allocation.
size_t BoundedDistance(std::string_view a, std::string_view b, size_t limit) {
  size_t prev[kLongestName + 1], cur[kLongestName + 1];
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    size_t row_min = cur[0];
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (Lower(a[i - 1]) == Lower(b[j - 1]) ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > limit) return limit + 1;
    std::copy(cur, cur + b.size() + 1, prev);
  }
  return prev[b.size()];
}

}  // namespace

std::optional<std::string> SuggestName(std::string_view word, const std::vector<std::string>& candidates) {
  if (word.empty() || word.size() > kLongestName) return std::nullopt;
  // The tolerance of common's NearestName: a typo changes a few characters;
  // beyond a third of the word it is a different word.
  const size_t limit = std::max<size_t>(2, word.size() / 3);
  const std::string* best = nullptr;
  size_t best_distance = limit + 1;
  for (const std::string& c : candidates) {
    if (c.size() > kLongestName) continue;
    size_t gap = c.size() > word.size() ? c.size() - word.size() : word.size() - c.size();
    if (gap >= best_distance) continue;
    size_t d = BoundedDistance(word, c, best_distance - 1);
    if (d < best_distance) {
      best_distance = d;
      best = &c;
    }
  }
  if (!best) return std::nullopt;
  return *best;
}

}  // namespace skyrun::expr
