#include "common/quantities.h"

namespace skyrun {

std::string FormatMilli(int64_t milli) {
  std::string sign = milli < 0 ? "-" : "";
  uint64_t m = milli < 0 ? uint64_t(0) - uint64_t(milli) : uint64_t(milli);
  std::string out = sign + std::to_string(m / 1000);
  uint64_t frac = m % 1000;
  if (frac != 0) {
    std::string f = std::to_string(frac);
    f = std::string(3 - f.size(), '0') + f;
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += "." + f;
  }
  return out;
}

}  // namespace skyrun
