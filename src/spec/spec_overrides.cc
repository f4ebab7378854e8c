#include "spec/spec_overrides.h"

#include <yaml-cpp/yaml.h>

#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>

#include "spec/sbatch_script.h"

namespace skyrun {
namespace {

bool IsEnvName(const std::string& name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// A chain's header document: a map of `name` (and nothing a job has).
bool IsHeader(const YAML::Node& doc, size_t index, size_t count) {
  if (index != 0 || count < 2 || !doc.IsMap()) return false;
  for (const auto& entry : doc) {
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (key != "name" && key != "execution" && key != "primary_tasks") return false;
  }
  return true;
}

// Writes `node` back as YAML, keeping multi-line text (run, setup) as
// literal blocks and quoted scalars quoted, so that it reads back the same.
void Emit(YAML::Emitter& out, const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      out << YAML::BeginMap;
      for (const auto& entry : node) {
        out << YAML::Key;
        Emit(out, entry.first);
        out << YAML::Value;
        Emit(out, entry.second);
      }
      out << YAML::EndMap;
      break;
    case YAML::NodeType::Sequence:
      out << YAML::BeginSeq;
      for (const auto& item : node) Emit(out, item);
      out << YAML::EndSeq;
      break;
    case YAML::NodeType::Scalar: {
      const std::string& text = node.Scalar();
      if (text.find('\n') != std::string::npos) {
        out << YAML::Literal << text;
      } else if (node.Tag() == "!") {
        out << YAML::DoubleQuoted << text;
      } else {
        out << text;
      }
      break;
    }
    default: out << YAML::Null;
  }
}

std::string FlagsShown(const LaunchOverrides& o) {
  std::string shown;
  for (const auto& [k, v] : o.envs) shown += " --env " + k;
  for (const auto& [k, v] : o.secrets) shown += " --secret " + k;
  if (!o.gpus.empty()) shown += " --gpus " + o.gpus;
  if (o.num_nodes) shown += " --num-nodes " + std::to_string(*o.num_nodes);
  return shown.empty() ? shown : shown.substr(1);
}

}  // namespace

Result<std::pair<std::string, std::string>> ParseEnvFlag(const std::string& flag, const char* flag_name,
                                                         const char* const* environment) {
  size_t eq = flag.find('=');
  std::string name = flag.substr(0, eq);
  if (!IsEnvName(name)) {
    return InvalidArgument(std::string(flag_name) + " " + flag +
                           ": expected NAME=VALUE, with a NAME of letters, digits and '_'");
  }
  if (eq != std::string::npos) return std::make_pair(name, flag.substr(eq + 1));
  for (const char* const* e = environment; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, name.c_str(), name.size()) == 0 && (*e)[name.size()] == '=')
      return std::make_pair(name, std::string(*e + name.size() + 1));
  }
  return InvalidArgument(std::string(flag_name) + " " + name + ": " + name +
                         " is not set here; give its value as " + flag_name + " " + name + "=VALUE");
}

Result<std::string> ApplyLaunchOverrides(std::string_view text, const LaunchOverrides& overrides) {
  if (overrides.empty()) return std::string(text);
  if (spec_internal::LooksLikeSbatch(text))
    return InvalidArgument(FlagsShown(overrides) +
                           ": these flags apply to YAML specs; in a batch script, set them in the script");
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(text));
  } catch (const std::exception&) {
    return std::string(text);  // not YAML: the parser says where
  }
  std::vector<YAML::Node> jobs;
  for (const auto& doc : docs)
    if (doc.IsDefined() && !doc.IsNull()) jobs.push_back(doc);
  YAML::Emitter out;
  out.SetIndent(2);
  for (size_t i = 0; i < jobs.size(); ++i) {
    YAML::Node doc = jobs[i];
    if (doc.IsMap() && !IsHeader(doc, i, jobs.size())) {
      for (const auto& [k, v] : overrides.envs) {
        if (!doc["envs"].IsMap()) doc["envs"] = YAML::Node(YAML::NodeType::Map);
        doc["envs"][k] = v;
      }
      for (const auto& [k, v] : overrides.secrets) {
        if (!doc["secrets"].IsMap()) doc["secrets"] = YAML::Node(YAML::NodeType::Map);
        doc["secrets"][k] = v;
      }
      if (!overrides.gpus.empty()) {
        if (!doc["resources"].IsMap()) doc["resources"] = YAML::Node(YAML::NodeType::Map);
        doc["resources"]["accelerators"] = overrides.gpus;
      }
      if (overrides.num_nodes) {
        doc["num_nodes"] = *overrides.num_nodes;
        // One count replaces a range: its scaling_efficiency has nothing left to scale.
        if (doc["scaling_efficiency"]) doc.remove("scaling_efficiency");
      }
    }
    if (i > 0) out << YAML::Newline;
    out << YAML::BeginDoc;
    Emit(out, doc);
  }
  if (!out.good())
    return InvalidArgument("cannot write the spec with " + FlagsShown(overrides) + ": " + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

SpecParseResult ParseJobSpecFileWithOverrides(const std::string& path, const LaunchOverrides& overrides,
                                              std::string* text) {
  SpecParseOptions options;
  for (const auto& [k, v] : overrides.envs) options.supplied_envs.insert(k);
  for (const auto& [k, v] : overrides.secrets) options.supplied_secrets.insert(k);
  SpecParseResult as_written = ParseJobSpecFile(path, options);
  if (!as_written.ok()) return as_written;
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  *text = ss.str();
  if (overrides.empty()) return as_written;

  SpecParseResult result;
  auto rewritten = ApplyLaunchOverrides(*text, overrides);
  if (!rewritten.ok()) {
    result.problems.push_back(SpecProblem{path, 0, 0, "", rewritten.status().message()});
    return result;
  }
  std::string shown = path + " (with " + FlagsShown(overrides) + ")";
  result = ParseJobSpecs(*rewritten, shown);
  for (size_t i = 0; i < result.specs.size() && i < as_written.specs.size(); ++i)
    result.specs[i].base_dir = as_written.specs[i].base_dir;
  // The rewritten text's lines mean nothing to the user: name the flags instead.
  for (auto& p : result.problems) {
    p.line = 0;
    p.column = 0;
  }
  *text = *std::move(rewritten);
  return result;
}

}  // namespace skyrun
