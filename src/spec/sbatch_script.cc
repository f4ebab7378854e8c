#include "spec/sbatch_script.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "common/strings.h"
#include "spec/field_reader.h"
#include "spec/job_fields.h"
#include "spec/sbatch_array.h"

namespace skyrun::spec_internal {
namespace {

constexpr int kMaxTasks = 1024;

// One directive: its option name without dashes ("nodes", "N") and value.
struct Directive {
  int line = 0;
  std::string option;  // as written, with its dashes: "--nodes", "-N"
  std::string value;
};

// Short options sbatch takes, and their long names.
const std::map<std::string, std::string> kShort = {
    {"-J", "--job-name"}, {"-N", "--nodes"}, {"-n", "--ntasks"}, {"-c", "--cpus-per-task"}, {"-t", "--time"},
    {"-o", "--output"},   {"-e", "--error"}, {"-a", "--array"},  {"-p", "--partition"},     {"-G", "--gpus"}};

bool AllDigits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// "#SBATCH --nodes=2", "#SBATCH -N 2", "#SBATCH -N2": the option and value.
std::optional<Directive> SplitDirective(const std::string& rest, int line) {
  std::string body = Trim(rest);
  size_t hash = body.find(" #");  // a trailing comment
  if (hash != std::string::npos) body = Trim(body.substr(0, hash));
  if (body.empty() || body[0] != '-') return std::nullopt;
  Directive d;
  d.line = line;
  size_t cut = body.find_first_of("= \t");
  if (body.rfind("--", 0) != 0 && body.size() > 2 && cut != 2) {
    d.option = body.substr(0, 2);  // -N2
    d.value = Trim(body.substr(2));
  } else {
    d.option = body.substr(0, cut);
    d.value = cut == std::string::npos ? "" : Trim(body.substr(cut + 1));
  }
  auto it = kShort.find(d.option);
  if (it != kShort.end()) d.option = it->second;
  return d;
}

// "gpu:a100:4", "gpu:4" (--gres); "a100:4", "4" (--gpus-per-node).
struct Gpus {
  std::string model;
  int count = 0;
};

std::optional<Gpus> ParseGpus(std::string text, bool gres) {
  if (gres) {
    if (text.rfind("gpu", 0) != 0) return std::nullopt;
    text = text.size() > 3 && text[3] == ':' ? text.substr(4) : "";
  }
  std::vector<std::string> parts = Split(text, ':');
  if (parts.empty() || parts.size() > 2 || !AllDigits(parts.back())) return std::nullopt;
  Gpus g;
  g.count = static_cast<int>(*ParseInt64(parts.back()));
  if (parts.size() == 2) {
    for (char c : parts[0]) g.model += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return g;
}

}  // namespace

bool LooksLikeSbatch(std::string_view text) {
  if (text.rfind("#!", 0) != 0) return false;
  for (const std::string& raw : Split(std::string(text), '\n')) {
    std::string line = Trim(raw);
    if (line.rfind("#SBATCH", 0) == 0) return true;
    if (!line.empty() && line[0] != '#') return false;  // sbatch stops at the first command
  }
  return false;
}

void ReadSbatchScript(std::string_view text, const std::string& file, const std::string& default_name,
                      JobSpec* spec, std::vector<SpecProblem>* problems) {
  auto problem = [&](int line, const std::string& field, const std::string& message) {
    problems->push_back(SpecProblem{file, line, 1, field, message});
  };
  spec->name = default_name;
  // The line the server appends to each job of an array (spec/sbatch_array.h).
  ArrayElement element;
  if (auto bad = SplitArrayElement(text, &element)) {
    problem(element.line, "#SBATCH --array", *bad);
    return;
  }
  text = element.script;
  spec->run = element.script;
  spec->slurm_env = true;
  int array_line = 0;
  std::optional<int> nodes, per_node, ntasks;
  std::optional<Gpus> gpus;
  int gpus_line = 0;
  std::optional<int64_t> mem_mib;
  int line_no = 0;
  for (const std::string& raw : Split(std::string(text), '\n')) {
    ++line_no;
    std::string line = Trim(raw);
    if (!line.empty() && line[0] != '#') break;
    if (line.rfind("#SBATCH", 0) != 0) continue;
    auto d = SplitDirective(line.substr(7), line_no);
    if (!d) {
      problem(line_no, "#SBATCH", "expected an option such as --nodes=2, got " + Quote(Trim(line.substr(7))));
      continue;
    }
    const std::string& o = d->option;
    auto count = [&](int max) -> std::optional<int> {
      auto v = ParseInt64(d->value);
      if (v && *v >= 1 && *v <= max) return static_cast<int>(*v);
      problem(d->line, o,
              "expected a count between 1 and " + std::to_string(max) + ", got " + Quote(d->value));
      return std::nullopt;
    };
    if (o == "--job-name") {
      std::string name = ToLower(d->value);
      if (IsJobName(name)) {
        spec->name = name;
      } else {
        problem(d->line, o,
                "a job name is 1 to 63 characters of a-z, 0-9, '-', '_' and '.', got " + Quote(d->value));
      }
    } else if (o == "--nodes") {
      nodes = count(kMaxTasks);
    } else if (o == "--ntasks-per-node") {
      per_node = count(kMaxTasks);
    } else if (o == "--ntasks") {
      ntasks = count(kMaxTasks);
    } else if (o == "--cpus-per-task") {
      if (auto c = count(1'000'000)) {
        spec->resources.cpus_milli = MilliCpu(kMilliPerUnit) * *c;
        spec->resources.cpus_exact = false;
      }
    } else if (o == "--mem") {
      // sbatch reads a bare number as megabytes; skyrun's parser as GiB.
      auto mib = ParseMemoryMiB(AllDigits(d->value) ? d->value + "M" : d->value);
      if (mib.ok() && *mib > 0) {
        mem_mib = *mib;
      } else {
        problem(d->line, o, "expected a memory size such as 16G or 16000 (MB), got " + Quote(d->value));
      }
    } else if (o == "--time") {
      // sbatch reads a bare number as minutes.
      auto seconds = ParseTimeLimitSeconds(AllDigits(d->value) ? d->value + "m" : d->value);
      if (seconds.ok() && *seconds > 0) {
        spec->time_limit_seconds = *seconds;
      } else {
        problem(d->line, o, "expected a time limit such as 90, 1:30:00 or 2-12:00, got " + Quote(d->value));
      }
    } else if (o == "--gres" || o == "--gpus-per-node") {
      gpus = ParseGpus(ToLower(d->value), o == "--gres");
      gpus_line = d->line;
      if (!gpus) {
        problem(d->line, o,
                "expected GPUs such as " + std::string(o == "--gres" ? "gpu:a100:4" : "a100:4") + ", got " +
                    Quote(d->value));
      } else if (gpus->model.empty()) {
        problem(d->line, o,
                "name the GPU type (" + std::string(o == "--gres" ? "gpu:a100:" : "a100:") +
                    std::to_string(gpus->count) + "): skyrun places a task on a GPU model, not any GPU");
        gpus.reset();
      }
    } else if (o == "--output" || o == "--error") {
      // Accepted and not used: skyrun keeps each rank's output (skyrun logs).
    } else if (o == "--array") {
      if (auto bad = ParseArraySpec(d->value, &spec->array)) problem(d->line, o, *bad);
      array_line = d->line;
    } else if (o == "--partition") {
      problem(d->line, o,
              "partitions are a Slurm cluster's own; skyrun places the job on any backend (say where with a "
              "spec's resources.infra): remove the directive");
    } else {
      problem(d->line, o, "this directive is not read by skyrun yet; remove it or write the job as a spec");
    }
  }
  if (element.task_id >= 0) {
    if (auto bad = ApplyArrayElement(element, &spec->array)) {
      problem(element.line, "#SBATCH --array",
              *bad + (array_line > 0 ? " (line " + std::to_string(array_line) + ")" : ""));
    }
  }
  int tasks_per_node = per_node.value_or(1);
  int tasks = ntasks ? *ntasks : nodes.value_or(1) * tasks_per_node;
  if (tasks > kMaxTasks) {
    problem(0, "#SBATCH",
            "asks for " + std::to_string(tasks) + " tasks; at most " + std::to_string(kMaxTasks));
    return;
  }
  spec->num_nodes = tasks;
  spec->tasks_per_node = tasks_per_node;
  spec->mode = tasks > 1 ? JobMode::kGang : JobMode::kSingle;
  if (mem_mib) spec->resources.memory_mib = MemoryMiB(*mem_mib / tasks_per_node);
  if (gpus) {
    if (gpus->count % tasks_per_node != 0) {
      problem(gpus_line, "#SBATCH",
              std::to_string(gpus->count) + " GPUs per node do not split evenly over " +
                  std::to_string(tasks_per_node) + " tasks per node");
    } else {
      spec->resources.accelerators[gpus->model] = gpus->count / tasks_per_node;
    }
  }
}

}  // namespace skyrun::spec_internal
