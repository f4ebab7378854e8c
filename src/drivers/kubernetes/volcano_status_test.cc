#include "drivers/kubernetes/volcano_status.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "drivers/kubernetes/kube_quantity.h"

namespace skyrun {
namespace {

std::string SourceDir() {
  if (const char* dir = std::getenv("SKYRUN_SOURCE_DIR"); dir && *dir) return dir;
  return SKYRUN_KUBERNETES_SOURCE_DIR;
}

nlohmann::json Load(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "missing " << path;
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

VolcanoObservation Recorded(const std::string& scenario) {
  std::string dir = SourceDir() + "/tests/kubernetes/recorded/" + scenario;
  VolcanoObservation obs;
  obs.job_found = true;
  obs.job = Load(dir + "/vcjob.json");
  obs.pods = Load(dir + "/pods.json");
  EXPECT_FALSE(obs.job.is_discarded() || obs.pods.is_discarded()) << scenario << " is not valid JSON";
  return obs;
}

std::vector<TaskStatus> Map(const std::string& scenario, bool cancelled = false) {
  return MapVolcanoJobStatus(Recorded(scenario), cancelled);
}

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

Micros At(const char* t) {
  return *ParseRfc3339(t);
}

TEST(VolcanoStatusTest, RanksComeFromTheJobsTasks) {
  auto ranks = VolcanoJobRanks(Recorded("ps_worker_completed").job);
  ASSERT_EQ(ranks.size(), 3u);
  EXPECT_EQ(ranks[0].task, "ps");
  EXPECT_EQ(ranks[0].rank, 0);
  EXPECT_EQ(ranks[2].task, "worker");
  EXPECT_EQ(ranks[2].index, 1);
  EXPECT_EQ(ranks[2].rank, 2);
  EXPECT_EQ(ranks[2].k8s_namespace, "ml");
  EXPECT_EQ(ranks[2].PodName(), "ctr-model-99-a1-worker-1");
}

TEST(VolcanoStatusTest, GangWaitingForItsQueue) {
  auto s = Map("gang_waiting_for_queue");
  ASSERT_EQ(s.size(), 2u);
  for (const auto& t : s) {
    EXPECT_EQ(t.state, RunState::kPending);
    EXPECT_TRUE(Has(t.reason, "whole gang")) << t.reason;
    EXPECT_TRUE(Has(t.reason, "research-q")) << t.reason;
  }
}

TEST(VolcanoStatusTest, UnschedulablePodsSayWhy) {
  auto s = Map("gang_unschedulable");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].state, RunState::kPending);
  EXPECT_TRUE(Has(s[1].reason, "Insufficient nvidia.com/gpu")) << s[1].reason;
}

TEST(VolcanoStatusTest, ScheduledPodsAreLaunching) {
  auto s = Map("gang_starting");
  EXPECT_EQ(s[0].state, RunState::kLaunching);
  EXPECT_TRUE(Has(s[0].reason, "ContainerCreating on gpu-a")) << s[0].reason;
  EXPECT_EQ(s[1].state, RunState::kLaunching) << "an image pull backing off may still succeed";
  EXPECT_TRUE(Has(s[1].reason, "ImagePullBackOff")) << s[1].reason;
  EXPECT_TRUE(Has(s[1].reason, "Back-off pulling image")) << s[1].reason;
}

TEST(VolcanoStatusTest, RunningGang) {
  auto s = Map("gang_running");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].state, RunState::kRunning);
  EXPECT_EQ(s[1].state, RunState::kRunning);
  EXPECT_EQ(s[0].started_at, At("2026-03-02T09:01:04Z"));
  EXPECT_EQ(s[1].started_at, At("2026-03-02T09:01:05Z"));
  EXPECT_EQ(s[1].rank, 1);
  EXPECT_FALSE(s[0].exit_code);
}

TEST(VolcanoStatusTest, OomKilledRankFailsAndTheRestOfTheGangIsKilled) {
  auto s = Map("gang_oom_terminated");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1].state, RunState::kFailed);
  ASSERT_TRUE(s[1].exit_code);
  EXPECT_EQ(*s[1].exit_code, 137);
  EXPECT_TRUE(Has(s[1].reason, "OOMKilled")) << s[1].reason;
  EXPECT_TRUE(Has(s[1].reason, "131072 MiB")) << "names the limit: " << s[1].reason;
  EXPECT_EQ(s[1].ended_at, At("2026-03-02T09:41:16Z"));
  EXPECT_EQ(s[0].state, RunState::kKilled) << "rank 0 was stopped by TerminateJob, not by its own failure";
  EXPECT_TRUE(Has(s[0].reason, "Terminated")) << s[0].reason;
  EXPECT_TRUE(Has(s[0].reason, "worker-1 failed")) << s[0].reason;
}

TEST(VolcanoStatusTest, RestartingJobIgnoresPodsOfTheOldVersion) {
  auto s = Map("gang_restarting_after_eviction");
  ASSERT_EQ(s.size(), 2u);
  for (const auto& t : s) {
    EXPECT_EQ(t.state, RunState::kPending) << t.reason;
    EXPECT_TRUE(Has(t.reason, "restarting the whole job (restart 1)")) << t.reason;
  }
}

TEST(VolcanoStatusTest, EvictedGangRankWaitsForVolcanosRestartWhileRestartsAreLeft) {
  // The moment before Volcano reacts: the evicted pod is of the current version, the job still Running.
  VolcanoObservation obs = Recorded("gang_restarting_after_eviction");
  obs.job["status"]["state"]["phase"] = "Running";
  obs.job["status"]["version"] = 0;
  obs.job["status"]["retryCount"] = 0;
  auto ranks = VolcanoJobRanks(obs.job);
  TaskStatus evicted = MapVolcanoTaskStatus(ranks[0], obs, false);
  EXPECT_EQ(evicted.state, RunState::kPending) << "PodEvicted -> RestartJob: Volcano brings the gang back";
  EXPECT_TRUE(Has(evicted.reason, "evicted from node gpu-a (Evicted)")) << evicted.reason;
  EXPECT_TRUE(Has(evicted.reason, "low on resource: memory")) << evicted.reason;
  EXPECT_TRUE(Has(evicted.reason, "Volcano restarts the whole job")) << evicted.reason;
  EXPECT_EQ(MapVolcanoTaskStatus(ranks[1], obs, false).state, RunState::kRunning);

  // No restarts left (retryCount = maxRetry): the eviction is a loss the controller must handle.
  obs.job["status"]["retryCount"] = 3;
  EXPECT_EQ(MapVolcanoTaskStatus(ranks[0], obs, false).state, RunState::kLost);
  // Nor without the policy.
  obs.job["status"]["retryCount"] = 0;
  obs.job["spec"].erase("policies");
  EXPECT_EQ(MapVolcanoTaskStatus(ranks[0], obs, false).state, RunState::kLost);
}

TEST(VolcanoStatusTest, VolcanoGivingUpIsAnInfrastructureLoss) {
  auto s = Map("gang_failed_max_retry");
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].state, RunState::kLost);
  EXPECT_TRUE(Has(s[0].reason, "after 3 restarts")) << s[0].reason;
}

TEST(VolcanoStatusTest, PsWorkerCompletedIncludesTheStoppedParameterServer) {
  auto s = Map("ps_worker_completed");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].state, RunState::kSucceeded) << s[0].reason;
  EXPECT_TRUE(Has(s[0].reason, "completed")) << s[0].reason;
  for (int r : {1, 2}) {
    EXPECT_EQ(s[r].state, RunState::kSucceeded);
    ASSERT_TRUE(s[r].exit_code);
    EXPECT_EQ(*s[r].exit_code, 0);
    EXPECT_EQ(s[r].started_at, At("2026-03-02T07:00:40Z"));
  }
  EXPECT_EQ(s[2].ended_at, At("2026-03-02T09:03:49Z"));
}

TEST(VolcanoStatusTest, SingleTaskEndings) {
  auto ok = Map("single_succeeded");
  ASSERT_EQ(ok.size(), 1u);
  EXPECT_EQ(ok[0].state, RunState::kSucceeded);
  EXPECT_EQ(ok[0].ended_at - ok[0].started_at, (27 * 60 + 30) * kMicrosPerSecond);

  auto code = Map("single_exit_code");
  EXPECT_EQ(code[0].state, RunState::kFailed);
  ASSERT_TRUE(code[0].exit_code);
  EXPECT_EQ(*code[0].exit_code, 75) << "the controller's recover_on_exit_codes needs the real code";
  EXPECT_EQ(code[0].reason, "exit code 75");

  auto deadline = Map("single_deadline_exceeded");
  EXPECT_EQ(deadline[0].state, RunState::kKilled);
  EXPECT_TRUE(Has(deadline[0].reason, "time limit")) << deadline[0].reason;

  auto evicted = Map("single_evicted");
  EXPECT_EQ(evicted[0].state, RunState::kLost);
  EXPECT_TRUE(Has(evicted[0].reason, "ephemeral-storage")) << evicted[0].reason;

  auto preempted = Map("single_preempted");
  EXPECT_EQ(preempted[0].state, RunState::kLost) << preempted[0].reason;
  EXPECT_TRUE(Has(preempted[0].reason, "PreemptionByScheduler")) << preempted[0].reason;

  auto lost = Map("single_node_lost");
  EXPECT_EQ(lost[0].state, RunState::kLost);
  EXPECT_TRUE(Has(lost[0].reason, "gpu-node-1")) << lost[0].reason;

  auto image = Map("single_bad_image");
  EXPECT_EQ(image[0].state, RunState::kFailed);
  EXPECT_TRUE(Has(image[0].reason, "InvalidImageName")) << image[0].reason;
  EXPECT_TRUE(Has(image[0].reason, "must be lowercase")) << image[0].reason;
}

TEST(VolcanoStatusTest, MissingJobIsKilledWhenCancelledElseLost) {
  VolcanoObservation gone;
  gone.job_found = false;
  VolcanoTaskRef ref;
  ref.k8s_namespace = "ml";
  ref.job = "bert-finetune-42-a2";
  ref.task = "worker";
  ref.rank = 1;
  TaskStatus cancelled = MapVolcanoTaskStatus(ref, gone, /*cancelled=*/true);
  EXPECT_EQ(cancelled.state, RunState::kKilled);
  EXPECT_EQ(cancelled.rank, 1);
  TaskStatus lost = MapVolcanoTaskStatus(ref, gone, /*cancelled=*/false);
  EXPECT_EQ(lost.state, RunState::kLost);
  EXPECT_TRUE(Has(lost.reason, "ml/bert-finetune-42-a2 no longer exists")) << lost.reason;
}

TEST(VolcanoStatusTest, CancelledJobBeingTornDown) {
  VolcanoObservation obs = Recorded("gang_running");
  obs.job["status"]["state"]["phase"] = "Terminating";
  obs.pods["items"].erase(1);  // rank 1 already gone, rank 0 still running
  auto s = MapVolcanoJobStatus(obs, /*cancelled=*/true);
  EXPECT_EQ(s[0].state, RunState::kRunning) << "still running until its pod is gone";
  EXPECT_EQ(s[1].state, RunState::kKilled);
  EXPECT_EQ(s[1].reason, "cancelled");
}

TEST(VolcanoStatusTest, MalformedInputNeverThrows) {
  VolcanoTaskRef ref;
  ref.job = "j";
  ref.task = "worker";
  for (const char* job : {"null", "[]", "{\"status\": 5}", "{\"status\": {\"state\": {\"phase\": 7}}}"}) {
    for (const char* pods :
         {"null", "{\"items\": 3}", "{\"items\": [1, {\"metadata\": []}]}",
          "{\"items\": [{\"metadata\": {\"name\": \"j-worker-0\"}, \"status\": []}]}",
          "{\"items\": [{\"metadata\": {\"name\": \"j-worker-0\"}, \"status\": {\"phase\": "
          "\"Failed\", \"containerStatuses\": [{\"state\": {\"terminated\": {\"exitCode\": "
          "\"x\"}}}]}}]}"}) {
      VolcanoObservation obs;
      obs.job_found = true;
      obs.job = nlohmann::json::parse(job);
      obs.pods = nlohmann::json::parse(pods);
      TaskStatus s = MapVolcanoTaskStatus(ref, obs, false);
      EXPECT_FALSE(s.reason.empty()) << job << " / " << pods;
      (void)MapVolcanoJobStatus(obs, false);
    }
  }
}

}  // namespace
}  // namespace skyrun
