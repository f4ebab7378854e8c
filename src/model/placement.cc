#include "model/placement.h"

#include <map>

namespace skyrun {

std::string Placement::Describe() const {
  // Group ranks by node: "local: local-0 (ranks 0-1, gpus 0,1,2,3)".
  std::string out = backend + ":";
  std::map<std::string, std::vector<const TaskPlacement*>> by_node;
  std::vector<std::string> order;
  for (const auto& t : tasks) {
    if (!by_node.count(t.node)) order.push_back(t.node);
    by_node[t.node].push_back(&t);
  }
  bool first = true;
  for (const auto& node : order) {
    out += first ? " " : "; ";
    first = false;
    out += node + " (rank";
    const auto& ts = by_node[node];
    out += ts.size() > 1 ? "s " : " ";
    for (size_t i = 0; i < ts.size(); ++i) out += (i ? "," : "") + std::to_string(ts[i]->rank);
    std::vector<int> gpus;
    for (const auto* t : ts) gpus.insert(gpus.end(), t->gpu_indices.begin(), t->gpu_indices.end());
    if (!gpus.empty()) {
      out += ", gpu";
      out += gpus.size() > 1 ? "s " : " ";
      for (size_t i = 0; i < gpus.size(); ++i) out += (i ? "," : "") + std::to_string(gpus[i]);
    }
    out += ")";
  }
  return out;
}

}  // namespace skyrun
