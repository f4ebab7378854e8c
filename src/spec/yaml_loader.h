// Loading untrusted YAML text with yaml-cpp 0.7 safely, for the spec parser
// (spec_parser.cc). Guards against what yaml-cpp does not:
//   - deep flow nesting ("[[[[...") is refused before parsing;
//   - yaml-cpp's own depth guard (block nesting) becomes a problem;
//   - yaml-cpp loops forever on a document whose top level holds a token it
//     never consumes (e.g. '"x",' or a ',' after a list): a first pass over
//     the parser's events stops when a document makes no progress;
//   - every yaml-cpp exception becomes one located problem.
// Thread-safety: pure functions.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "spec/spec_parser.h"

namespace skyrun::spec_internal {

// The documents of `text`, or none with one problem appended to *problems.
std::vector<YAML::Node> LoadYamlDocuments(std::string_view text, const std::string& file_name,
                                          std::vector<SpecProblem>* problems);

}  // namespace skyrun::spec_internal
