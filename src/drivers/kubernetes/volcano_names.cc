#include "drivers/kubernetes/volcano_names.h"

#include <cctype>

#include "common/strings.h"

namespace skyrun {
namespace {

bool IsLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool IsAlnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

std::string TrimDashes(std::string s) {
  while (!s.empty() && s.back() == '-') s.pop_back();
  size_t b = 0;
  while (b < s.size() && s[b] == '-') ++b;
  return s.substr(b);
}

}  // namespace

std::string SanitizeDnsLabel(std::string_view s, size_t max_len) {
  std::string out;
  bool dash = false;
  for (char raw : s) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(raw)));
    if (IsLowerAlnum(c)) {
      if (dash && !out.empty()) out += '-';
      dash = false;
      out += c;
    } else {
      dash = true;
    }
  }
  if (out.size() > max_len) out.resize(max_len);
  return TrimDashes(out);
}

std::string SanitizeLabelValue(std::string_view s) {
  std::string out;
  for (char c : s) {
    out += (IsAlnum(c) || c == '-' || c == '_' || c == '.') ? c : '_';
  }
  if (out.size() > kDnsLabelMax) out.resize(kDnsLabelMax);
  while (!out.empty() && !IsAlnum(out.back())) out.pop_back();
  size_t b = 0;
  while (b < out.size() && !IsAlnum(out[b])) ++b;
  return out.substr(b);
}

bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > kDnsLabelMax) return false;
  for (char c : s)
    if (!IsLowerAlnum(c) && c != '-') return false;
  return s.front() != '-' && s.back() != '-';
}

std::string VolcanoJobName(std::string_view job_name, int64_t job_id, int attempt_no,
                           std::string_view longest_task_name, int max_replicas) {
  std::string suffix = "-" + std::to_string(job_id) + "-a" + std::to_string(attempt_no);
  std::string pod_suffix =
      "-" + std::string(longest_task_name) + "-" + std::to_string(max_replicas > 0 ? max_replicas - 1 : 0);
  std::string base = SanitizeDnsLabel(job_name);
  if (base.empty() || !(base[0] >= 'a' && base[0] <= 'z')) base = TrimDashes("job-" + base);
  size_t room =
      kDnsLabelMax > suffix.size() + pod_suffix.size() ? kDnsLabelMax - suffix.size() - pod_suffix.size() : 0;
  if (room < 4) room = 4;  // "job-"/"j-x": the name still starts with a letter
  if (base.size() > room) base = TrimDashes(base.substr(0, room));
  return base + suffix;
}

std::string VolcanoPodName(std::string_view job, std::string_view task, int index) {
  return std::string(job) + "-" + std::string(task) + "-" + std::to_string(index);
}

std::string VolcanoPodDnsName(std::string_view job, std::string_view task, int index) {
  return VolcanoPodName(job, task, index) + "." + std::string(job);
}

std::string FormatVolcanoHandle(const VolcanoTaskRef& ref) {
  return "volcano:" + ref.k8s_namespace + "/" + ref.job + "/" + ref.task + "/" + std::to_string(ref.index) +
         "/" + std::to_string(ref.rank) + ":" + ref.task_dir;
}

Result<VolcanoTaskRef> ParseVolcanoHandle(std::string_view handle) {
  constexpr std::string_view kPrefix = "volcano:";
  auto bad = [&](const std::string& why) {
    return InvalidArgument("bad Volcano task handle '" + std::string(handle) + "': " + why);
  };
  if (handle.substr(0, kPrefix.size()) != kPrefix) return bad("it does not start with 'volcano:'");
  std::string_view rest = handle.substr(kPrefix.size());
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return bad("no ':' before the task directory");
  std::vector<std::string> parts = Split(rest.substr(0, colon), '/');
  if (parts.size() != 5) return bad("expected <namespace>/<job>/<task>/<index>/<rank>");
  VolcanoTaskRef ref;
  ref.k8s_namespace = parts[0];
  ref.job = parts[1];
  ref.task = parts[2];
  auto index = ParseInt64(parts[3]);
  auto rank = ParseInt64(parts[4]);
  if (!index || !rank || *index < 0 || *rank < 0 || *index > INT32_MAX || *rank > INT32_MAX)
    return bad("index and rank must be non-negative integers");
  if (!IsDnsLabel(ref.k8s_namespace) || !IsDnsLabel(ref.job) || !IsDnsLabel(ref.task))
    return bad("namespace, job and task must be DNS labels");
  ref.index = static_cast<int>(*index);
  ref.rank = static_cast<int>(*rank);
  ref.task_dir = std::string(rest.substr(colon + 1));
  return ref;
}

}  // namespace skyrun
