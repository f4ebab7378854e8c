#include "spec/resource_fields.h"

#include <cctype>
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

// Checks a GPU count written as `count_text`; `shown` is what the user wrote,
// for the message. Reports at `at`.
std::optional<int> GpuCount(FieldReader& reader, const Field& at, const std::string& count_text,
                            const std::string& shown) {
  std::string range = "the count must be between 1 and " + std::to_string(kMaxGpusPerTask);
  auto count = ParseInt64(Trim(count_text));
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
  return static_cast<int>(*count);
}

// One accelerator written as a string: "A100:8", "A100" (one GPU).
void ReadAcceleratorString(FieldReader& reader, const Field& item, std::map<std::string, int>* out,
                           std::map<std::string, SourcePos>* seen) {
  auto text = reader.String(item, kAcceleratorHelp);
  if (!text) return;
  std::string spec = Trim(*text);
  size_t colon = spec.rfind(':');
  std::string model = Trim(spec.substr(0, colon));
  if (!IsModelName(model)) {
    reader.Problem(item, "expected " + std::string(kAcceleratorHelp) + ", got " + Quote(spec));
    return;
  }
  int count = 1;
  if (colon != std::string::npos) {
    auto parsed = GpuCount(reader, item, spec.substr(colon + 1), spec);
    if (!parsed) return;
    count = *parsed;
  }
  auto [prev, inserted] = seen->emplace(model, item.pos);
  if (!inserted) {
    reader.Problem(
        item, model + " is listed twice (first at line " + std::to_string(prev->second.line) + "); keep one");
    return;
  }
  (*out)[model] = count;
}

void ReadAccelerators(FieldReader& reader, const Field& field, std::map<std::string, int>* out) {
  if (field.IsNull()) return;
  size_t problems_before = reader.problem_count();
  std::map<std::string, SourcePos> seen;
  if (field.value.IsScalar()) {
    ReadAcceleratorString(reader, field, out, &seen);
  } else if (field.value.IsSequence()) {
    auto items = reader.List(field, "a list of GPU models", false);
    if (!items) return;
    for (const auto& item : *items) ReadAcceleratorString(reader, item, out, &seen);
  } else {
    // {A100: 8, H100: 8}: any one of these.
    auto entries = reader.Entries(field, "GPU models");
    if (!entries) return;
    for (const auto& entry : *entries) {
      if (!IsModelName(entry.key)) {
        reader.Problem(
            entry.key_pos, entry.path,
            Quote(entry.key) + " is not a GPU model name; expected a name such as A100 or A100-80GB");
        continue;
      }
      if (entry.IsNull()) {
        reader.Problem(entry, "needs a GPU count, such as " + entry.key + ": 1");
        continue;
      }
      if (!entry.value.IsScalar()) {
        reader.Problem(entry, "expected a GPU count between 1 and " + std::to_string(kMaxGpusPerTask) +
                                  ", got " + Describe(entry.value));
        continue;
      }
      auto count = GpuCount(reader, entry, entry.value.Scalar(), entry.key + ": " + entry.value.Scalar());
      if (count) (*out)[entry.key] = *count;
    }
  }
  if (out->empty() && reader.problem_count() == problems_before &&
      (field.value.IsMap() || field.value.IsSequence())) {
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
  out->cpus_milli = *milli;
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
  out->memory_mib = *mib;
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

void ReadResources(FieldReader& reader, const Field& field, ResourceRequest* out) {
  auto fields = reader.Fields(field, kResourceFields, "a map of resources (accelerators, cpus, memory, ...)");
  if (!fields) return;
  std::optional<Field> gpu_milli_field;
  for (const auto& f : *fields) {
    if (f.key == "accelerators") {
      ReadAccelerators(reader, f, &out->accelerators);
    } else if (f.key == "gpu_milli") {
      if (auto v = reader.Int(f, 1, 1000)) {
        out->gpu_milli = static_cast<int>(*v);
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
