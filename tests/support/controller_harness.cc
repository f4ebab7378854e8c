#include "support/controller_harness.h"

#include <gtest/gtest.h>

#include "spec/spec_parser.h"

namespace skyrun::test_support {

JobRecord JobRecordFromYaml(const std::string& yaml, TenantId tenant) {
  JobRecord rec;
  auto spec = DecodeStoredJobSpec(yaml, "job.yaml");
  EXPECT_TRUE(spec.ok()) << spec.status().message();
  if (spec.ok()) rec.spec = *spec;
  rec.tenant = tenant;
  rec.name = rec.spec.name;
  rec.queue = rec.spec.queue;
  rec.priority = rec.spec.priority;
  rec.spec_yaml = yaml;
  rec.spec_file = "job.yaml";
  return rec;
}

void RunCycles(Controller& controller, SimulatedClock& clock, int n, Micros step) {
  for (int i = 0; i < n; ++i) {
    controller.RunOnce();
    ASSERT_TRUE(controller.WaitForBackends(30 * kMicrosPerSecond)) << "a backend did not answer in 30 s";
    clock.Advance(step);
  }
}

}  // namespace skyrun::test_support
