// The checks across the documents of one spec file, which together form a
// pipeline: every job name is unique, every depends_on entry names another
// document's job, and the dependencies have no cycle. Called by
// spec_parser.cc after each document is read. Thread-safety: see FieldReader.
#pragma once

#include <yaml-cpp/yaml.h>

#include <vector>

#include "model/job_spec.h"
#include "spec/field_reader.h"

namespace skyrun::spec_internal {

// SkyPilot's chain DAG (issue 15): a file of several documents whose first
// holds only `name:` is a chain. True if `docs` starts with such a header;
// a header with more (execution: parallel, a job group) is refused.
bool ReadChainHeader(FieldReader& reader, const std::vector<YAML::Node>& docs);
// A chain's stages run in file order: each stage without depends_on comes
// after the stage before it.
void ChainStages(std::vector<JobSpec>* specs);

// `doc_pos[i]` is where document i starts (for jobs named by default).
void CheckPipeline(FieldReader& reader, const std::vector<JobSpec>& specs,
                   const std::vector<SourcePos>& doc_pos);

}  // namespace skyrun::spec_internal
