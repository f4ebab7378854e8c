#include "common/money.h"

#include <cmath>
#include <cstdio>

namespace skyrun {

std::string FormatUsd(double usd) {
  char buf[64];
  if (usd != 0 && std::fabs(usd) < 0.01)
    std::snprintf(buf, sizeof buf, "$%.4f", usd);
  else
    std::snprintf(buf, sizeof buf, "$%.2f", usd);
  return buf;
}

}  // namespace skyrun
