#include "spec/field_reader.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "common/strings.h"

namespace skyrun::spec_internal {
namespace {

// Common slips that edit distance alone would not catch, or would catch
// wrongly ("gpus" is one letter from "cpus"). Used only when the target is
// allowed where the slip was made.
constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
    {"gpus", "accelerators"},
    {"gpu", "accelerators"},
    {"accelerator", "accelerators"},
    {"gpu_type", "accelerators"},
    {"cpu", "cpus"},
    {"mem", "memory"},
    {"ram", "memory"},
    {"env", "envs"},
    {"environment", "envs"},
    {"command", "run"},
    {"cmd", "run"},
    {"script", "run"},
    {"nodes", "num_nodes"},
    {"replicas", "num_nodes"},
    {"spot", "use_spot"},
    {"region", "infra"},
    {"cloud", "infra"},
    {"clouds", "infra"},
    {"docker", "image"},
    {"image_id", "image"},
    {"container", "image"},
    {"dependencies", "depends_on"},
    {"after", "depends_on"},
    {"needs", "depends_on"},
    {"retries", "recovery"},
    {"max_retries", "max_restarts_on_errors"},
    {"exit_codes", "recover_on_exit_codes"},
    {"gpu_share", "gpu_milli"},
    {"timeout", "deadline"},
    {"max_cost", "max_hourly_cost"},
    {"path", "dir"},
    {"replica", "count"},
    {"num", "count"},
    {"size", "size_gb"},
    {"url", "uri"},
    {"cwd", "workdir"},
    {"working_dir", "workdir"},
    {"mounts", "file_mounts"},
    {"tenant", "queue"},
    {"partition", "queue"},
};

std::optional<std::string> Suggest(const std::string& key, const std::vector<std::string>& allowed) {
  std::string lower = ToLower(key);
  for (const auto& [slip, meant] : kAliases) {
    if (slip != lower) continue;
    for (const auto& a : allowed)
      if (a == meant) return a;
  }
  return NearestName(key, allowed);
}

bool IsIntegerText(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

bool LooksLikeDecimal(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool digit = false, dot = false;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digit = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return false;
    }
  }
  return digit;
}

}  // namespace

std::optional<std::string> ForbiddenCharacter(std::string_view text, TextKind kind) {
  for (unsigned char c : text) {
    if (c == 0) return "a NUL character (\\0), which no path, command or environment variable can carry";
    bool line_break = c == '\n' || c == '\r' || c == '\t';
    if (line_break && kind == TextKind::kScript) continue;
    if (c == '\n' || c == '\r') {
      return std::string("a line break (") + (c == '\n' ? "\\n" : "\\r") + "); this field must be one line";
    }
    if (c < 0x20 || c == 0x7f)
      return "a control character (" + Quote(std::string(1, static_cast<char>(c))) + ")";
  }
  return std::nullopt;
}

std::string JoinPath(const std::string& parent, const std::string& child) {
  if (parent.empty()) return child;
  return parent + "." + child;
}

std::string PathKey(std::string_view key) {
  constexpr size_t kMaxPlain = 64;
  bool plain = !key.empty() && key.size() <= kMaxPlain;
  for (unsigned char c : key) plain = plain && c > 0x20 && c != 0x7f && c != '.';
  return plain ? std::string(key) : Quote(key);
}

std::string Quote(std::string_view text) {
  constexpr size_t kMaxShown = 40;
  std::string out = "'";
  size_t shown = 0;
  for (unsigned char c : text) {
    if (shown == kMaxShown) {
      out += "...";
      break;
    }
    ++shown;
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      static const char* kHex = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  out += "'";
  return out;
}

std::string Describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsMap()) return "a map";
  if (node.IsSequence()) return "a list";
  return Quote(node.Scalar());
}

SourcePos PosOf(const YAML::Node& node) {
  if (!node.IsDefined()) return {};
  YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

FieldReader::FieldReader(std::string file, std::string_view text, std::vector<SpecProblem>* problems)
    : file_(std::move(file)), text_(text), problems_(problems) {}

SourcePos FieldReader::EmptyItemPos(const YAML::Node& node, SourcePos fallback) {
  YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.pos <= 0 || static_cast<size_t>(mark.pos) > text_.size()) return fallback;
  size_t at = static_cast<size_t>(mark.pos);
  while (at > 0 && std::isspace(static_cast<unsigned char>(text_[at - 1]))) --at;
  if (at == 0 || (text_[at - 1] != '-' && text_[at - 1] != ',' && text_[at - 1] != '[')) return fallback;
  size_t offset = at - 1;
  if (line_starts_.empty()) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < text_.size(); ++i)
      if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
  auto line = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset) - line_starts_.begin();
  return {static_cast<int>(line), static_cast<int>(offset - line_starts_[line - 1]) + 1};
}

void FieldReader::Problem(SourcePos pos, const std::string& field, std::string message) {
  problems_->push_back(SpecProblem{file_, pos.line, pos.column, field, std::move(message)});
}

Field FieldReader::Root(const YAML::Node& node) {
  return Field{"", "", node, PosOf(node), PosOf(node)};
}

void FieldReader::Record(const Field& field) {
  if (positions_ != nullptr && !field.path.empty()) positions_->emplace(field.path, field.pos);
}

std::optional<std::vector<Field>> FieldReader::Entries(const Field& field, std::string_view what) {
  if (field.IsNull()) return std::nullopt;
  if (!field.value.IsMap()) {
    Problem(field, "expected " + std::string(what) + ", got " + Describe(field.value));
    return std::nullopt;
  }
  std::vector<Field> out;
  std::map<std::string, SourcePos> seen;
  for (auto it = field.value.begin(); it != field.value.end(); ++it) {
    // Copies: it->first would refer into a temporary proxy.
    YAML::Node key = it->first;
    YAML::Node value = it->second;
    SourcePos key_pos = PosOf(key);
    if (!key.IsScalar()) {
      Problem(key_pos, field.path, "a key must be a plain name, got " + Describe(key) + " as a key");
      continue;
    }
    std::string name = key.Scalar();
    // Fields are built, never assigned: assigning to a yaml-cpp Node that
    // refers to a node rewrites that node in the document.
    Field child{JoinPath(field.path, PathKey(name)), name, value, key_pos, key_pos};
    if (!child.IsNull() && PosOf(child.value).line > 0) child.pos = PosOf(child.value);
    auto [prev, inserted] = seen.emplace(name, key_pos);
    if (!inserted) {
      Problem(
          key_pos, child.path,
          Quote(name) + " is set twice (first at line " + std::to_string(prev->second.line) + "); keep one");
      continue;
    }
    Record(child);
    out.push_back(std::move(child));
  }
  return out;
}

std::optional<std::vector<Field>> FieldReader::Fields(const Field& field,
                                                      const std::vector<std::string>& allowed,
                                                      std::string_view what) {
  auto entries = Entries(field, what);
  if (!entries) return std::nullopt;
  std::vector<Field> out;
  for (auto& entry : *entries) {
    bool known = false;
    for (const auto& a : allowed) known = known || a == entry.key;
    if (known) {
      out.push_back(std::move(entry));
      continue;
    }
    if (positions_ != nullptr) positions_->erase(entry.path);
    std::string message = "unknown field";
    if (auto near = Suggest(entry.key, allowed)) {
      message += ", did you mean '" + *near + "'?";
    } else {
      message += "; the fields allowed here are " + Join(allowed, ", ");
    }
    Problem(entry.key_pos, entry.path, message);
  }
  return out;
}

std::optional<std::vector<Field>> FieldReader::List(const Field& field, std::string_view what,
                                                    bool scalar_is_one_item) {
  if (field.IsNull()) return std::nullopt;
  if (field.value.IsScalar() && scalar_is_one_item) return std::vector<Field>{field};
  if (!field.value.IsSequence()) {
    Problem(field, "expected " + std::string(what) + ", got " + Describe(field.value));
    return std::nullopt;
  }
  std::vector<Field> out;
  size_t index = 0;
  for (auto it = field.value.begin(); it != field.value.end(); ++it, ++index) {
    YAML::Node node = *it;
    SourcePos pos = PosOf(node).line > 0 ? PosOf(node) : field.pos;
    if (node.IsNull()) pos = EmptyItemPos(node, pos);
    Field item{field.path + "[" + std::to_string(index) + "]", "", node, pos, pos};
    Record(item);
    out.push_back(std::move(item));
  }
  return out;
}

bool FieldReader::CheckText(SourcePos pos, const std::string& path, std::string_view text, TextKind kind) {
  auto bad = ForbiddenCharacter(text, kind);
  if (!bad) return true;
  Problem(pos, path, "contains " + *bad + ", got " + Quote(text));
  return false;
}

std::optional<std::string> FieldReader::String(const Field& field, std::string_view what, TextKind kind) {
  if (field.IsNull()) return std::nullopt;
  if (!field.value.IsScalar()) {
    Problem(field, "expected " + std::string(what) + ", got " + Describe(field.value));
    return std::nullopt;
  }
  if (!CheckText(field.pos, field.path, field.value.Scalar(), kind)) return std::nullopt;
  return field.value.Scalar();
}

std::optional<std::string> FieldReader::NonEmptyString(const Field& field, std::string_view what,
                                                       TextKind kind) {
  if (field.IsNull()) {
    Problem(field, "is empty: expected " + std::string(what));
    return std::nullopt;
  }
  auto text = String(field, what, kind);
  if (!text) return std::nullopt;
  if (Trim(*text).empty()) {
    Problem(field, "is empty: expected " + std::string(what));
    return std::nullopt;
  }
  return text;
}

std::optional<int64_t> FieldReader::Int(const Field& field, int64_t min, int64_t max) {
  if (field.IsNull()) return std::nullopt;
  std::string expected =
      "expected a whole number between " + std::to_string(min) + " and " + std::to_string(max);
  if (!field.value.IsScalar()) {
    Problem(field, expected + ", got " + Describe(field.value));
    return std::nullopt;
  }
  std::string text = Trim(field.value.Scalar());
  if (!IsIntegerText(text)) {
    Problem(field, expected + ", got " + Quote(text));
    return std::nullopt;
  }
  auto value = ParseInt64(text);
  if (!value || *value < min || *value > max) {
    Problem(field, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                       (text.size() <= 20 ? text : Quote(text)));
    return std::nullopt;
  }
  return value;
}

std::optional<bool> FieldReader::Bool(const Field& field) {
  if (field.IsNull()) return std::nullopt;
  if (field.value.IsScalar()) {
    std::string text = ToLower(Trim(field.value.Scalar()));
    if (text == "true" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "no" || text == "off") return false;
  }
  Problem(field, "expected true or false, got " + Describe(field.value));
  return std::nullopt;
}

std::optional<double> FieldReader::NonNegativeNumber(const Field& field, std::string_view what) {
  if (field.IsNull()) return std::nullopt;
  std::string expected = "expected " + std::string(what);
  if (!field.value.IsScalar()) {
    Problem(field, expected + ", got " + Describe(field.value));
    return std::nullopt;
  }
  std::string text = Trim(field.value.Scalar());
  if (!LooksLikeDecimal(text) || text.size() > 30) {
    Problem(field, expected + ", got " + Quote(text));
    return std::nullopt;
  }
  double value = std::strtod(text.c_str(), nullptr);
  if (!std::isfinite(value)) {
    Problem(field, expected + ", got " + Quote(text));
    return std::nullopt;
  }
  if (value < 0) {
    Problem(field, "must not be negative, got " + text);
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> FieldReader::OneOf(const Field& field, const std::vector<std::string>& allowed) {
  if (field.IsNull()) return std::nullopt;
  std::string expected = "expected one of " + Join(allowed, ", ");
  if (!field.value.IsScalar()) {
    Problem(field, expected + ", got " + Describe(field.value));
    return std::nullopt;
  }
  std::string text = Trim(field.value.Scalar());
  for (const auto& a : allowed)
    if (a == text) return text;
  std::string message = expected + ", got " + Quote(text);
  if (auto near = NearestName(text, allowed)) message += "; did you mean '" + *near + "'?";
  Problem(field, message);
  return std::nullopt;
}

}  // namespace skyrun::spec_internal
