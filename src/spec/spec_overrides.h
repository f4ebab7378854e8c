// Launch-time overrides of a spec file, as `sky launch` takes them:
// `--env K=V`, `--secret K=V`, `--gpus A100:8`, `--num-nodes 2` (issue 15).
// The file's YAML is rewritten with them (every job document of it) before
// it is parsed and submitted, so that the server stores and re-reads a spec
// complete on its own. Values given here fill SkyPilot's required envs and
// secrets (those written without a value).
//
// Callers: `skyrun launch` and `skyrun validate` (src/cli, spec_cli.cc).
// Thread-safety: pure functions (ParseJobSpecFileWithOverrides reads the file).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "spec/spec_parser.h"

namespace skyrun {

struct LaunchOverrides {
  std::vector<std::pair<std::string, std::string>> envs;     // in the order given
  std::vector<std::pair<std::string, std::string>> secrets;  // idem
  std::string gpus;                                          // "A100:8"; empty = as the file says
  std::optional<int> num_nodes;
  bool empty() const { return envs.empty() && secrets.empty() && gpus.empty() && !num_nodes; }
};

// "K=V" -> (K, V); "K" alone takes K's value from `environment` (as
// `sky launch --env K` does), refused if it has none there.
Result<std::pair<std::string, std::string>> ParseEnvFlag(const std::string& flag, const char* flag_name,
                                                         const char* const* environment);

// `text` with the overrides written into each job document (a chain's header
// document is left as it is). Text that is not YAML comes back unchanged, for
// the parser to report. Comments are not kept in the rewritten text.
Result<std::string> ApplyLaunchOverrides(std::string_view text, const LaunchOverrides& overrides);

// ParseJobSpecFile with the overrides applied; *text receives what was
// parsed (the file's text, rewritten when there are overrides), which is
// what gets submitted. The file is first checked as written (with the
// overrides' names counting as given), so that problems carry its own lines;
// what only the rewritten text shows (a bad --gpus) is said of the flags.
SpecParseResult ParseJobSpecFileWithOverrides(const std::string& path, const LaunchOverrides& overrides,
                                              std::string* text);

}  // namespace skyrun
