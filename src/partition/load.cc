#include "partition/load.h"

#include <algorithm>

namespace skyrun::partition {

std::string LoadToString(Load value) {
  if (value == 0) return "0";
  bool negative = value < 0;
  unsigned __int128 v =
      negative ? static_cast<unsigned __int128>(-value) : static_cast<unsigned __int128>(value);
  std::string digits;
  while (v > 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  if (negative) digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

double LoadToDouble(Load value) {
  return static_cast<double>(value) / static_cast<double>(kSlownessScale);
}

double LoadToSeconds(Load value, int64_t ref_flops_per_second) {
  if (ref_flops_per_second <= 0) return 0.0;
  return LoadToDouble(value) / static_cast<double>(ref_flops_per_second);
}

}  // namespace skyrun::partition
