#include "server/job_shapes.h"

#include <gtest/gtest.h>

#include "spec/spec_parser.h"

namespace skyrun {
namespace {

SpecDecoder Decoder() {
  return [](const std::string& yaml, const std::string& file) -> Result<JobSpec> {
    SpecParseResult parsed = ParseJobSpecs(yaml, file);
    if (!parsed.ok()) return InvalidArgument(parsed.problems.front().ToString());
    return parsed.specs.front();
  };
}

JobRecord Record(int64_t id, const std::string& yaml) {
  JobRecord rec;
  rec.id = JobId(id);
  rec.spec_yaml = yaml;
  rec.spec_file = "job.yaml";
  return rec;
}

TEST(JobShapesTest, EachSpecIsParsedOnceAndTheShapeKept) {
  JobShapes shapes(Decoder());
  const std::string gang = "name: g\nmode: gang\nnum_nodes: 3\nresources: {cpus: 1}\nrun: 'true'\n";
  for (int i = 0; i < 5; ++i) {
    JobRecord rec = Record(1, gang);
    shapes.Fill(rec);
    EXPECT_EQ(rec.spec.mode, JobMode::kGang);
    EXPECT_EQ(rec.spec.TaskCount(), 3);
  }
  EXPECT_EQ(shapes.parses(), 1);
}

TEST(JobShapesTest, ASubmittedJobIsNeverParsedAgainAndOldOnesAreDroppedPastCapacity) {
  JobShapes shapes(Decoder(), /*capacity=*/2);
  JobSpec ps;
  ps.mode = JobMode::kPsWorker;
  ps.roles.resize(2);
  ps.roles[0].name = "ps";
  ps.roles[1].name = "worker";
  ps.roles[1].count = 4;
  shapes.Remember(JobId(7), ps);
  JobRecord rec = Record(7, "not yaml at all: [");
  shapes.Fill(rec);
  EXPECT_EQ(rec.spec.mode, JobMode::kPsWorker);
  EXPECT_EQ(rec.spec.TaskCount(), 5);
  EXPECT_EQ(shapes.parses(), 0);

  shapes.Remember(JobId(8), JobSpec{});
  shapes.Remember(JobId(9), JobSpec{});  // job 7 goes
  JobRecord again = Record(7, "name: x\nrun: 'true'\n");
  shapes.Fill(again);
  EXPECT_EQ(shapes.parses(), 1);
  EXPECT_EQ(again.spec.mode, JobMode::kSingle);
}

}  // namespace
}  // namespace skyrun
