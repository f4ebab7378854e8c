#include "spec/sbatch_array.h"

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <set>

#include "common/strings.h"
#include "spec/field_reader.h"

namespace skyrun {
namespace {

using spec_internal::Quote;

std::optional<int64_t> Number(const std::string& s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  return ParseInt64(s);
}

const char* kExpected = "expected indices such as 0-15, 1,3,5, 0-15:4 or 0-99%10";

}  // namespace

std::optional<std::string> ParseArraySpec(const std::string& text, JobArray* array) {
  JobArray out;
  std::string body = text;
  size_t pct = text.find('%');
  if (pct != std::string::npos) {
    body = text.substr(0, pct);
    auto limit = Number(text.substr(pct + 1));
    if (!limit || *limit < 1)
      return std::string(
                 "the %N after the indices is how many may run at once, a count of at least 1, got ") +
             Quote(text.substr(pct + 1));
    out.limit = static_cast<int>(std::min<int64_t>(*limit, kMaxArrayIndex + 1));
  }
  if (body.empty()) return std::string(kExpected) + ", got " + Quote(text);
  std::set<int> indices;
  bool step_seen = false;
  for (const std::string& part : Split(body, ',')) {
    std::string range = part;
    int64_t step = 1;
    size_t colon = part.find(':');
    if (colon != std::string::npos) {
      auto s = Number(part.substr(colon + 1));
      if (!s || *s < 1) return "the step after ':' must be a count of at least 1, got " + Quote(part);
      step = *s;
      range = part.substr(0, colon);
      // Slurm's SLURM_ARRAY_TASK_STEP: the first step written (checked with sbatch).
      if (!step_seen) out.step = static_cast<int>(std::min<int64_t>(step, kMaxArrayIndex + 1));
      step_seen = true;
    }
    size_t dash = range.find('-');
    auto first = Number(dash == std::string::npos ? range : range.substr(0, dash));
    auto last = dash == std::string::npos ? first : Number(range.substr(dash + 1));
    if (!first || !last) return std::string(kExpected) + ", got " + Quote(part) + " in " + Quote(text);
    if (*first > *last) return "the range " + Quote(part) + " ends before it starts";
    if (*last > kMaxArrayIndex)
      return "index " + std::to_string(*last) + " is over " + std::to_string(kMaxArrayIndex) +
             " (Slurm's default MaxArraySize is 1001)";
    if (dash == std::string::npos && colon != std::string::npos)
      return "a step needs a range (0-15:4), got " + Quote(part);
    for (int64_t i = *first; i <= *last; i += step) indices.insert(static_cast<int>(i));
  }
  out.indices.assign(indices.begin(), indices.end());
  *array = std::move(out);
  return std::nullopt;
}

std::string ArrayElementText(std::string_view script, int task_id, int64_t array_job_id) {
  std::string out(script);
  if (!out.empty() && out.back() != '\n') out += '\n';
  out += std::string(kArrayElementMarker) + "task=" + std::to_string(task_id) +
         " array_job=" + std::to_string(array_job_id) + "\n";
  return out;
}

std::optional<std::string> ApplyArrayElement(const ArrayElement& e, JobArray* array) {
  if (std::find(array->indices.begin(), array->indices.end(), e.task_id) == array->indices.end())
    return "index " + std::to_string(e.task_id) + " is not one of the array's indices";
  array->task_id = e.task_id;
  array->array_job_id = e.array_job_id;
  return std::nullopt;
}

std::optional<std::string> SplitArrayElement(std::string_view text, ArrayElement* out) {
  ArrayElement e;
  e.script = std::string(text);
  std::string needle = "\n" + std::string(kArrayElementMarker);
  size_t at = e.script.find(needle);
  if (at == std::string::npos) {
    *out = std::move(e);
    return std::nullopt;
  }
  e.line = static_cast<int>(
               std::count(e.script.begin(), e.script.begin() + static_cast<std::ptrdiff_t>(at) + 1, '\n')) +
           1;
  std::string rest = e.script.substr(at + needle.size());
  if (!rest.empty() && rest.back() == '\n') rest.pop_back();
  int task = -1;
  int64_t job = -1;
  auto fields = Split(rest, ' ');
  if (fields.size() == 2 && fields[0].rfind("task=", 0) == 0 && fields[1].rfind("array_job=", 0) == 0) {
    auto t = Number(fields[0].substr(5));
    auto j = ParseInt64(fields[1].substr(10));
    if (t && *t <= kMaxArrayIndex) task = static_cast<int>(*t);
    if (j && *j >= 0) job = *j;
  }
  if (task < 0 || job < 0 || rest.find('\n') != std::string::npos) {
    out->line = e.line;
    return "a line starting " + Quote(Trim(kArrayElementMarker)) +
           " is written by the server for each job of an array, as the script's last line; remove it";
  }
  e.script = e.script.substr(0, at + 1);
  e.task_id = task;
  e.array_job_id = job;
  *out = std::move(e);
  return std::nullopt;
}

std::string ArrayElementName(const std::string& name, int task_id) {
  return name + "_[" + std::to_string(task_id) + "]";
}

}  // namespace skyrun
