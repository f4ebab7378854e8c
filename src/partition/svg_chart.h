// The experiment's chart as a self-contained SVG: one panel per layer count,
// time per iteration relative to even (percent) against the device count, for
// the pipelined model (top row) and the sequential model (bottom row), with
// the seed's reported -55% marked. Called by `skyrun partition experiment`.
// Thread-safety: pure.
#pragma once

#include <string>

#include "partition/experiment.h"

namespace skyrun::partition {

std::string ExperimentSvg(const ExperimentResult& result);

}  // namespace skyrun::partition
