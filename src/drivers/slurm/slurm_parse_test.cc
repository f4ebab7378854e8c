// Parsers on outputs recorded from a real Slurm 22.05 cluster
// (tests/slurm/recorded/, made by tests/slurm/record_outputs.sh), and the
// mapping of Slurm job states onto RunState.
#include "drivers/slurm/slurm_parse.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "support/slurm/recorded_output.h"

namespace skyrun {
namespace {

SlurmJobInfo Job(const std::string& name) {
  auto job = ParseScontrolJob(Recorded(name));
  EXPECT_TRUE(job.ok()) << name << ": " << job.status().message();
  return job.ok() ? *job : SlurmJobInfo{};
}

TEST(SlurmParse, KeyValueLinesKeepValuesWithSpaces) {
  auto kv = ParseKeyValueLine(
      "NodeName=n1 OS=Linux 6.1 #1 SMP @0  RealMemory=4096 Power= Reason=Not responding "
      "[root@2026-11-23T13:38:26]");
  EXPECT_EQ(kv["NodeName"], "n1");
  EXPECT_EQ(kv["OS"], "Linux 6.1 #1 SMP @0");
  EXPECT_EQ(kv["RealMemory"], "4096");
  EXPECT_EQ(kv["Power"], "");
  EXPECT_EQ(kv["Reason"], "Not responding [root@2026-11-23T13:38:26]");
  // TRES=cpu=2,mem=1G: only the first '=' separates key and value.
  EXPECT_EQ(ParseKeyValueLine("TRES=cpu=2,mem=1G")["TRES"], "cpu=2,mem=1G");
}

TEST(SlurmParse, GresStrings) {
  auto g = ParseGres("gpu:T4:2(S:0-1),shard:8,gpu:a100:1(S:0,1)");
  ASSERT_EQ(g.size(), 3u);
  EXPECT_EQ(g[0].name, "gpu");
  EXPECT_EQ(g[0].type, "T4");
  EXPECT_EQ(g[0].count, 2);
  EXPECT_EQ(g[1].name, "shard");
  EXPECT_EQ(g[1].type, "");
  EXPECT_EQ(g[1].count, 8);
  EXPECT_EQ(g[2].type, "a100");
  EXPECT_EQ(g[2].count, 1);
  EXPECT_TRUE(ParseGres("(null)").empty());
  auto untyped = ParseGres("gpu:4");
  ASSERT_EQ(untyped.size(), 1u);
  EXPECT_EQ(untyped[0].type, "");
  EXPECT_EQ(untyped[0].count, 4);
}

TEST(SlurmParse, IdleNodes) {
  auto nodes = ParseScontrolNodes(Recorded("scontrol_show_node_idle.txt"));
  ASSERT_TRUE(nodes.ok()) << nodes.status().message();
  ASSERT_EQ(nodes->size(), 2u);
  const SlurmNodeInfo& n = (*nodes)[1];
  EXPECT_EQ(n.name, "node2");
  EXPECT_EQ(n.address, "127.0.0.1");
  EXPECT_EQ(n.state, "IDLE");
  EXPECT_EQ(n.cpus, 4);
  EXPECT_EQ(n.cpus_alloc, 0);
  EXPECT_EQ(n.memory_mib, 4096);
  EXPECT_EQ(n.GpuCount(), 2);
  EXPECT_EQ(n.gres.at(0).type, "T4");
  EXPECT_EQ(n.partitions, std::vector<std::string>{"debug"});
  EXPECT_EQ(n.features, "");
  EXPECT_EQ(ClassifyNodeState(n.state), SlurmNodeHealth::kUp);
}

TEST(SlurmParse, MixedDownAndDrainedNodes) {
  auto mixed = ParseScontrolNodes(Recorded("scontrol_show_node_mixed.txt"));
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ((*mixed)[0].state, "MIXED");
  EXPECT_EQ((*mixed)[0].cpus_alloc, 1);
  EXPECT_EQ((*mixed)[0].memory_alloc_mib, 512);
  EXPECT_EQ(ClassifyNodeState((*mixed)[0].state), SlurmNodeHealth::kUp);

  auto down = ParseScontrolNodes(Recorded("scontrol_show_node_down.txt"));
  ASSERT_TRUE(down.ok());
  ASSERT_EQ(down->size(), 2u);
  EXPECT_EQ((*down)[1].state, "DOWN+NOT_RESPONDING");
  EXPECT_EQ(ClassifyNodeState((*down)[1].state), SlurmNodeHealth::kDown);
  EXPECT_EQ((*down)[1].reason.rfind("Not responding [", 0), 0u) << (*down)[1].reason;

  auto drain = ParseScontrolNodes(Recorded("scontrol_show_node_drain.txt"));
  ASSERT_TRUE(drain.ok());
  ASSERT_EQ(drain->size(), 1u);
  EXPECT_EQ((*drain)[0].state, "MIXED+DRAIN");
  EXPECT_EQ(ClassifyNodeState((*drain)[0].state), SlurmNodeHealth::kDrain);
  EXPECT_EQ((*drain)[0].reason.rfind("skyrun test drain [", 0), 0u) << (*drain)[0].reason;
}

TEST(SlurmParse, SinfoStyleStates) {
  EXPECT_EQ(ClassifyNodeState("down*"), SlurmNodeHealth::kDown);
  EXPECT_EQ(ClassifyNodeState("idle*"), SlurmNodeHealth::kDown);
  EXPECT_EQ(ClassifyNodeState("drng"), SlurmNodeHealth::kDrain);
  EXPECT_EQ(ClassifyNodeState("unk*"), SlurmNodeHealth::kDown);
  EXPECT_EQ(ClassifyNodeState("mix"), SlurmNodeHealth::kUp);
  EXPECT_EQ(ClassifyNodeState("draining"), SlurmNodeHealth::kDrain);
  EXPECT_EQ(ClassifyNodeState("drained"), SlurmNodeHealth::kDrain);
  EXPECT_EQ(ClassifyNodeState("IDLE+POWERED_DOWN"), SlurmNodeHealth::kUp);
  EXPECT_EQ(ClassifyNodeState("ALLOCATED+COMPLETING"), SlurmNodeHealth::kUp);
  EXPECT_EQ(ClassifyNodeState("IDLE+FAIL"), SlurmNodeHealth::kDown);
  EXPECT_EQ(ClassifyNodeState("mixed$"), SlurmNodeHealth::kDrain);
}

TEST(SlurmParse, MalformedNodeOutputIsAnErrorNamingTheLine) {
  auto bad = ParseScontrolNodes("NodeName=a State=IDLE\nsomething else\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("line 2"), std::string::npos);
  auto none = ParseScontrolNodes("No nodes in the system\n");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(SlurmParse, RunningAndPendingJobs) {
  SlurmJobInfo run = Job("scontrol_show_job_running.txt");
  EXPECT_EQ(run.job_id, "1");
  EXPECT_EQ(run.name, "skyrun-7-gang-a1");
  EXPECT_EQ(run.state, "RUNNING");
  EXPECT_EQ(run.node_list, "node[1-2]");
  EXPECT_EQ(run.batch_host, "node1");
  EXPECT_GT(run.start_time, 0);
  EXPECT_EQ(run.end_time, 0);  // the time limit is not an end

  SlurmJobInfo pend = Job("scontrol_show_job_pending.txt");
  EXPECT_EQ(pend.name, "skyrun-8-pending job-a1");  // a name with a space
  EXPECT_EQ(pend.state, "PENDING");
  EXPECT_EQ(pend.reason, "Resources");
  EXPECT_EQ(pend.node_list, "");
  EXPECT_EQ(pend.start_time, 0);  // an estimate, not a start
  RankOutcome o = MapSlurmJobState(pend, {});
  EXPECT_EQ(o.state, RunState::kLaunching);
  EXPECT_EQ(o.reason, "PENDING: Resources");
}

TEST(SlurmParse, FinishedJobs) {
  SlurmJobInfo done = Job("scontrol_show_job_completed.txt");
  EXPECT_EQ(done.state, "COMPLETED");
  EXPECT_EQ(done.exit_code, 0);
  EXPECT_GT(done.end_time, 0);
  EXPECT_GE(done.end_time, done.start_time);
  EXPECT_EQ(MapSlurmJobState(done, {}).state, RunState::kSucceeded);

  SlurmJobInfo failed = Job("scontrol_show_job_failed.txt");
  EXPECT_EQ(failed.state, "FAILED");
  EXPECT_EQ(failed.reason, "NonZeroExitCode");
  EXPECT_EQ(failed.exit_code, 3);
  EXPECT_EQ(failed.exit_signal, 0);
  RankOutcome f = MapSlurmJobState(failed, {});
  EXPECT_EQ(f.state, RunState::kFailed);
  EXPECT_NE(f.reason.find("exited with code 3"), std::string::npos) << f.reason;

  SlurmJobInfo cancelled = Job("scontrol_show_job_cancelled.txt");
  EXPECT_EQ(cancelled.state, "CANCELLED");
  EXPECT_EQ(cancelled.exit_signal, 15);
  EXPECT_EQ(MapSlurmJobState(cancelled, {}).state, RunState::kKilled);

  SlurmJobInfo timeout = Job("scontrol_show_job_timeout.txt");
  EXPECT_EQ(timeout.state, "TIMEOUT");
  RankOutcome t = MapSlurmJobState(timeout, {});
  EXPECT_EQ(t.state, RunState::kFailed);
  EXPECT_EQ(t.reason, "TIMEOUT: time limit reached");
  // Slurm enforces limits on its own pace: it ran past its one minute.
  EXPECT_GT(timeout.end_time - timeout.start_time, 60 * kMicrosPerSecond);

  SlurmJobInfo nf = Job("scontrol_show_job_node_fail.txt");
  EXPECT_EQ(nf.state, "NODE_FAIL");
  EXPECT_EQ(nf.reason, "NodeDown");
  RankOutcome lost = MapSlurmJobState(nf, {"node2"});
  EXPECT_EQ(lost.state, RunState::kLost);
  EXPECT_EQ(lost.reason, "NODE_FAIL: node node2 failed");
  EXPECT_EQ(MapSlurmJobState(nf, {}).reason, "NODE_FAIL: a node of node[1-2] failed");
  EXPECT_EQ(MapSlurmJobState(nf, {"node1", "node2"}).reason, "NODE_FAIL: nodes node1,node2 failed");
}

TEST(SlurmParse, UnknownJobs) {
  auto sc = ParseScontrolJob(Recorded("scontrol_show_job_unknown.txt"));
  ASSERT_FALSE(sc.ok());
  EXPECT_EQ(sc.status().code(), StatusCode::kNotFound);
  auto sq = ParseSqueueLine(Recorded("squeue_unknown.txt"));
  ASSERT_FALSE(sq.ok());
  EXPECT_EQ(sq.status().code(), StatusCode::kNotFound);
  auto acct = ParseSacctLine(Recorded("sacct_disabled.txt"));
  ASSERT_FALSE(acct.ok());
  EXPECT_EQ(acct.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(ParseScontrolJob("garbage").ok());
}

TEST(SlurmParse, SqueueLines) {
  auto run = ParseSqueueLine(Recorded("squeue_running.txt"));
  ASSERT_TRUE(run.ok()) << run.status().message();
  ASSERT_TRUE(run->has_value());
  EXPECT_EQ((*run)->job_id, "1");
  EXPECT_EQ((*run)->state, "RUNNING");
  EXPECT_EQ((*run)->node_list, "node[1-2]");
  EXPECT_EQ((*run)->reason, "");
  EXPECT_GT((*run)->start_time, 0);

  auto pend = ParseSqueueLine(Recorded("squeue_pending.txt"));
  ASSERT_TRUE(pend.ok());
  ASSERT_TRUE(pend->has_value());
  EXPECT_EQ((*pend)->state, "PENDING");
  EXPECT_EQ((*pend)->reason, "Resources");
  EXPECT_EQ((*pend)->start_time, 0);

  // A finished job is not in the queue: squeue prints nothing.
  auto done = ParseSqueueLine(Recorded("squeue_completed.txt"));
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->has_value());
  EXPECT_FALSE(ParseSqueueLine("12|RUNNING").ok());
}

TEST(SlurmParse, SacctRows) {
  auto j = ParseSacctLine("77|CANCELLED by 0|0:15|2026-11-23T13:38:06|2026-11-23T13:38:08|node[1-2]\n");
  ASSERT_TRUE(j.ok()) << j.status().message();
  EXPECT_EQ(j->job_id, "77");
  EXPECT_EQ(j->state, "CANCELLED");
  EXPECT_EQ(j->exit_signal, 15);
  EXPECT_EQ(j->node_list, "node[1-2]");
  EXPECT_EQ(j->end_time - j->start_time, 2 * kMicrosPerSecond);
  EXPECT_EQ(ParseSacctLine("").status().code(), StatusCode::kNotFound);
}

TEST(SlurmParse, TimesAreLocalSeconds) {
  Micros a = ParseSlurmTime("2026-11-23T13:38:06");
  Micros b = ParseSlurmTime("2026-11-23T13:38:09");
  EXPECT_EQ(b - a, 3 * kMicrosPerSecond);
  // 2026-11-23 13:38:06 UTC is 1795441086; local time is within a day of it.
  EXPECT_LT(std::llabs(a / kMicrosPerSecond - 1795441086LL), 86400LL);
  EXPECT_EQ(ParseSlurmTime("Unknown"), 0);
  EXPECT_EQ(ParseSlurmTime("None"), 0);
  EXPECT_EQ(ParseSlurmTime("2026-13-01T00:00:00"), 0);
}

TEST(SlurmParse, Hostlists) {
  auto h = ExpandHostlist("node[1-3,5],gpu07,rack[1-2]-n[01-02]");
  ASSERT_TRUE(h.ok()) << h.status().message();
  EXPECT_EQ(*h, (std::vector<std::string>{"node1", "node2", "node3", "node5", "gpu07", "rack1-n01",
                                          "rack1-n02", "rack2-n01", "rack2-n02"}));
  EXPECT_FALSE(ExpandHostlist("node[1-2").ok());
  EXPECT_FALSE(ExpandHostlist("node[3-1]").ok());
}

TEST(SlurmParse, EveryStateTheBriefNames) {
  auto map = [](const std::string& state) {
    SlurmJobInfo j;
    j.state = state;
    return MapSlurmJobState(j, {"n9"});
  };
  EXPECT_EQ(map("PENDING").state, RunState::kLaunching);
  EXPECT_EQ(map("CONFIGURING").state, RunState::kLaunching);
  EXPECT_EQ(map("RUNNING").state, RunState::kRunning);
  EXPECT_EQ(map("COMPLETING").state, RunState::kRunning);
  EXPECT_EQ(map("COMPLETED").state, RunState::kSucceeded);
  EXPECT_EQ(map("FAILED").state, RunState::kFailed);
  EXPECT_EQ(map("CANCELLED").state, RunState::kKilled);
  EXPECT_EQ(map("TIMEOUT").state, RunState::kFailed);
  EXPECT_EQ(map("NODE_FAIL").state, RunState::kLost);
  EXPECT_EQ(map("NODE_FAIL").reason, "NODE_FAIL: node n9 failed");
  EXPECT_EQ(map("PREEMPTED").state, RunState::kLost);
  EXPECT_EQ(map("PREEMPTED").reason, "PREEMPTED");
  EXPECT_EQ(map("OUT_OF_MEMORY").state, RunState::kFailed);
  EXPECT_EQ(map("OUT_OF_MEMORY").reason, "OUT_OF_MEMORY");
  EXPECT_EQ(map("BOOT_FAIL").state, RunState::kLost);
  EXPECT_EQ(map("DEADLINE").state, RunState::kFailed);
}

TEST(SlurmParse, ARanksOwnExitCodeWinsUnlessSlurmKilledIt) {
  SlurmJobInfo failed;
  failed.state = "FAILED";
  // The rank that exited 0 succeeded even though its gang failed.
  RankOutcome ok = ResolveRankOutcome(failed, 0, {});
  EXPECT_EQ(ok.state, RunState::kSucceeded);
  EXPECT_EQ(ok.exit_code, 0);
  RankOutcome bad = ResolveRankOutcome(failed, 75, {});
  EXPECT_EQ(bad.state, RunState::kFailed);
  EXPECT_EQ(bad.exit_code, 75);
  EXPECT_EQ(bad.reason, "exit code 75");
  // Killed by SIGTERM because of a NODE_FAIL: the node failure is the cause.
  SlurmJobInfo nf;
  nf.state = "NODE_FAIL";
  RankOutcome lost = ResolveRankOutcome(nf, 143, {"node2"});
  EXPECT_EQ(lost.state, RunState::kLost);
  EXPECT_EQ(lost.exit_code, 143);
  // Still running, but this rank is done.
  SlurmJobInfo running;
  running.state = "RUNNING";
  EXPECT_EQ(ResolveRankOutcome(running, 0, {}).state, RunState::kSucceeded);
  EXPECT_EQ(ResolveRankOutcome(running, std::nullopt, {}).state, RunState::kRunning);
}

}  // namespace
}  // namespace skyrun
