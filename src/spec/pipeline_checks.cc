#include "spec/pipeline_checks.h"

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "common/strings.h"

namespace skyrun::spec_internal {
namespace {

// Beyond this many jobs, messages neither list them nor look for near names
// (a file may hold thousands of documents).
constexpr size_t kMaxNamesShown = 50;

SourcePos PositionOf(const JobSpec& spec, const std::string& path, SourcePos fallback) {
  auto it = spec.field_positions.find(path);
  return it == spec.field_positions.end() ? fallback : it->second;
}

std::string DependencyPath(const JobSpec& spec, size_t k) {
  std::string indexed = "depends_on[" + std::to_string(k) + "]";
  return spec.field_positions.count(indexed) != 0 ? indexed : "depends_on";
}

// "'a' -> 'b' -> 'a'", shortened in the middle for long loops.
std::string DescribeCycle(const std::vector<std::string>& names) {
  constexpr size_t kShown = 6;
  std::vector<std::string> parts;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names.size() > kShown + 1 && i == kShown / 2) {
      parts.push_back("... (" + std::to_string(names.size() - kShown) + " more)");
      i = names.size() - kShown / 2 - 1;
      continue;
    }
    parts.push_back(Quote(names[i]));
  }
  return Join(parts, " -> ");
}

}  // namespace

bool ReadChainHeader(FieldReader& reader, const std::vector<YAML::Node>& docs) {
  if (docs.size() < 2 || !docs.front().IsMap()) return false;
  // Only yaml-cpp's iteration here: a lookup of a missing key yields a node
  // that throws when asked anything but IsDefined.
  std::vector<std::pair<YAML::Node, YAML::Node>> entries;
  bool named = false;
  for (const auto& entry : docs.front()) {
    std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (key != "name" && key != "execution" && key != "primary_tasks") return false;  // a job, read as one
    named = named || key == "name";
    entries.emplace_back(entry.first, entry.second);
  }
  if (!named) return false;
  for (const auto& [key_node, value] : entries) {
    const std::string& key = key_node.Scalar();
    if (key == "name") {
      Field name(key, key, value, PosOf(value), PosOf(key_node));
      if (!reader.NonEmptyString(name, "the name of the chain")) continue;
    } else {
      reader.Problem(PosOf(key_node), key,
                     "job groups (stages started together, execution: parallel) are not built yet; skyrun "
                     "runs a file's stages as a chain, each after the one before: leave out " +
                         key);
    }
  }
  return true;
}

void ChainStages(std::vector<JobSpec>* specs) {
  for (size_t i = 1; i < specs->size(); ++i) {
    JobSpec& stage = (*specs)[i];
    if (stage.depends_on.empty()) stage.depends_on.push_back((*specs)[i - 1].name);
  }
}

void CheckPipeline(FieldReader& reader, const std::vector<JobSpec>& specs,
                   const std::vector<SourcePos>& doc_pos) {
  // Names: unique across the file.
  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < specs.size(); ++i) {
    const JobSpec& spec = specs[i];
    auto [first, inserted] = by_name.emplace(spec.name, i);
    if (inserted) continue;
    SourcePos first_pos = PositionOf(specs[first->second], "name", doc_pos[first->second]);
    bool named = spec.field_positions.count("name") != 0;
    std::string message = named
                              ? Quote(spec.name) + " is already the name of the job at line " +
                                    std::to_string(first_pos.line) + "; each job of a file needs its own name"
                              : "this job has no name, so it takes the file's name " + Quote(spec.name) +
                                    ", which another job of the file has (line " +
                                    std::to_string(first_pos.line) + "); give each job a name";
    reader.Problem(PositionOf(spec, "name", doc_pos[i]), "name", message);
  }

  // Dependencies: name another job of the file, once.
  std::vector<std::string> names;
  for (const auto& [name, index] : by_name) names.push_back(name);
  std::vector<std::vector<std::pair<size_t, size_t>>> edges(specs.size());  // (job, depends_on index)
  for (size_t i = 0; i < specs.size(); ++i) {
    const JobSpec& spec = specs[i];
    std::map<std::string, size_t> seen;
    for (size_t k = 0; k < spec.depends_on.size(); ++k) {
      const std::string& dep = spec.depends_on[k];
      std::string path = DependencyPath(spec, k);
      SourcePos pos = PositionOf(spec, path, doc_pos[i]);
      if (dep == spec.name) {
        reader.Problem(pos, path, "a job cannot depend on itself (" + Quote(dep) + ")");
        continue;
      }
      auto target = by_name.find(dep);
      if (target == by_name.end()) {
        std::string message = "no job named " + Quote(dep) + " in this file";
        std::optional<std::string> near;
        if (names.size() <= kMaxNamesShown) near = NearestName(dep, names);
        if (near) {
          message += ", did you mean '" + *near + "'?";
        } else if (names.size() > kMaxNamesShown) {
          message += "; depends_on names other jobs of the same file";
        } else if (specs.size() > 1) {
          message += " (its jobs: " + Join(names, ", ") + ")";
        } else {
          message += "; depends_on names the other jobs of a multi-document file";
        }
        reader.Problem(pos, path, message);
        continue;
      }
      if (!seen.emplace(dep, k).second) {
        reader.Problem(pos, path, Quote(dep) + " is listed twice; keep one");
        continue;
      }
      edges[i].emplace_back(target->second, k);
    }
  }

  // Cycles: an iterative depth-first search (a file may hold many documents),
  // reporting each edge that closes a loop at its depends_on entry.
  enum class Color { kWhite, kOnStack, kDone };
  std::vector<Color> color(specs.size(), Color::kWhite);
  for (size_t start = 0; start < specs.size(); ++start) {
    if (color[start] != Color::kWhite) continue;
    std::vector<std::pair<size_t, size_t>> stack = {{start, 0}};  // (job, next edge)
    color[start] = Color::kOnStack;
    while (!stack.empty()) {
      auto& [job, next] = stack.back();
      if (next == edges[job].size()) {
        color[job] = Color::kDone;
        stack.pop_back();
        continue;
      }
      auto [target, k] = edges[job][next++];
      if (color[target] == Color::kWhite) {
        color[target] = Color::kOnStack;
        stack.emplace_back(target, 0);
      } else if (color[target] == Color::kOnStack) {
        std::vector<std::string> loop;
        size_t from = 0;
        while (stack[from].first != target) ++from;
        for (size_t s = from; s < stack.size(); ++s) loop.push_back(specs[stack[s].first].name);
        loop.push_back(specs[target].name);
        const JobSpec& spec = specs[stack.back().first];
        std::string path = DependencyPath(spec, k);
        reader.Problem(PositionOf(spec, path, doc_pos[stack.back().first]), path,
                       DescribeCycle(loop) +
                           " is a cycle; the stages of a pipeline must not depend on each "
                           "other in a loop");
      }
    }
  }
}

}  // namespace skyrun::spec_internal
