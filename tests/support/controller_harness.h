// What tests of the controller share: a job record made from a spec the way
// the API stores one, and cycles of the controller on a simulated clock that
// wait for the driver calls each cycle asked for. Part of the test-support
// library (skyrun_controller_test_support). Thread-safety: call from the
// test's thread.
#pragma once

#include <string>

#include "common/clock.h"
#include "controller/controller.h"
#include "store/store.h"

namespace skyrun::test_support {

// The record the API would store for `yaml` (one document, which must parse:
// a problem fails the calling test) submitted by `tenant`.
JobRecord JobRecordFromYaml(const std::string& yaml, TenantId tenant = TenantId());

// `n` cycles, `step` of simulated time apart; each waits (up to 30 s) for the
// backend calls it asked for, so the next cycle reads their answers. A
// backend that does not answer fails the calling test.
void RunCycles(Controller& controller, SimulatedClock& clock, int n, Micros step);

}  // namespace skyrun::test_support
