#include "common/strings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace skyrun {

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      break;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + 1;
  }
  return out;
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t sub = prev[j - 1] + (std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                                          std::tolower(static_cast<unsigned char>(b[j - 1]))
                                      ? 0
                                      : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::optional<std::string> NearestName(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_distance = SIZE_MAX;
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  // A typo changes a few characters; beyond a third of the word it is a different word.
  size_t limit = std::max<size_t>(2, word.size() / 3);
  if (best && best_distance <= limit) return best;
  return std::nullopt;
}

std::optional<int64_t> ParseInt64(std::string_view s) {
  int64_t v = 0;
  if (s.empty()) return std::nullopt;
  const char* begin = s.data();
  if (*begin == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

namespace {

// Parses "12", "1.5" into a value scaled by `scale` (exact for up to 3 decimals
// when scale is 1000). Rejects exponents, signs other than a leading '-'.
std::optional<int64_t> ParseScaledDecimal(std::string_view s, int64_t scale) {
  if (s.empty() || s.size() > 30) return std::nullopt;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  }
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : s.substr(dot + 1);
  if (whole.empty() && frac.empty()) return std::nullopt;
  for (char c : whole)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  for (char c : frac)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  if (dot != std::string_view::npos && frac.empty()) return std::nullopt;
  int64_t w = 0;
  if (!whole.empty()) {
    auto parsed = ParseInt64(whole);
    if (!parsed) return std::nullopt;
    w = *parsed;
  }
  int64_t result;
  if (__builtin_mul_overflow(w, scale, &result)) return std::nullopt;
  // Fractional part: digits beyond the scale's precision are dropped only if zero.
  int64_t place = scale;
  for (char c : frac) {
    int digit = c - '0';
    if (place >= 10) {
      place /= 10;
      if (__builtin_add_overflow(result, digit * place, &result)) return std::nullopt;
    } else if (digit != 0) {
      return std::nullopt;  // finer than the unit allows
    }
  }
  return neg ? -result : result;
}

}  // namespace

Result<int64_t> ParseMemoryMiB(std::string_view input) {
  std::string s = Trim(input);
  struct Unit {
    const char* suffix;
    int64_t mib_per_unit_milli;  // MiB per unit, times 1000 (so that KiB works)
  };
  static const Unit kUnits[] = {
      {"TiB", 1024LL * 1024 * 1000},
      {"TB", 1024LL * 1024 * 1000},
      {"T", 1024LL * 1024 * 1000},
      {"GiB", 1024LL * 1000},
      {"GB", 1024LL * 1000},
      {"G", 1024LL * 1000},
      {"MiB", 1000},
      {"MB", 1000},
      {"M", 1000},
  };
  int64_t per_unit = 1024LL * 1000;  // a bare number is GiB, as in the spec
  std::string number = s;
  for (const auto& u : kUnits) {
    std::string_view suf(u.suffix);
    if (s.size() > suf.size() && EqualsIgnoreCase(std::string_view(s).substr(s.size() - suf.size()), suf)) {
      per_unit = u.mib_per_unit_milli;
      number = Trim(std::string_view(s).substr(0, s.size() - suf.size()));
      break;
    }
  }
  auto milli = ParseScaledDecimal(number, 1000);
  if (!milli) {
    return InvalidArgument("expected a memory size such as 64, 64GiB or 512MiB, got '" + std::string(input) +
                           "'");
  }
  if (*milli < 0)
    return InvalidArgument("memory size must not be negative, got '" + std::string(input) + "'");
  // milli-units x (MiB per unit x 1000) / 1e6 = MiB
  __int128 mib = static_cast<__int128>(*milli) * per_unit / (1000 * 1000);
  if (mib > static_cast<__int128>(1) << 50)
    return InvalidArgument("memory size is too large: '" + std::string(input) + "'");
  return static_cast<int64_t>(mib);
}

Result<int64_t> ParseMilli(std::string_view input) {
  std::string s = Trim(input);
  if (!s.empty() && (s.back() == 'm')) {
    auto v = ParseInt64(std::string_view(s).substr(0, s.size() - 1));
    if (!v)
      return InvalidArgument("expected a quantity such as 8, 0.5 or 500m, got '" + std::string(input) + "'");
    return *v;
  }
  auto v = ParseScaledDecimal(s, 1000);
  if (!v)
    return InvalidArgument("expected a quantity such as 8, 0.5 or 500m, got '" + std::string(input) + "'");
  return *v;
}

Result<int64_t> ParseDurationSeconds(std::string_view input) {
  std::string s = Trim(input);
  if (s.empty()) return InvalidArgument("expected a duration such as 90s, 30m or 6h, got an empty string");
  if (auto plain = ParseInt64(s)) {
    if (*plain < 0) return InvalidArgument("duration must not be negative");
    return *plain;
  }
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j == i || j >= s.size()) {
      return InvalidArgument("expected a duration such as 90s, 30m, 6h or 1h30m, got '" + std::string(input) +
                             "'");
    }
    auto n = ParseInt64(std::string_view(s).substr(i, j - i));
    int64_t mult = 0;
    switch (s[j]) {
      case 's': mult = 1; break;
      case 'm': mult = 60; break;
      case 'h': mult = 3600; break;
      case 'd': mult = 86400; break;
      default:
        return InvalidArgument("unknown duration unit '" + std::string(1, s[j]) + "' in '" +
                               std::string(input) + "' (use s, m, h or d)");
    }
    int64_t part;
    if (!n || __builtin_mul_overflow(*n, mult, &part) || __builtin_add_overflow(total, part, &total)) {
      return InvalidArgument("duration is too large: '" + std::string(input) + "'");
    }
    i = j + 1;
  }
  return total;
}

namespace {

// "h:mm:ss", "mm:ss", "d-h", "d-h:mm", "d-h:mm:ss" (sbatch --time).
std::optional<int64_t> ClockTimeSeconds(const std::string& s) {
  int64_t days = 0;
  std::string rest = s;
  bool has_days = false;
  if (size_t dash = s.find('-'); dash != std::string::npos) {
    auto d = ParseInt64(std::string_view(s).substr(0, dash));
    if (!d || *d < 0 || dash == 0) return std::nullopt;
    days = *d;
    rest = s.substr(dash + 1);
    has_days = true;
  }
  std::vector<std::string> parts = Split(rest, ':');
  if (parts.empty() || parts.size() > 3 || (!has_days && parts.size() < 2)) return std::nullopt;
  std::vector<int64_t> v;
  for (const std::string& p : parts) {
    if (p.empty() || p.size() > 9) return std::nullopt;
    for (char c : p)
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v.push_back(*ParseInt64(p));
  }
  // Every field after the first is below its unit's next one (30:90 is a typo).
  for (size_t i = 1; i < v.size(); ++i)
    if (v[i] >= 60) return std::nullopt;
  int64_t h = 0, m = 0, sec = 0;
  if (has_days) {
    h = v[0];
    if (h >= 24) return std::nullopt;
    if (v.size() > 1) m = v[1];
    if (v.size() > 2) sec = v[2];
  } else if (v.size() == 3) {
    h = v[0], m = v[1], sec = v[2];
  } else {
    m = v[0], sec = v[1];
  }
  int64_t total = 0;
  if (__builtin_mul_overflow(days, int64_t{86400}, &total)) return std::nullopt;
  int64_t hms = 0;
  if (__builtin_mul_overflow(h, int64_t{3600}, &hms) || __builtin_add_overflow(total, hms, &total) ||
      __builtin_mul_overflow(m, int64_t{60}, &hms) || __builtin_add_overflow(total, hms, &total) ||
      __builtin_add_overflow(total, sec, &total))
    return std::nullopt;
  return total;
}

}  // namespace

Result<int64_t> ParseTimeLimitSeconds(std::string_view input) {
  std::string s = Trim(input);
  constexpr const char* kForms = "such as 90m, 2h, 1d, 1h30m or 1:30:00";
  if (s.empty())
    return InvalidArgument(std::string("expected a time limit ") + kForms + ", got an empty string");
  if (ParseInt64(s)) {
    return InvalidArgument("a bare number is ambiguous (sbatch reads minutes): write the unit, as in " + s +
                           "m or " + s + "s");
  }
  if (s.find_first_of(":-") != std::string::npos) {
    if (auto t = ClockTimeSeconds(s)) return *t;
    return InvalidArgument(std::string("expected a time limit ") + kForms +
                           " (h:mm:ss, mm:ss or d-h:mm:ss), got '" + std::string(input) + "'");
  }
  return ParseDurationSeconds(s);
}

std::string HexEncode(std::string_view bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

}  // namespace skyrun
