// `squeue --json` as Slurm 22.05 prints it (recorded from a real cluster:
// tests/slurm/recorded/squeue_json_mixed.txt holds a running job of another
// user, a running skyrun gang, a failed, a pending, a cancelled job and one
// killed by a signal), and the shape later releases print.
#include "drivers/slurm/squeue_json.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/slurm/recorded_output.h"

namespace skyrun {
namespace {

TEST(SqueueJson, EveryJobOfTheRecordedDocument) {
  auto jobs = ParseSqueueJson(Recorded("squeue_json_mixed.txt"));
  ASSERT_TRUE(jobs.ok()) << jobs.status().message();
  ASSERT_EQ(jobs->size(), 6u);

  const SlurmJobInfo& gang = jobs->at("2");
  EXPECT_EQ(gang.name, "skyrun-7-gang-a1");
  EXPECT_EQ(gang.state, "RUNNING");
  EXPECT_EQ(gang.node_list, "node[1-2]");
  EXPECT_EQ(gang.batch_host, "node1");
  EXPECT_GT(gang.start_time, 0);
  EXPECT_EQ(gang.end_time, 0);  // a running job's end is its limit, not an event
  EXPECT_EQ(gang.reason, "");

  const SlurmJobInfo& failed = jobs->at("3");
  EXPECT_EQ(failed.state, "FAILED");
  ASSERT_TRUE(failed.exit_code);
  EXPECT_EQ(*failed.exit_code, 3);  // wait status 768
  EXPECT_FALSE(failed.exit_signal);
  EXPECT_EQ(failed.reason, "NonZeroExitCode");
  EXPECT_GT(failed.end_time, 0);

  const SlurmJobInfo& pending = jobs->at("4");
  EXPECT_EQ(pending.state, "PENDING");
  EXPECT_EQ(pending.reason, "Resources");
  EXPECT_EQ(pending.start_time, 0);  // an estimate, not an event
  EXPECT_EQ(pending.name, "skyrun-10-pending job-a1");

  const SlurmJobInfo& cancelled = jobs->at("5");
  EXPECT_EQ(cancelled.state, "CANCELLED");
  ASSERT_TRUE(cancelled.exit_signal);
  EXPECT_EQ(*cancelled.exit_signal, 15);  // wait status 15: SIGTERM

  const SlurmJobInfo& signalled = jobs->at("6");
  ASSERT_TRUE(signalled.exit_signal);
  EXPECT_EQ(*signalled.exit_signal, 9);

  // What the rank of each job reads (the mapping Poll uses).
  EXPECT_EQ(MapSlurmJobState(gang, {}).state, RunState::kRunning);
  EXPECT_EQ(MapSlurmJobState(failed, {}).state, RunState::kFailed);
  EXPECT_EQ(MapSlurmJobState(pending, {}).state, RunState::kLaunching);
  EXPECT_EQ(MapSlurmJobState(cancelled, {}).state, RunState::kKilled);
}

TEST(SqueueJson, TheLaterShapeWithFlagListsAndNumberObjects) {
  // Slurm 23.02 and later: job_state a list, numbers as {set, infinite, number},
  // exit_code an object.
  auto jobs = ParseSqueueJson(R"({"jobs": [
    {"job_id": 12, "name": "skyrun-1-a-a1", "job_state": ["COMPLETED"], "state_reason": "None",
     "nodes": "n1", "batch_host": "n1",
     "exit_code": {"status": ["SUCCESS"], "return_code": {"set": true, "infinite": false, "number": 0}},
     "start_time": {"set": true, "infinite": false, "number": 1796207441},
     "end_time": {"set": true, "infinite": false, "number": 1796207501}},
    {"job_id": 13, "name": "x", "job_state": ["RUNNING", "COMPLETING"],
     "exit_code": {"return_code": {"set": true, "number": 0},
                   "signal": {"id": {"set": true, "number": 9}, "name": "KILL"}},
     "start_time": {"set": true, "number": 1796207441}, "end_time": {"set": false, "number": 0}}],
    "errors": []})");
  ASSERT_TRUE(jobs.ok()) << jobs.status().message();
  const SlurmJobInfo& done = jobs->at("12");
  EXPECT_EQ(done.state, "COMPLETED");
  EXPECT_EQ(done.start_time, 1796207441 * kMicrosPerSecond);
  EXPECT_EQ(done.end_time, 1796207501 * kMicrosPerSecond);
  ASSERT_TRUE(done.exit_code);
  EXPECT_EQ(*done.exit_code, 0);
  const SlurmJobInfo& running = jobs->at("13");
  EXPECT_EQ(running.state, "RUNNING");
  ASSERT_TRUE(running.exit_signal);
  EXPECT_EQ(*running.exit_signal, 9);
}

TEST(SqueueJson, WhatIsNotSqueuesJsonIsRefused) {
  // An squeue without --json prints its usage; a damaged document; errors.
  EXPECT_FALSE(ParseSqueueJson("squeue: unrecognized option '--json'\nTry \"squeue --help\"").ok());
  EXPECT_FALSE(ParseSqueueJson(R"({"jobs": [{"job_id": 1, "job_state": "RUN)").ok());
  EXPECT_FALSE(
      ParseSqueueJson(R"({"jobs": [], "errors": [{"error": "Unable to contact slurm controller"}]})").ok());
  auto empty = ParseSqueueJson(R"({"jobs": [], "errors": []})");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(SacctRows, OneJobPerRowAndTheDisabledCase) {
  // sacct -n -P -X -o JobIDRaw,State,ExitCode,Start,End,NodeList -j 41,42 (format of
  // its man page; the test cluster has no slurmdbd to record it from).
  auto rows = ParseSacctRows(
      "41|COMPLETED|0:0|2026-11-23T13:44:13|2026-11-23T13:45:13|node1\n"
      "42|CANCELLED by 0|0:15|2026-11-23T13:44:13|2026-11-23T13:44:20|node[1-2]\n");
  ASSERT_TRUE(rows.ok()) << rows.status().message();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].job_id, "41");
  EXPECT_EQ((*rows)[1].state, "CANCELLED");
  ASSERT_TRUE((*rows)[1].exit_signal);
  EXPECT_EQ(*(*rows)[1].exit_signal, 15);
  EXPECT_EQ((*rows)[1].node_list, "node[1-2]");
  auto none = ParseSacctRows("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(ParseSacctRows(Recorded("sacct_disabled.txt")).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ParseSacctRows("41|COMPLETED\n").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace skyrun
