// libFuzzer target for the job spec parser: any bytes, as a spec file, must
// give either specs or problems; never a crash, a hang, a leak or an
// exception. The specs that parse are also turned into JSON and a summary,
// as `skyrun validate -o json` does.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "spec/spec_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  skyrun::SpecParseResult result = skyrun::ParseJobSpecs(text, "fuzz.yaml");
  if (result.ok() == result.specs.empty()) __builtin_trap();  // exactly one of specs and problems
  nlohmann::json out = nlohmann::json::array();
  for (const auto& spec : result.specs) {
    out.push_back(skyrun::SpecToJson(spec));
    if (skyrun::SpecSummary(spec).empty()) __builtin_trap();
  }
  for (const auto& problem : result.problems) {
    if (problem.message.empty() || problem.line < 0 || problem.column < 0) __builtin_trap();
    out.push_back(skyrun::SpecProblemToJson(problem));
    (void)problem.ToString();
  }
  (void)out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return 0;
}
