#include "spec/node_range.h"

#include <cmath>
#include <cstdlib>

#include "common/strings.h"

namespace skyrun::spec_internal {
namespace {

constexpr const char* kRangeHelp = "a number of nodes such as 4, or a range such as 2..8";

bool AllDigits(std::string_view s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace

std::optional<NodeCountRange> ParseNodeRangeText(std::string_view text) {
  size_t dots = text.find("..");
  if (dots == std::string_view::npos) return std::nullopt;
  std::string lo = Trim(std::string(text.substr(0, dots)));
  std::string hi = Trim(std::string(text.substr(dots + 2)));
  if (!AllDigits(lo) || !AllDigits(hi)) return std::nullopt;
  return NodeCountRange{std::strtoll(lo.c_str(), nullptr, 10), std::strtoll(hi.c_str(), nullptr, 10)};
}

void ReadNumNodes(FieldReader& reader, const Field& field, int max_nodes, JobSpec* spec) {
  if (field.IsNull()) return;
  if (!field.value.IsScalar() || field.value.Scalar().find("..") == std::string::npos) {
    if (auto v = reader.Int(field, 1, max_nodes)) spec->num_nodes = static_cast<int>(*v);
    return;
  }
  std::string text = Trim(field.value.Scalar());
  std::optional<NodeCountRange> r = ParseNodeRangeText(text);
  if (!r) {
    reader.Problem(field, std::string("expected ") + kRangeHelp + ", got " + Quote(text));
    return;
  }
  if (r->min < 1 || r->max > max_nodes) {
    reader.Problem(
        field, "a range's ends must be between 1 and " + std::to_string(max_nodes) + ", got " + Quote(text));
    return;
  }
  if (r->min > r->max) {
    reader.Problem(field, "the range " + Quote(text) +
                              " starts above its end; write the smaller count first, " + "such as " +
                              std::to_string(r->max) + ".." + std::to_string(r->min));
    return;
  }
  if (!reader.broker_fields()) {
    reader.Problem(field,
                   "a range of nodes is chosen by the broker, which this command does not use; give "
                   "one count");
    return;
  }
  spec->num_nodes = static_cast<int>(r->min);
  if (r->min == r->max) return;  // 4..4 is 4 nodes
  spec->node_range.min = static_cast<int>(r->min);
  spec->node_range.max = static_cast<int>(r->max);
}

void ReadScalingEfficiency(FieldReader& reader, const Field& field, JobSpec* spec) {
  auto e = reader.NonNegativeNumber(field, "a parallel efficiency per doubling of the nodes, such as 0.9");
  if (!e) return;
  if (!(*e > 0) || *e > 1) {
    reader.Problem(field, "must be more than 0 and at most 1 (1: twice the nodes take half the time), got " +
                              Trim(field.value.Scalar()));
    return;
  }
  spec->node_range.scaling_efficiency = *e;
}

void CheckNodeRange(FieldReader& reader, const Field* num_nodes, const Field* efficiency,
                    const JobSpec& spec) {
  // ps-worker's num_nodes, and a single job's count above 1, are CheckMode's problems already.
  const bool told = spec.mode == JobMode::kPsWorker || (spec.mode == JobMode::kSingle && spec.num_nodes != 1);
  if (spec.node_range.present() && spec.mode != JobMode::kGang && num_nodes != nullptr && !told) {
    reader.Problem(*num_nodes, std::string("a range of nodes is for a gang, but mode is ") +
                                   JobModeName(spec.mode) + "; give one count, or set mode: gang");
  }
  if (efficiency != nullptr && !spec.node_range.present()) {
    reader.Problem(*efficiency, "is for a range of nodes (num_nodes: 2..8), and num_nodes is one count here");
  }
}

}  // namespace skyrun::spec_internal
