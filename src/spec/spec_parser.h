// The job spec parser and validator: YAML text -> JobSpec (model/job_spec.h).
//
// Called by the CLI (`skyrun validate`, `skyrun launch`) and the API server
// before anything is stored. The format is DESIGN.md's "Job spec": one YAML
// document per job; a multi-stage pipeline is several documents in one file
// whose `depends_on` name each other. Bad input yields EVERY problem found,
// each located (file, line, column, dotted field path) and worded for the
// user; a spec with any problem yields no JobSpec at all.
//
// Safety (issue 10): the text must be UTF-8 without raw control characters;
// string fields hold no NUL or control characters, and only scripts (run,
// setup), env values and expressions may span lines; file_mounts targets stay
// inside the task; URIs (object storage) are refused; fields that nothing
// implements yet (use_spot, max_hourly_cost, budget, objective time, inputs,
// outputs) are refused rather than ignored. docs/spec.md lists the rules.
//
// Limits: texts over 1 MiB are refused unparsed; flow nesting ("[[[", "{{{")
// deeper than 64 is refused before yaml-cpp sees it, and block nesting is
// bounded by yaml-cpp's own depth guard (reported as a problem); at most
// kMaxSpecProblems problems are listed, then one line says how many more.
//
// Thread-safety: all functions are pure (ParseJobSpecFile reads the file
// system) and may be called from any thread concurrently.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/job_spec.h"

namespace skyrun {

// One thing wrong with a spec, precisely located.
struct SpecProblem {
  std::string file;
  int line = 0;         // 1-based; 0 = the whole file
  int column = 0;       // 1-based; 0 = the whole line or file
  std::string field;    // dotted path: "resources.gpu_milli", "roles.worker.count", "inputs[0].uri"
  std::string message;  // what was expected and what was found
  // "job.yaml:7:14: resources.gpu_milli: must be between 1 and 1000, got 0"
  std::string ToString() const;
};

struct SpecParseResult {
  std::vector<JobSpec> specs;         // one per YAML document; empty if any problem
  std::vector<SpecProblem> problems;  // every problem found, in file order
  bool ok() const { return problems.empty(); }
};

inline constexpr size_t kMaxSpecBytes = 1024 * 1024;
inline constexpr int kMaxSpecNesting = 64;
inline constexpr size_t kMaxSpecProblems = 1000;

// What the caller will do with the spec. The broker's fields (use_spot,
// max_hourly_cost, budget, objective time, inputs and outputs) are read by
// default: submission places jobs through the broker (controller/broker.h),
// which weighs each of them. `false` refuses them, for a caller that cannot.
struct SpecParseOptions {
  bool broker_fields = true;
  // envs and secrets written without a value (SkyPilot's "required at
  // launch") that the launch gives (--env, --secret): not refused.
  std::set<std::string> supplied_envs;
  std::set<std::string> supplied_secrets;
};

// Parses and validates every document of `text`. `file_name` is used in the
// problems and, through its stem, as the default job name.
SpecParseResult ParseJobSpecs(std::string_view text, const std::string& file_name);
SpecParseResult ParseJobSpecs(std::string_view text, const std::string& file_name,
                              const SpecParseOptions& options);

// Reads the file (refusing files over 1 MiB and unreadable ones with a
// problem), parses it, and sets each JobSpec::base_dir to the absolute
// directory of the file.
SpecParseResult ParseJobSpecFile(const std::string& path);
SpecParseResult ParseJobSpecFile(const std::string& path, const SpecParseOptions& options);

// A job's stored YAML back into its JobSpec (what the controller, the store
// and the API decode with): exactly one document, every problem one per line
// in the status message. `file` names the source in messages only: base_dir
// stays empty (whoever knows the job's upload resolves its paths).
Result<JobSpec> DecodeStoredJobSpec(std::string_view yaml, const std::string& file);

// The canonical JSON of a parsed spec (quantities in their integer units),
// for `validate -o json` and the API. The parser refuses text that is not
// UTF-8, so a parsed spec dumps safely; callers still dump with
// nlohmann::json::error_handler_t::replace, for specs built by hand.
nlohmann::json SpecToJson(const JobSpec& spec);
nlohmann::json SpecProblemToJson(const SpecProblem& problem);

// One line for people: "gang x2, 8+ CPU, 64 GiB+, A100:8 or H100:8, spot, queue research".
std::string SpecSummary(const JobSpec& spec);

}  // namespace skyrun
