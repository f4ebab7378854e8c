// Reading one YAML document of a spec file into a JobSpec: every top-level
// field of DESIGN.md's "Job spec", the checks between fields (mode against
// num_nodes and roles, run required), and the names of jobs. Called by
// spec_parser.cc only. Thread-safety: see FieldReader.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "model/job_spec.h"
#include "spec/field_reader.h"

namespace skyrun::spec_internal {

inline constexpr int kMaxNodes = 1024;
inline constexpr int kMaxRoleCount = 1024;

// Reads `doc` (one document's root) into *spec, reporting every problem to
// `reader`; `default_name` is the name when the document has none. Records
// the position of every field read in spec->field_positions.
void ReadJobDocument(FieldReader& reader, const YAML::Node& doc, const std::string& default_name,
                     JobSpec* spec);

// A container image reference `text` as written at `field`, trimmed, or
// nullopt (with the problem noted): no spaces, no shell characters.
std::optional<std::string> ValidImageName(FieldReader& reader, const Field& field, const std::string& text);

// [a-z0-9][a-z0-9-_.]{0,62}: job, queue and stage names.
bool IsJobName(const std::string& name);
// The default job name from a file name: its stem, lower-cased, with other
// characters turned into '-' ("My Job.yaml" -> "my-job"); "job" if nothing is left.
std::string DefaultJobName(const std::string& file_name);

}  // namespace skyrun::spec_internal
