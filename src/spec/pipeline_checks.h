// The checks across the documents of one spec file, which together form a
// pipeline: every job name is unique, every depends_on entry names another
// document's job, and the dependencies have no cycle. Called by
// spec_parser.cc after each document is read. Thread-safety: see FieldReader.
#pragma once

#include <vector>

#include "model/job_spec.h"
#include "spec/field_reader.h"

namespace skyrun::spec_internal {

// `doc_pos[i]` is where document i starts (for jobs named by default).
void CheckPipeline(FieldReader& reader, const std::vector<JobSpec>& specs,
                   const std::vector<SourcePos>& doc_pos);

}  // namespace skyrun::spec_internal
