// num_nodes as a range (`num_nodes: 2..8`) and `scaling_efficiency` (issue
// 12): reading them into JobSpec::node_range and the checks against the mode.
// The model they feed is model/job_spec.h's NodeRange; the broker chooses the
// count (optimizer/optimizer.h). Called by job_fields.cc only.
// Thread-safety: see FieldReader.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/job_spec.h"
#include "spec/field_reader.h"

namespace skyrun::spec_internal {

// "2..8" -> {2, 8}; nullopt when `text` is not two whole numbers joined by "..".
struct NodeCountRange {
  int64_t min = 0;
  int64_t max = 0;
};
std::optional<NodeCountRange> ParseNodeRangeText(std::string_view text);

// num_nodes: a count (1..max_nodes) or a range MIN..MAX within it. Sets
// spec->num_nodes (the count, or MIN) and spec->node_range (for a range).
void ReadNumNodes(FieldReader& reader, const Field& field, int max_nodes, JobSpec* spec);

// scaling_efficiency: a number with 0 < e <= 1.
void ReadScalingEfficiency(FieldReader& reader, const Field& field, JobSpec* spec);

// After the mode is known: a range only on a gang (no mode, or mode gang),
// and scaling_efficiency only with a range. Either field may be null.
void CheckNodeRange(FieldReader& reader, const Field* num_nodes, const Field* efficiency,
                    const JobSpec& spec);

}  // namespace skyrun::spec_internal
