#include "spec/spec_cli.h"

#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "spec/spec_overrides.h"
#include "spec/spec_parser.h"

namespace skyrun {
namespace {

constexpr int kExitProblems = 2;

// Reads stdin, at most one byte past the limit, so that ParseJobSpecs refuses an oversized spec.
std::string ReadLimited(std::istream& in) {
  std::string text;
  char buf[64 * 1024];
  while (text.size() <= kMaxSpecBytes && in.read(buf, sizeof buf).gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
  }
  return text;
}

}  // namespace

int RunValidate(const std::string& path, bool json, std::istream& in, std::ostream& out, std::ostream& err,
                const LaunchOverrides& overrides) {
  SpecParseResult result;
  std::string text;
  if (path != "-") {
    result = ParseJobSpecFileWithOverrides(path, overrides, &text);
  } else {
    SpecParseOptions options;
    for (const auto& [k, v] : overrides.envs) options.supplied_envs.insert(k);
    for (const auto& [k, v] : overrides.secrets) options.supplied_secrets.insert(k);
    text = ReadLimited(in);
    result = ParseJobSpecs(text, "<stdin>", options);
    if (result.ok() && !overrides.empty()) {
      auto rewritten = ApplyLaunchOverrides(text, overrides);
      result = rewritten.ok() ? ParseJobSpecs(*rewritten, "<stdin>") : SpecParseResult{};
      if (!rewritten.ok())
        result.problems.push_back(SpecProblem{"<stdin>", 0, 0, "", rewritten.status().message()});
    }
  }
  if (json) {
    nlohmann::json doc{
        {"ok", result.ok()}, {"specs", nlohmann::json::array()}, {"problems", nlohmann::json::array()}};
    for (const auto& spec : result.specs) doc["specs"].push_back(SpecToJson(spec));
    for (const auto& problem : result.problems) doc["problems"].push_back(SpecProblemToJson(problem));
    // The user's strings need not be UTF-8; replace what is not rather than fail.
    out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (result.ok()) {
    out << path << ": ok (" << result.specs.size() << " job" << (result.specs.size() == 1 ? "" : "s")
        << ")\n";
    for (const auto& spec : result.specs) out << "  " << spec.name << ": " << SpecSummary(spec) << "\n";
  } else {
    for (const auto& problem : result.problems) err << problem.ToString() << "\n";
  }
  return result.ok() ? 0 : kExitProblems;
}

}  // namespace skyrun
