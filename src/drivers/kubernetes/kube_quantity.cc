#include "drivers/kubernetes/kube_quantity.h"

#include <cctype>
#include <optional>

#include "common/strings.h"

namespace skyrun {
namespace {

using Wide = __int128;

constexpr Wide kWideLimit = static_cast<Wide>(1) << 120;  // far below overflow, far above int64

// value = mantissa / 10^decimals * 10^exp10 * 2^exp2
struct Parsed {
  Wide mantissa = 0;
  int decimals = 0;
  int exp10 = 0;
  int exp2 = 0;
};

std::optional<Wide> MulChecked(Wide a, Wide b) {
  Wide r;
  if (__builtin_mul_overflow(a, b, &r) || r > kWideLimit || r < -kWideLimit) return std::nullopt;
  return r;
}

std::optional<Wide> Pow(Wide base, int exp) {
  Wide r = 1;
  for (int i = 0; i < exp; ++i) {
    auto next = MulChecked(r, base);
    if (!next) return std::nullopt;
    r = *next;
  }
  return r;
}

Result<Parsed> ParseQuantity(std::string_view q) {
  auto bad = [&](const std::string& why) {
    return InvalidArgument("bad Kubernetes quantity '" + std::string(q) + "': " + why);
  };
  std::string s = Trim(q);
  if (s.empty()) return bad("empty");
  size_t i = 0;
  if (s[i] == '+') ++i;
  if (i < s.size() && s[i] == '-') return bad("negative quantities are not resources");
  Parsed p;
  int digits = 0;
  bool dot = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '.' && !dot) {
      dot = true;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) break;
    if (++digits > 30) return bad("too many digits");
    p.mantissa = p.mantissa * 10 + (c - '0');
    if (dot) ++p.decimals;
  }
  if (digits == 0) return bad("no digits");
  std::string suffix = s.substr(i);
  static const std::pair<const char*, int> kBinary[] = {{"Ki", 10}, {"Mi", 20}, {"Gi", 30},
                                                        {"Ti", 40}, {"Pi", 50}, {"Ei", 60}};
  static const std::pair<const char*, int> kDecimal[] = {{"n", -9}, {"u", -6}, {"m", -3}, {"", 0},
                                                         {"k", 3},  {"M", 6},  {"G", 9},  {"T", 12},
                                                         {"P", 15}, {"E", 18}};
  for (const auto& [name, exp] : kBinary) {
    if (suffix == name) {
      p.exp2 = exp;
      return p;
    }
  }
  for (const auto& [name, exp] : kDecimal) {
    if (suffix == name) {
      p.exp10 = exp;
      return p;
    }
  }
  if (suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    auto e = ParseInt64(suffix.substr(1)[0] == '+' ? suffix.substr(2) : suffix.substr(1));
    if (e && *e >= -30 && *e <= 30) {
      p.exp10 = static_cast<int>(*e);
      return p;
    }
  }
  return bad("unknown suffix '" + suffix +
             "' (expected Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or an exponent)");
}

// The quantity x 10^scale10 / 2^shift2, rounded down, as int64.
Result<int64_t> Convert(std::string_view q, int scale10, int shift2) {
  SKYRUN_ASSIGN_OR_RETURN(Parsed p, ParseQuantity(q));
  int e10 = p.exp10 + scale10 - p.decimals;
  int e2 = p.exp2 - shift2;
  auto num = std::optional<Wide>(p.mantissa);
  Wide den = 1;
  auto too_large = InvalidArgument("Kubernetes quantity '" + std::string(q) + "' is too large");
  if (e10 > 0) {
    auto f = Pow(10, e10);
    if (!f) return too_large;
    num = MulChecked(*num, *f);
  } else if (e10 < 0) {
    auto f = Pow(10, -e10);
    if (!f) return static_cast<int64_t>(0);  // smaller than one unit
    den = *f;
  }
  if (!num) return too_large;
  if (e2 > 0) {
    num = MulChecked(*num, static_cast<Wide>(1) << e2);
    if (!num) return too_large;
  } else if (e2 < 0) {
    auto d = MulChecked(den, static_cast<Wide>(1) << -e2);
    if (!d) return static_cast<int64_t>(0);
    den = *d;
  }
  Wide r = *num / den;
  if (r > INT64_MAX) return too_large;
  return static_cast<int64_t>(r);
}

bool TakeInt(std::string_view s, size_t& i, int n, int& out) {
  out = 0;
  for (int k = 0; k < n; ++k, ++i) {
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

bool Take(std::string_view s, size_t& i, char c) {
  if (i >= s.size() || (s[i] != c && !(c == 'T' && (s[i] == 't' || s[i] == ' ')))) return false;
  ++i;
  return true;
}

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

Result<int64_t> ParseKubeQuantityMilli(std::string_view q) {
  return Convert(q, 3, 0);
}
Result<int64_t> ParseKubeQuantityMiB(std::string_view q) {
  return Convert(q, 0, 20);
}
Result<int64_t> ParseKubeQuantityCount(std::string_view q) {
  return Convert(q, 0, 0);
}

std::string FormatKubeCpu(int64_t milli) {
  if (milli % 1000 == 0) return std::to_string(milli / 1000);
  return std::to_string(milli) + "m";
}

std::string FormatKubeMemoryMiB(int64_t mib) {
  return std::to_string(mib) + "Mi";
}

Result<Micros> ParseRfc3339(std::string_view s) {
  auto bad = [&]() {
    return InvalidArgument("bad RFC 3339 timestamp '" + std::string(s) + "' (expected 2026-01-10T12:00:05Z)");
  };
  size_t i = 0;
  int year, month, day, hour, minute, second;
  if (!TakeInt(s, i, 4, year) || !Take(s, i, '-') || !TakeInt(s, i, 2, month) || !Take(s, i, '-') ||
      !TakeInt(s, i, 2, day) || !Take(s, i, 'T') || !TakeInt(s, i, 2, hour) || !Take(s, i, ':') ||
      !TakeInt(s, i, 2, minute) || !Take(s, i, ':') || !TakeInt(s, i, 2, second))
    return bad();
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return bad();
  int64_t micros = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int64_t scale = 100000;
    bool any = false;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      micros += (s[i] - '0') * scale;
      scale /= 10;
      any = true;
      ++i;
    }
    if (!any) return bad();
  }
  int64_t offset_seconds = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i] == '-' ? -1 : 1;
    ++i;
    int oh, om;
    if (!TakeInt(s, i, 2, oh) || !Take(s, i, ':') || !TakeInt(s, i, 2, om)) return bad();
    offset_seconds = int64_t{sign} * (int64_t{oh} * 3600 + int64_t{om} * 60);
  } else {
    return bad();
  }
  if (i != s.size()) return bad();
  int64_t seconds = DaysFromCivil(year, month, day) * 86400 + int64_t{hour} * 3600 + int64_t{minute} * 60 +
                    second - offset_seconds;
  return seconds * kMicrosPerSecond + micros;
}

}  // namespace skyrun
