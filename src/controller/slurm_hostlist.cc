#include "controller/slurm_hostlist.h"

#include <cctype>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>

namespace skyrun {
namespace {

// "node05" -> prefix "node", digits "05"; "login" -> "login", "".
struct Name {
  std::string prefix;
  std::string digits;
};

Name SplitName(const std::string& host) {
  size_t cut = host.size();
  while (cut > 0 && std::isdigit(static_cast<unsigned char>(host[cut - 1]))) --cut;
  // More than 18 digits would not fit a number: kept as a plain name.
  if (host.size() - cut > 18) cut = host.size();
  return Name{host.substr(0, cut), host.substr(cut)};
}

}  // namespace

std::string SlurmHostList(const std::vector<std::string>& hosts) {
  // (prefix, padded width or 0) -> numbers; plain names apart.
  std::map<std::tuple<std::string, size_t>, std::set<int64_t>> groups;
  std::set<std::string> plain;
  // Zero-padded widths by prefix: "gpu10" joins "gpu01" (width 2), as Slurm's ranges do.
  std::map<std::string, std::set<size_t>> padded;
  for (const auto& h : hosts) {
    Name n = SplitName(h);
    if (n.digits.size() > 1 && n.digits[0] == '0') padded[n.prefix].insert(n.digits.size());
  }
  for (const auto& h : hosts) {
    Name n = SplitName(h);
    if (n.digits.empty()) {
      plain.insert(h);
      continue;
    }
    size_t width = padded[n.prefix].count(n.digits.size()) ? n.digits.size() : 0;
    groups[{n.prefix, width}].insert(std::stoll(n.digits));
  }
  // Merged by prefix order, plain names among them as Slurm sorts them.
  std::map<std::string, std::string> parts;  // sort key -> text
  for (const auto& [key, numbers] : groups) {
    const auto& [prefix, width] = key;
    auto pad = [w = width](int64_t v) {
      std::string s = std::to_string(v);
      if (s.size() < w) s.insert(0, w - s.size(), '0');
      return s;
    };
    std::string ranges;
    int count = 0;
    for (auto it = numbers.begin(); it != numbers.end();) {
      int64_t first = *it, last = *it;
      for (++it; it != numbers.end() && *it == last + 1; ++it) last = *it;
      if (!ranges.empty()) ranges += ",";
      ranges += pad(first);
      if (last != first) ranges += "-" + pad(last);
      count += last != first ? 2 : 1;
    }
    std::string text = count == 1 ? prefix + ranges : prefix + "[" + ranges + "]";
    parts[prefix + '\x01' + std::to_string(width)] = text;
  }
  for (const auto& p : plain) parts[p] = p;
  std::string out;
  for (const auto& [key, text] : parts) {
    if (!out.empty()) out += ",";
    out += text;
  }
  return out;
}

}  // namespace skyrun
