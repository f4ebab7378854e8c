#include "model/node.h"

namespace skyrun {

const char* NodeStateName(NodeState s) {
  switch (s) {
    case NodeState::kUp: return "UP";
    case NodeState::kDrain: return "DRAIN";
    case NodeState::kDown: return "DOWN";
  }
  return "UNKNOWN";
}

}  // namespace skyrun
