// The driver's command sequence, with a recording fake in place of kubectl:
// no Kubernetes API server can run on the build machines, so what is checked
// here is exactly which kubectl commands the driver runs, what it writes, and
// how it reads the (recorded) answers. The renderer, the status mapping and
// the inventory parser behind it are the real ones.
#include "drivers/kubernetes/kubernetes_driver.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "drivers/kubernetes/volcano_render.h"
#include "drivers/kubernetes/volcano_test_cases.h"
#include "drivers/kubernetes/volume_claims.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;
using Argv = std::vector<std::string>;

std::string SourceDir() {
  if (const char* dir = std::getenv("SKYRUN_SOURCE_DIR"); dir && *dir) return dir;
  return SKYRUN_KUBERNETES_SOURCE_DIR;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Recorded(const std::string& rel) {
  return ReadAll(SourceDir() + "/tests/kubernetes/recorded/" + rel);
}

// Answers kubectl commands from a script (by the words after "kubectl") and
// records every argv it was given.
class FakeKubectl final : public KubectlRunner {
 public:
  void On(Argv verb, KubectlResult reply) {
    std::lock_guard<std::mutex> lock(mu_);
    rules_.insert(rules_.begin(), {std::move(verb), std::move(reply)});  // the latest rule wins
  }
  Result<KubectlResult> Run(const Argv& argv) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(argv);
    for (const auto& [verb, reply] : rules_) {
      if (argv.size() > verb.size() && std::equal(verb.begin(), verb.end(), argv.begin() + 1)) return reply;
    }
    return KubectlResult{1, "", "fake kubectl: no reply scripted"};
  }
  std::vector<Argv> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }
  void ClearCalls() {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.clear();
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<Argv, KubectlResult>> rules_;
  std::vector<Argv> calls_;
};

const KubectlResult kNotFound = {
    1, "", "Error from server (NotFound): jobs.batch.volcano.sh \"bert-finetune-42-a2\" not found\n"};

class KubernetesDriverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/skyrun-k8s-driver-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    for (auto& c : VolcanoGoldenCases())
      if (c.name == "gang") gang_ = c;
    gang_.launch.job_dir = dir_ + "/jobs/42";
    for (auto& t : gang_.launch.tasks)
      t.task_dir = gang_.launch.job_dir + "/attempt-2/rank-" + std::to_string(t.rank);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<KubernetesDriver> MakeDriver(KubernetesClusterConfig config) {
    return std::make_unique<KubernetesDriver>(std::move(config), &kubectl_, &clock_, 5 * kMicrosPerSecond);
  }
  std::unique_ptr<KubernetesDriver> MakeDriver() { return MakeDriver(gang_.config); }
  // The golden "volumes" attempt (tenant Team_A, volumes imagenet and runs) as job `job`.
  VolcanoCase VolumesCase(int job) const {
    VolcanoCase vc;
    for (auto& c : VolcanoGoldenCases())
      if (c.name == "volumes") vc = c;
    vc.launch.job_dir = dir_ + "/jobs/" + std::to_string(job);
    for (auto& t : vc.launch.tasks)
      t.task_dir = vc.launch.job_dir + "/attempt-1/rank-" + std::to_string(t.rank);
    return vc;
  }

  // The flags every call carries, after the verb.
  Argv Common() const {
    return {"--kubeconfig", "/etc/skyrun/prod.kubeconfig", "-n", "ml", "--request-timeout=30s"};
  }
  Argv Cmd(Argv verb, Argv tail) const {
    Argv out = {"kubectl"};
    out.insert(out.end(), verb.begin(), verb.end());
    Argv c = Common();
    out.insert(out.end(), c.begin(), c.end());
    out.insert(out.end(), tail.begin(), tail.end());
    return out;
  }
  void ScriptRunningGang() {
    kubectl_.On({"get", "vcjob", "bert-finetune-42-a2"}, {0, Recorded("gang_running/vcjob.json"), ""});
    kubectl_.On({"get", "pods", "-l", "volcano.sh/job-name=bert-finetune-42-a2"},
                {0, Recorded("gang_running/pods.json"), ""});
  }
  std::vector<std::string> LaunchGang(KubernetesDriver& d) {
    kubectl_.On({"apply"}, {0, "job.batch.volcano.sh/bert-finetune-42-a2 created\n", ""});
    auto handles = d.Launch(gang_.launch);
    EXPECT_TRUE(handles.ok()) << handles.status().ToString();
    kubectl_.ClearCalls();
    return handles.ok() ? *handles : std::vector<std::string>{};
  }

  std::string dir_;
  VolcanoCase gang_;
  FakeKubectl kubectl_;
  SimulatedClock clock_{1000 * kMicrosPerSecond};
};

TEST_F(KubernetesDriverTest, LaunchWritesTheManifestAndAppliesIt) {
  auto d = MakeDriver();
  EXPECT_EQ(d->Name(), "kubernetes/prod");
  kubectl_.On({"apply"}, {0, "job.batch.volcano.sh/bert-finetune-42-a2 created\n", ""});
  auto handles = d->Launch(gang_.launch);
  ASSERT_TRUE(handles.ok()) << handles.status().ToString();

  std::string manifest_path = gang_.launch.job_dir + "/volcano-attempt-2.json";
  auto rendered = RenderVolcanoJob(gang_.launch, gang_.config);
  ASSERT_TRUE(rendered.ok());
  EXPECT_EQ(ReadAll(manifest_path), rendered->manifest.dump(2) + "\n");
  EXPECT_EQ(kubectl_.calls(), (std::vector<Argv>{Cmd({"apply", "-f", manifest_path}, {"-o", "name"})}));

  ASSERT_EQ(handles->size(), 2u);
  EXPECT_EQ((*handles)[1], "volcano:ml/bert-finetune-42-a2/worker/1/1:" + gang_.launch.tasks[1].task_dir);
  // Each task directory names its handle, for a server that restarts before storing it.
  EXPECT_EQ(ReadAll(gang_.launch.tasks[1].task_dir + "/volcano.handle"), (*handles)[1] + "\n");
}

TEST_F(KubernetesDriverTest, WithoutAKubeconfigTheManifestIsWrittenButNotApplied) {
  KubernetesClusterConfig config = gang_.config;
  config.kubeconfig.clear();
  auto d = MakeDriver(config);
  auto handles = d->Launch(gang_.launch);
  ASSERT_FALSE(handles.ok());
  EXPECT_EQ(handles.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(handles.status().message().find("no kubeconfig"), std::string::npos)
      << handles.status().message();
  EXPECT_NE(handles.status().message().find("volcano-attempt-2.json"), std::string::npos);
  EXPECT_TRUE(fs::exists(gang_.launch.job_dir + "/volcano-attempt-2.json"));
  EXPECT_TRUE(kubectl_.calls().empty());

  auto nodes = d->Inventory();
  ASSERT_FALSE(nodes.ok());
  EXPECT_EQ(nodes.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(nodes.status().message().find("kubeconfig"), std::string::npos);
  EXPECT_TRUE(kubectl_.calls().empty());
}

TEST_F(KubernetesDriverTest, ApplyFailureIsReportedWithKubectlsWords) {
  auto d = MakeDriver();
  kubectl_.On({"apply"}, {1, "",
                          "error: resource mapping not found for name: \"bert-finetune-42-a2\": no matches "
                          "for kind \"Job\" in version \"batch.volcano.sh/v1alpha1\"\n"});
  auto handles = d->Launch(gang_.launch);
  ASSERT_FALSE(handles.ok());
  EXPECT_EQ(handles.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(handles.status().message().find("no matches for kind"), std::string::npos);
  EXPECT_NE(handles.status().message().find("Volcano is installed"), std::string::npos);
}

TEST_F(KubernetesDriverTest, RenderRefusalsComeBeforeAnyKubectl) {
  auto d = MakeDriver();
  gang_.launch.tasks[1].image = "other:1";
  auto handles = d->Launch(gang_.launch);
  ASSERT_FALSE(handles.ok());
  EXPECT_EQ(handles.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(kubectl_.calls().empty());
}

TEST_F(KubernetesDriverTest, PollReadsJobAndPodsOncePerTtlForAllRanks) {
  auto d = MakeDriver();
  auto handles = LaunchGang(*d);
  ScriptRunningGang();
  TaskStatus r1 = d->Poll(handles[1]);
  EXPECT_EQ(r1.state, RunState::kRunning) << r1.reason;
  EXPECT_EQ(r1.rank, 1);
  TaskStatus r0 = d->Poll(handles[0]);
  EXPECT_EQ(r0.state, RunState::kRunning);
  EXPECT_EQ(kubectl_.calls(),
            (std::vector<Argv>{
                Cmd({"get", "vcjob", "bert-finetune-42-a2"}, {"-o", "json"}),
                Cmd({"get", "pods", "-l", "volcano.sh/job-name=bert-finetune-42-a2"}, {"-o", "json"})}));
  clock_.Advance(5 * kMicrosPerSecond);
  (void)d->Poll(handles[0]);
  EXPECT_EQ(kubectl_.calls().size(), 4u) << "the observation expired";
}

TEST_F(KubernetesDriverTest, PollResolvesTheControllersProvisionalHandle) {
  auto d = MakeDriver();
  (void)LaunchGang(*d);
  ScriptRunningGang();
  TaskStatus s = d->Poll(gang_.launch.tasks[1].task_dir);
  EXPECT_EQ(s.state, RunState::kRunning) << s.reason;
  EXPECT_EQ(s.rank, 1);
  TaskStatus bad = d->Poll(dir_ + "/nowhere");
  EXPECT_EQ(bad.state, RunState::kLost);
  EXPECT_NE(bad.reason.find("bad Volcano task handle"), std::string::npos) << bad.reason;
}

TEST_F(KubernetesDriverTest, CancelDeletesTheJobOnceAndItsRanksReadKilled) {
  auto d = MakeDriver();
  auto handles = LaunchGang(*d);
  kubectl_.On({"delete"}, {0, "job.batch.volcano.sh \"bert-finetune-42-a2\" deleted\n", ""});
  ASSERT_TRUE(d->Cancel(handles[0]).ok());
  ASSERT_TRUE(d->Cancel(handles[1]).ok());
  EXPECT_EQ(kubectl_.calls(), (std::vector<Argv>{Cmd({"delete", "vcjob", "bert-finetune-42-a2"},
                                                     {"--ignore-not-found", "--wait=false"})}))
      << "one delete stops the whole gang";
  kubectl_.On({"get", "vcjob"}, kNotFound);
  TaskStatus s = d->Poll(handles[1]);
  EXPECT_EQ(s.state, RunState::kKilled) << s.reason;

  // A driver that did not cancel it (e.g. after a restart) cannot tell: LOST.
  auto other = MakeDriver();
  EXPECT_EQ(other->Poll(handles[1]).state, RunState::kLost);
}

TEST_F(KubernetesDriverTest, AnEndingIsFinalEvenAfterTheJobIsDeleted) {
  auto d = MakeDriver();
  auto handles = LaunchGang(*d);
  kubectl_.On({"get", "vcjob", "bert-finetune-42-a2"}, {0, Recorded("gang_oom_terminated/vcjob.json"), ""});
  kubectl_.On({"get", "pods"}, {0, Recorded("gang_oom_terminated/pods.json"), ""});
  TaskStatus failed = d->Poll(handles[1]);
  ASSERT_EQ(failed.state, RunState::kFailed) << failed.reason;
  // The controller stops the rest of the gang; the Volcano job is deleted.
  kubectl_.On({"delete"}, {0, "", ""});
  ASSERT_TRUE(d->Cancel(handles[0]).ok());
  kubectl_.On({"get", "vcjob"}, kNotFound);
  kubectl_.ClearCalls();
  TaskStatus again = d->Poll(handles[1]);
  EXPECT_EQ(again.state, RunState::kFailed);
  ASSERT_TRUE(again.exit_code);
  EXPECT_EQ(*again.exit_code, 137);
  EXPECT_TRUE(kubectl_.calls().empty()) << "a final state is not read again";
  EXPECT_EQ(d->Poll(handles[0]).state, RunState::kKilled);
  // Forget releases it: the next poll asks the cluster (where the job is gone).
  d->Forget(handles[1]);
  EXPECT_EQ(d->Poll(handles[1]).state, RunState::kKilled);
}

// What the scheduler is told: the device plugin binds GPUs, pods are pinned to
// the placed nodes, and shares go to whole percent where a vGPU share
// resource is configured (the renderer's percent), whole GPUs otherwise.
TEST_F(KubernetesDriverTest, CapabilitiesFollowTheGpuShareConfig) {
  KubernetesClusterConfig config = gang_.config;
  BackendCapabilities caps = MakeDriver(config)->Capabilities();
  EXPECT_EQ(caps.gpu_granularity_milli, 10);
  EXPECT_FALSE(caps.skyrun_binds_gpus);
  EXPECT_TRUE(caps.pins_nodes);
  config.gpu_share.number_resource.clear();
  EXPECT_EQ(MakeDriver(config)->Capabilities().gpu_granularity_milli, 1000);
}

// Issue 11: the caches grew forever. Forgetting every rank of a job leaves
// nothing behind, and a rank forgotten early keeps the job's shared entries
// for the ranks still followed.
TEST_F(KubernetesDriverTest, ForgettingEveryRankOfAJobLeavesNothingBehind) {
  auto d = MakeDriver();
  auto handles = LaunchGang(*d);
  ASSERT_GE(handles.size(), 2u);
  ScriptRunningGang();
  for (const auto& h : handles) EXPECT_EQ(d->Poll(h).state, RunState::kRunning);
  kubectl_.On({"delete"}, {0, "", ""});
  ASSERT_TRUE(d->Cancel(handles[0]).ok());
  EXPECT_GT(d->RetainedEntries(), 0u);
  d->Forget(handles[0]);
  kubectl_.On({"get", "vcjob", "bert-finetune-42-a2"}, kNotFound);
  // The job's cancel mark is still there for the other ranks.
  EXPECT_EQ(d->Poll(handles[1]).state, RunState::kKilled);
  for (const auto& h : handles) d->Forget(h);
  EXPECT_EQ(d->RetainedEntries(), 0u);
}

TEST_F(KubernetesDriverTest, AFailedCancelCanBeRetried) {
  auto d = MakeDriver();
  auto handles = LaunchGang(*d);
  kubectl_.On({"delete"}, {1, "", "Unable to connect to the server: dial tcp 10.0.0.10:6443: i/o timeout\n"});
  Status first = d->Cancel(handles[0]);
  EXPECT_EQ(first.code(), StatusCode::kUnavailable);
  EXPECT_NE(first.message().find("i/o timeout"), std::string::npos);
  kubectl_.On({"delete"}, {0, "", ""});
  EXPECT_TRUE(d->Cancel(handles[0]).ok());
  EXPECT_EQ(kubectl_.calls().size(), 2u);
}

TEST_F(KubernetesDriverTest, UnreachableClusterKeepsTheLastKnownState) {
  auto d = MakeDriver();
  auto handles = LaunchGang(*d);
  TaskStatus never = d->Poll(handles[0]);  // nothing scripted: kubectl fails
  EXPECT_EQ(never.state, RunState::kPending);
  EXPECT_NE(never.reason.find("status unknown"), std::string::npos) << never.reason;

  ScriptRunningGang();
  ASSERT_EQ(d->Poll(handles[0]).state, RunState::kRunning);
  kubectl_.On({"get", "vcjob"}, {1, "", "Unable to connect to the server: EOF\n"});
  clock_.Advance(10 * kMicrosPerSecond);
  TaskStatus stale = d->Poll(handles[0]);
  EXPECT_EQ(stale.state, RunState::kRunning) << "an API outage is not a task failure";
  EXPECT_NE(stale.reason.find("Unable to connect"), std::string::npos) << stale.reason;
}

TEST_F(KubernetesDriverTest, InventoryParsesKubectlsNodeList) {
  auto d = MakeDriver();
  kubectl_.On({"get", "nodes"}, {0, Recorded("nodes.json"), ""});
  auto nodes = d->Inventory();
  ASSERT_TRUE(nodes.ok()) << nodes.status().ToString();
  EXPECT_EQ(nodes->size(), 7u);
  EXPECT_EQ(kubectl_.calls(), (std::vector<Argv>{Cmd({"get", "nodes"}, {"-o", "json"})}));
  kubectl_.On({"get", "nodes"}, {0, "not json", ""});
  EXPECT_EQ(d->Inventory().status().code(), StatusCode::kInternal);
  kubectl_.On({"get", "nodes"}, {1, "", "error: You must be logged in to the server (Unauthorized)\n"});
  auto denied = d->Inventory();
  EXPECT_EQ(denied.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(denied.status().message().find("Unauthorized"), std::string::npos);
}

TEST_F(KubernetesDriverTest, ContextIsPassedWhenConfigured) {
  KubernetesClusterConfig config = gang_.config;
  config.context = "prod-admin";
  auto d = MakeDriver(config);
  kubectl_.On({"get", "nodes"}, {0, Recorded("nodes.json"), ""});
  ASSERT_TRUE(d->Inventory().ok());
  Argv want = {"kubectl", "get", "nodes",     "--kubeconfig", "/etc/skyrun/prod.kubeconfig",
               "-n",      "ml",  "--context", "prod-admin",   "--request-timeout=30s",
               "-o",      "json"};
  EXPECT_EQ(kubectl_.calls().back(), want);
}

TEST_F(KubernetesDriverTest, LogPathCopiesThePodsLog) {
  auto d = MakeDriver();
  auto handles = LaunchGang(*d);
  kubectl_.On({"logs"}, {0, "epoch 1 loss 2.31\n", ""});
  std::string path = d->LogPath(handles[1]);
  EXPECT_EQ(path, gang_.launch.tasks[1].task_dir + "/output.log");
  EXPECT_EQ(ReadAll(path), "epoch 1 loss 2.31\n");
  EXPECT_EQ(kubectl_.calls().back(), Cmd({"logs", "bert-finetune-42-a2-worker-1", "-c", "worker"}, {}));
  // The pod is gone: the last copy remains.
  kubectl_.On({"logs"},
              {1, "", "Error from server (NotFound): pods \"bert-finetune-42-a2-worker-1\" not found\n"});
  EXPECT_EQ(d->LogPath(handles[1]), path);
  EXPECT_EQ(ReadAll(path), "epoch 1 loss 2.31\n");
  EXPECT_EQ(d->LogPath(handles[0]), "") << "never copied, not available";
}

TEST_F(KubernetesDriverTest, VoidIfUnclaimed) {
  auto d = MakeDriver();
  // Nothing rendered yet: no handle file in the task directory.
  EXPECT_TRUE(d->VoidIfUnclaimed(gang_.launch.tasks[0].task_dir).ok());
  EXPECT_TRUE(kubectl_.calls().empty());
  (void)LaunchGang(*d);
  kubectl_.On({"get", "vcjob"}, kNotFound);
  EXPECT_TRUE(d->VoidIfUnclaimed(gang_.launch.tasks[0].task_dir).ok()) << "applied never: voided";
  EXPECT_EQ(kubectl_.calls().back(), Cmd({"get", "vcjob", "bert-finetune-42-a2"}, {"-o", "name"}));
  kubectl_.On({"get", "vcjob"}, {0, "job.batch.volcano.sh/bert-finetune-42-a2\n", ""});
  EXPECT_EQ(d->VoidIfUnclaimed(gang_.launch.tasks[0].task_dir).code(), StatusCode::kAlreadyExists);
  kubectl_.On({"get", "vcjob"}, {1, "", "Unable to connect to the server: EOF\n"});
  EXPECT_FALSE(d->VoidIfUnclaimed(gang_.launch.tasks[0].task_dir).ok()) << "unknown: adopt, never void";
}

TEST_F(KubernetesDriverTest, CanRunRefusesWhatPodsCannotRun) {
  auto d = MakeDriver();
  JobSpec spec = *gang_.spec;
  EXPECT_TRUE(d->CanRun(spec).ok());
  JobSpec workdir = spec;
  workdir.workdir = "/home/ana/train";
  EXPECT_NE(d->CanRun(workdir).message().find("cannot stage local files"), std::string::npos);
  JobSpec pipeline = spec;
  pipeline.mode = JobMode::kPipeline;
  EXPECT_FALSE(d->CanRun(pipeline).ok());
  JobSpec no_image = spec;
  no_image.image.clear();
  EXPECT_NE(d->CanRun(no_image).message().find("no default image"), std::string::npos);
  KubernetesClusterConfig with_default = gang_.config;
  with_default.default_image = "base:1";
  EXPECT_TRUE(MakeDriver(with_default)->CanRun(no_image).ok());
  JobSpec volumes = spec;
  volumes.volumes = {{"data", "/data", false}};
  EXPECT_NE(d->CanRun(volumes).message().find("cannot mount volumes"), std::string::npos);
}

// What RenderVolcanoJob would refuse at launch is refused at submission.
TEST_F(KubernetesDriverTest, Item6_CanRunRefusesAQueueVolcanoCannotName) {
  auto d = MakeDriver();
  JobSpec spec = *gang_.spec;
  spec.queue = "team_a";  // a valid skyrun queue, not a DNS name
  EXPECT_NE(d->CanRun(spec).message().find("not a valid Volcano queue name"), std::string::npos);
  spec.queue = "team-a.gpu";
  EXPECT_TRUE(d->CanRun(spec).ok()) << d->CanRun(spec).message();
}

// Volumes: the claim of each volume is looked up, created when absent (its
// manifest kept beside the job's), then the job is applied; a claim that
// exists is used as it is; a lookup that fails applies nothing.
TEST_F(KubernetesDriverTest, LaunchCreatesTheMissingVolumeClaimsBeforeTheJob) {
  VolcanoCase vc = VolumesCase(77);
  auto d = MakeDriver(vc.config);
  const std::string imagenet = VolumeClaimName("Team_A", "imagenet");
  const std::string runs = VolumeClaimName("Team_A", "runs");
  kubectl_.On({"get", "pvc", imagenet}, {0, "persistentvolumeclaim/" + imagenet + "\n", ""});
  kubectl_.On({"get", "pvc", runs},
              {1, "", "Error from server (NotFound): persistentvolumeclaims \"" + runs + "\" not found\n"});
  kubectl_.On({"create"}, {0, "persistentvolumeclaim/" + runs + "\n", ""});
  kubectl_.On({"apply"}, {0, "job.batch.volcano.sh/x created\n", ""});
  auto handles = d->Launch(vc.launch);
  ASSERT_TRUE(handles.ok()) << handles.status().ToString();
  const std::string pvc_path = vc.launch.job_dir + "/pvc-" + runs + ".json";
  const std::string job_path = vc.launch.job_dir + "/volcano-attempt-1.json";
  EXPECT_EQ(kubectl_.calls(), (std::vector<Argv>{Cmd({"get", "pvc", imagenet}, {"-o", "name"}),
                                                 Cmd({"get", "pvc", runs}, {"-o", "name"}),
                                                 Cmd({"create", "-f", pvc_path}, {"-o", "name"}),
                                                 Cmd({"apply", "-f", job_path}, {"-o", "name"})}));
  nlohmann::json pvc = nlohmann::json::parse(ReadAll(pvc_path));
  EXPECT_EQ(pvc["kind"], "PersistentVolumeClaim");
  EXPECT_EQ(pvc["metadata"]["name"], runs);
  EXPECT_EQ(pvc["metadata"]["namespace"], "ml");
  EXPECT_EQ(pvc["spec"]["storageClassName"], "nfs-rwx");
  EXPECT_EQ(pvc["spec"]["resources"]["requests"]["storage"], std::to_string(int64_t{10} << 30));

  // A lookup that fails for another reason: nothing is created or applied.
  kubectl_.ClearCalls();
  kubectl_.On({"get", "pvc", imagenet}, {1, "", "Unable to connect to the server\n"});
  auto failed = d->Launch(vc.launch);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(kubectl_.calls().size(), 1u);
}

TEST_F(KubernetesDriverTest, CanRunTakesVolumesWhereTheClusterConfiguresClaims) {
  KubernetesClusterConfig config = gang_.config;
  config.volumes.enabled = true;
  auto d = MakeDriver(config);
  JobSpec spec = *gang_.spec;
  spec.volumes = {{"data", "/data", false}};
  EXPECT_TRUE(d->CanRun(spec).ok()) << d->CanRun(spec).message();
  spec.volumes = {{"data", "/../x", false}};
  EXPECT_FALSE(d->CanRun(spec).ok());
  spec.volumes = {{"../data", "/data", false}};
  EXPECT_FALSE(d->CanRun(spec).ok());
}

// With the server's volume store: each claim is recorded beside the volume
// (one found in the cluster as it is, a new one before it is created),
// bounded by the volume's size and charged to the tenant's quota; a claim
// that would pass either is refused with the figures and nothing is created
// or applied; a creation kubectl refuses leaves no record.
TEST_F(KubernetesDriverTest, ClaimsAreRecordedInTheVolumeStoreAndChargedToTheTenant) {
  VolcanoCase vc = VolumesCase(78);
  const int64_t gib = int64_t{1} << 30;
  storage::VolumeStore store(dir_ + "/volumes", {}, &clock_);
  ASSERT_TRUE(store.Create("Team_A", "imagenet", 0).ok());
  ASSERT_TRUE(store.Create("Team_A", "runs", 0).ok());
  vc.config.volumes.store_dir = dir_ + "/volumes";
  vc.config.volumes.per_tenant_bytes = 25 * gib;
  auto d = MakeDriver(vc.config);
  const std::string imagenet = VolumeClaimName("Team_A", "imagenet");
  const std::string runs = VolumeClaimName("Team_A", "runs");
  const KubectlResult absent = {1, "", "Error from server (NotFound): persistentvolumeclaims not found\n"};
  kubectl_.On({"get", "pvc", imagenet}, {0, "persistentvolumeclaim/" + imagenet + "\n", ""});
  kubectl_.On({"get", "pvc", runs}, absent);
  kubectl_.On({"create"}, {0, "persistentvolumeclaim/" + runs + "\n", ""});
  kubectl_.On({"apply"}, {0, "job.batch.volcano.sh/x created\n", ""});
  auto handles = d->Launch(vc.launch);
  ASSERT_TRUE(handles.ok()) << handles.status().ToString();
  for (const auto& [volume, claim] : {std::pair{"imagenet", imagenet}, std::pair{"runs", runs}}) {
    auto v = store.Get("Team_A", volume);
    ASSERT_TRUE(v.ok());
    ASSERT_EQ(v->claims.size(), 1u) << volume;
    EXPECT_EQ(v->claims[0].cluster, d->Name());
    EXPECT_EQ(v->claims[0].claim, claim);
    EXPECT_EQ(v->claims[0].requested_bytes, 10 * gib);
  }

  // A second cluster: 20 GiB charged, 10 GiB more would pass 25 GiB.
  KubernetesClusterConfig other = vc.config;
  other.name = "other";
  auto d2 = MakeDriver(other);
  kubectl_.On({"get", "pvc", imagenet}, absent);
  kubectl_.ClearCalls();
  auto refused = d2->Launch(vc.launch);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("kubernetes/other: a claim of 10.0 GiB for volume 'imagenet' on "
                                            "kubernetes/other would pass tenant Team_A's storage quota: its "
                                            "volumes hold 20.0 GiB (claims included) of 25.0 GiB"),
            std::string::npos)
      << refused.status().message();
  EXPECT_EQ(kubectl_.calls().size(), 1u) << "only the lookup: nothing created, nothing applied";
  EXPECT_EQ(store.Get("Team_A", "imagenet")->claims.size(), 1u);

  // Bounded by the volume's own size, whatever the quota.
  other.volumes.per_tenant_bytes = 0;
  ASSERT_TRUE(store.Remove("Team_A", "imagenet").ok());
  ASSERT_TRUE(store.Create("Team_A", "imagenet", gib).ok());
  auto d3 = MakeDriver(other);
  auto small = d3->Launch(vc.launch);
  ASSERT_FALSE(small.ok());
  EXPECT_EQ(small.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(small.status().message().find("is larger than the volume's size 1.0 GiB"), std::string::npos)
      << small.status().message();

  // kubectl refuses the creation: the record is dropped with it.
  ASSERT_TRUE(store.Remove("Team_A", "imagenet").ok());
  ASSERT_TRUE(store.Create("Team_A", "imagenet", 0).ok());
  kubectl_.On({"create"}, {1, "", "Error from server (Forbidden): exceeded quota\n"});
  auto failed = d3->Launch(vc.launch);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(store.Get("Team_A", "imagenet")->claims.empty());
}

}  // namespace
}  // namespace skyrun
