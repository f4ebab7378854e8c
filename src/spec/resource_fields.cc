#include "spec/resource_fields.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "common/strings.h"
#include "expr/check.h"

namespace skyrun::spec_internal {
namespace {

const std::vector<std::string> kResourceFields = {"accelerators", "gpu_milli", "cpus",
                                                  "memory",       "use_spot",  "requirements",
                                                  "rank",         "infra",     "max_hourly_cost"};

constexpr const char* kAcceleratorHelp = "a GPU model and count such as A100:8, H100 or A100-80GB:1";

bool IsNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

// "A100", "A100-80GB", "tpu-v4": starts with a letter.
bool IsModelName(std::string_view s) {
  if (s.empty() || s.size() > 64 || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s)
    if (!IsNameChar(c)) return false;
  return true;
}

// A GPU count: whole GPUs (1..kMaxGpusPerTask), or a share of one GPU
// (SkyPilot's "K80:0.5") in milli-GPU.
struct GpuAmount {
  int count = 1;
  int milli = 0;  // 1..999 for a share; 0 for whole GPUs
};

// Checks a GPU count written as `count_text`; `shown` is what the user wrote,
// for the message. Reports at `at`.
std::optional<GpuAmount> GpuCount(FieldReader& reader, const Field& at, const std::string& count_text,
                                  const std::string& shown) {
  std::string range = "the count must be between 1 and " + std::to_string(kMaxGpusPerTask);
  std::string text = Trim(count_text);
  auto count = ParseInt64(text);
  if (!count && text.find('.') != std::string::npos && !text.empty() && text[0] != '-') {
    auto milli = ParseMilli(text);
    if (milli.ok() && *milli > 0 && *milli < 1000) return GpuAmount{1, static_cast<int>(*milli)};
    if (milli.ok() && *milli % 1000 == 0) {
      count = *milli / 1000;
    } else if (milli.ok() && *milli > 1000) {
      reader.Problem(at, Quote(shown) +
                             ": a share of a GPU is below 1 (such as 0.5); more than one GPU is "
                             "a whole number");
      return std::nullopt;
    }
  }
  if (!count) {
    reader.Problem(at, "expected " + std::string(kAcceleratorHelp) + ", got " + Quote(shown));
    return std::nullopt;
  }
  if (*count < 0) {
    reader.Problem(
        at, "negative GPUs: " + Quote(shown) + " asks for " + std::to_string(*count) + " GPUs; " + range);
    return std::nullopt;
  }
  if (*count == 0) {
    reader.Problem(at, "zero GPUs: " + Quote(shown) + " asks for no GPU; " + range +
                           " (leave accelerators out for a CPU-only task)");
    return std::nullopt;
  }
  if (*count > kMaxGpusPerTask) {
    reader.Problem(at, Quote(shown) + " asks for " + std::to_string(*count) + " GPUs in one task; " + range +
                           " (use num_nodes for more)");
    return std::nullopt;
  }
  return GpuAmount{static_cast<int>(*count), 0};
}

// What the accelerators of one resources map add up to while read.
struct AcceleratorSet {
  std::map<std::string, int> counts;
  std::vector<std::string> order;
  std::map<std::string, SourcePos> seen;
  std::optional<int> share_milli;  // the GPU share all of them ask for, if any
};

// One accelerator written as text: "A100:8", "A100" (one GPU), "K80:0.5".
void ReadAcceleratorText(FieldReader& reader, const Field& at, const std::string& text, AcceleratorSet* set) {
  std::string spec = Trim(text);
  size_t colon = spec.rfind(':');
  std::string model = Trim(spec.substr(0, colon));
  if (!IsModelName(model)) {
    reader.Problem(at, "expected " + std::string(kAcceleratorHelp) + ", got " + Quote(spec));
    return;
  }
  GpuAmount amount;
  if (colon != std::string::npos) {
    auto parsed = GpuCount(reader, at, spec.substr(colon + 1), spec);
    if (!parsed) return;
    amount = *parsed;
  }
  auto [prev, inserted] = set->seen.emplace(model, at.pos);
  if (!inserted) {
    auto count = set->counts.find(model);
    if (count != set->counts.end() && count->second != amount.count) {
      reader.Problem(at, model + " is asked for with two counts (" + std::to_string(count->second) + " and " +
                             std::to_string(amount.count) +
                             "): a choice among counts of one GPU model is not built yet; keep one");
      return;
    }
    reader.Problem(
        at, model + " is listed twice (first at line " + std::to_string(prev->second.line) + "); keep one");
    return;
  }
  if (set->share_milli && *set->share_milli != amount.milli) {
    reader.Problem(
        at, "every choice must ask for the same share of a GPU (or whole GPUs); " + Quote(spec) + " differs");
    return;
  }
  set->share_milli = amount.milli;
  set->counts[model] = amount.count;
  set->order.push_back(model);
}

void ReadAccelerators(FieldReader& reader, const Field& field, ResourceRequest* out) {
  if (field.IsNull()) return;
  size_t problems_before = reader.problem_count();
  AcceleratorSet set;
  bool listed = false;
  if (field.value.IsScalar()) {
    if (auto text = reader.String(field, kAcceleratorHelp)) ReadAcceleratorText(reader, field, *text, &set);
  } else if (field.value.IsSequence()) {
    // [V100, T4]: any of these, in order of preference (SkyPilot's list).
    listed = true;
    auto items = reader.List(field, "a list of GPU models", false);
    if (!items) return;
    for (const auto& item : *items)
      if (auto text = reader.String(item, kAcceleratorHelp)) ReadAcceleratorText(reader, item, *text, &set);
  } else {
    // {A100: 8, H100: 8}, or SkyPilot's set {L4, A10G:2}: any one of these.
    auto entries = reader.Entries(field, "GPU models");
    if (!entries) return;
    for (const auto& entry : *entries) {
      if (entry.IsNull()) {
        // A set member: the key is the whole "MODEL[:COUNT]".
        ReadAcceleratorText(reader, Field(entry.path, entry.key, entry.value, entry.key_pos, entry.key_pos),
                            entry.key, &set);
        continue;
      }
      if (!IsModelName(entry.key)) {
        reader.Problem(
            entry.key_pos, entry.path,
            Quote(entry.key) + " is not a GPU model name; expected a name such as A100 or A100-80GB");
        continue;
      }
      if (!entry.value.IsScalar()) {
        reader.Problem(entry, "expected a GPU count between 1 and " + std::to_string(kMaxGpusPerTask) +
                                  ", got " + Describe(entry.value));
        continue;
      }
      ReadAcceleratorText(reader, entry, entry.key + ": " + entry.value.Scalar(), &set);
    }
  }
  if (reader.problem_count() != problems_before) return;
  out->accelerators = set.counts;
  if (listed) out->accelerator_order = set.order;
  if (set.share_milli && *set.share_milli > 0) out->gpu_milli = MilliGpu(*set.share_milli);
  if (out->accelerators.empty() && (field.value.IsMap() || field.value.IsSequence())) {
    reader.Problem(field,
                   "is empty: name a GPU such as A100:1, or leave accelerators out for a CPU-only task");
  }
}

// "8", "8+", "0.5", "500m" -> milli-CPU; "+" means "at least".
void ReadCpus(FieldReader& reader, const Field& field, ResourceRequest* out) {
  constexpr const char* kHelp = "a CPU count such as 8, 8+ (at least 8), 0.5 or 500m";
  auto text = reader.String(field, kHelp);
  if (!text) return;
  std::string number = Trim(*text);
  bool exact = true;
  if (!number.empty() && number.back() == '+') {
    exact = false;
    number = Trim(number.substr(0, number.size() - 1));
  }
  auto milli = ParseMilli(number);
  if (!milli.ok()) {
    reader.Problem(field, "expected " + std::string(kHelp) + ", got " + Quote(*text));
    return;
  }
  if (*milli <= 0) {
    reader.Problem(
        field, std::string(*milli < 0 ? "negative CPUs: " : "") + "must be more than 0, got " + Quote(*text));
    return;
  }
  if (*milli > kMaxCpusMilli) {
    reader.Problem(field,
                   "must be at most " + std::to_string(kMaxCpusMilli / 1000) + " CPUs, got " + Quote(*text));
    return;
  }
  out->cpus_milli = MilliCpu(*milli);
  out->cpus_exact = exact;
}

// "64", "64+", "64GiB", "512MiB" -> MiB; a bare number is GiB.
void ReadMemory(FieldReader& reader, const Field& field, ResourceRequest* out) {
  constexpr const char* kHelp = "a memory size such as 64 (GiB), 64+ (at least 64 GiB), 64GiB or 512MiB";
  auto text = reader.String(field, kHelp);
  if (!text) return;
  std::string number = Trim(*text);
  bool exact = true;
  if (!number.empty() && number.back() == '+') {
    exact = false;
    number = Trim(number.substr(0, number.size() - 1));
  }
  if (!number.empty() && number[0] == '-') {
    reader.Problem(field, "must be more than 0, got " + Quote(*text));
    return;
  }
  auto mib = ParseMemoryMiB(number);
  if (!mib.ok()) {
    bool too_large = mib.status().message().find("too large") != std::string::npos;
    reader.Problem(field, too_large ? "is too large: " + Quote(*text)
                                    : "expected " + std::string(kHelp) + ", got " + Quote(*text));
    return;
  }
  if (*mib <= 0) {
    reader.Problem(field, "must be more than 0, got " + Quote(*text));
    return;
  }
  if (*mib > kMaxMemoryMiB) {
    reader.Problem(field, "must be at most 1 PiB, got " + Quote(*text));
    return;
  }
  out->memory_mib = MemoryMiB(*mib);
  out->memory_exact = exact;
}

void ReadInfra(FieldReader& reader, const Field& field, std::vector<std::string>* out) {
  auto items = reader.List(field, "a place or a list of places", /*scalar_is_one_item=*/true);
  if (!items) return;
  for (const auto& item : *items) {
    auto place = reader.String(item, InfraPlaceHelp());
    if (!place) continue;
    std::string trimmed = Trim(*place);
    // The planner also takes a zone: "gcp/us-central1/us-central1-a".
    size_t last = trimmed.rfind('/');
    bool zone = reader.broker_fields() && last != std::string::npos && trimmed.find('/') != last &&
                IsInfraPlace(trimmed.substr(0, last)) && IsInfraPlace(trimmed.substr(last + 1)) &&
                trimmed.substr(last + 1).find('/') == std::string::npos;
    if (!IsInfraPlace(trimmed) && !zone) {
      reader.Problem(item, std::string("expected ") + InfraPlaceHelp() + ", got " + Quote(*place));
      continue;
    }
    out->push_back(trimmed);
  }
}

}  // namespace

namespace {

// One to `max_parts` non-empty parts of name characters, separated by '/'.
bool HasPlaceShape(const std::string& place, size_t max_parts) {
  if (place.empty() || place.size() > 128) return false;
  std::vector<std::string> parts = Split(place, '/');
  if (parts.size() > max_parts) return false;
  for (const auto& part : parts) {
    if (part.empty()) return false;
    for (char c : part)
      if (!IsNameChar(c)) return false;
  }
  return true;
}

}  // namespace

bool IsInfraPlace(const std::string& place) {
  return HasPlaceShape(place, 2);
}

bool IsDataLocation(const std::string& place) {
  return place == "local" || (HasPlaceShape(place, 2) && place.find('/') != std::string::npos);
}

const char* InfraPlaceHelp() {
  return "'local', a kind of backend or a cloud ('slurm', 'aws'), '<kind>/<name>' (slurm/hpc1) or "
         "'<cloud>/<region>' (aws/us-east-1)";
}

const char* DataLocationHelp() {
  return "'local' or '<cloud>/<region>' such as aws/us-east-1";
}

// The expression language's parse and type check; each error (with its
// caret line) becomes a problem at the field.
static bool CheckExpression(FieldReader& reader, const Field& f, const std::string& text,
                            expr::ExprRole role) {
  auto report = expr::CheckText(text, role);
  if (!report.ok()) {
    reader.Problem(f, report.status().message());
    return false;
  }
  for (const std::string& e : report->errors) reader.Problem(f, e);
  return report->ok();
}

void ReadResources(FieldReader& reader, const Field& field, ResourceRequest* out, ResourceScope scope,
                   JobSpec* job) {
  std::vector<std::string> allowed = kResourceFields;
  for (const auto& k : SkyPilotResourceFields()) allowed.push_back(k);
  auto fields = reader.Fields(field, allowed, "a map of resources (accelerators, cpus, memory, ...)");
  if (!fields) return;
  std::optional<Field> gpu_milli_field;
  CloudPlace place;
  bool infra_given = false;
  for (const auto& f : *fields) {
    if (std::find(kResourceFields.begin(), kResourceFields.end(), f.key) == kResourceFields.end()) {
      ReadSkyPilotResourceField(reader, f, scope, out, job, &place);
    } else if (f.key == "accelerators") {
      ReadAccelerators(reader, f, out);
    } else if (f.key == "gpu_milli") {
      if (auto v = reader.Int(f, 1, 1000)) {
        out->gpu_milli = MilliGpu(*v);
        gpu_milli_field.emplace(f);
      }
    } else if (f.key == "cpus") {
      ReadCpus(reader, f, out);
    } else if (f.key == "memory") {
      ReadMemory(reader, f, out);
    } else if (f.key == "use_spot") {
      // Not built yet (issue 10, item 17): refused rather than ignored.
      auto v = reader.Bool(f);
      if (v && reader.broker_fields()) {
        out->use_spot = *v;
      } else if (v && *v) {
        reader.Problem(f.key_pos, f.path, "spot capacity is not built yet; remove the field or set it false");
      }
    } else if (f.key == "requirements") {
      // Parsed and type-checked now, so a mistake is refused at submission
      // with its place rather than leaving the job waiting for a node.
      if (auto v = reader.String(f, "an expression such as 'GpuMemoryMB >= 40000'", TextKind::kScript)) {
        if (CheckExpression(reader, f, *v, expr::ExprRole::kRequirements)) out->requirements = *v;
      }
    } else if (f.key == "rank") {
      if (auto v = reader.String(f, "an expression such as '-HourlyPrice'", TextKind::kScript)) {
        if (CheckExpression(reader, f, *v, expr::ExprRole::kRank)) out->rank = *v;
      }
    } else if (f.key == "infra") {
      infra_given = true;
      ReadInfra(reader, f, &out->infra);
    } else if (f.key == "max_hourly_cost") {
      auto cap = reader.NonNegativeNumber(f, "a price in USD per hour such as 40");
      if (cap && reader.broker_fields()) {
        out->max_hourly_cost = *cap;
      } else if (cap) {
        reader.Problem(f.key_pos, f.path,
                       "a price cap is not enforced yet (placement does not weigh prices); remove the field");
      }
    }
  }
  FinishCloudPlace(reader, place, infra_given, out, job);
  if (gpu_milli_field) {
    for (const auto& [model, count] : out->accelerators) {
      if (count <= 1) continue;
      reader.Problem(*gpu_milli_field, "a GPU share is for single-GPU tasks, but accelerators asks for " +
                                           model + ":" + std::to_string(count) +
                                           "; leave gpu_milli out, or ask for one GPU (" + model + ":1)");
      break;
    }
  }
}

}  // namespace skyrun::spec_internal
