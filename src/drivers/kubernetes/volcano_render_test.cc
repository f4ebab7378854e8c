#include "drivers/kubernetes/volcano_render.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "drivers/kubernetes/kubectl_runner.h"
#include "drivers/kubernetes/volcano_test_cases.h"

namespace skyrun {
namespace {

using Json = nlohmann::ordered_json;

std::string SourceDir() {
  if (const char* dir = std::getenv("SKYRUN_SOURCE_DIR"); dir && *dir) return dir;
  return SKYRUN_KUBERNETES_SOURCE_DIR;
}

VolcanoCase Case(const std::string& name) {
  for (auto& c : VolcanoGoldenCases())
    if (c.name == name) return c;
  ADD_FAILURE() << "no case " << name;
  return {};
}

Json Render(const VolcanoCase& c) {
  auto r = RenderVolcanoJob(c.launch, c.config);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->manifest : Json();
}

// The env entries of a task's container, by name (value or valueFrom).
std::map<std::string, Json> EnvOf(const Json& task) {
  std::map<std::string, Json> out;
  for (const auto& e : task["template"]["spec"]["containers"][0]["env"])
    out[e["name"].get<std::string>()] = e;
  return out;
}

std::string Value(const std::map<std::string, Json>& env, const std::string& name) {
  auto it = env.find(name);
  if (it == env.end() || !it->second.contains("value")) return "<unset>";
  return it->second["value"].get<std::string>();
}

// Kubernetes' $(VAR) expansion of command, args and env values, as documented:
// "$(NAME)" becomes NAME's value when NAME is defined and stays as is otherwise;
// "$$" becomes "$".
std::string KubeExpand(const std::string& s, const std::map<std::string, std::string>& vars) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '$' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    if (s[i + 1] == '$') {
      out += '$';
      ++i;
    } else if (s[i + 1] == '(') {
      size_t close = s.find(')', i + 2);
      if (close == std::string::npos) {
        out += s[i];
        continue;
      }
      std::string name = s.substr(i + 2, close - i - 2);
      auto it = vars.find(name);
      out += it != vars.end() ? it->second : s.substr(i, close - i + 1);
      i = close;
    } else {
      out += s[i];
    }
  }
  return out;
}

// --- golden files ---

class VolcanoGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(VolcanoGoldenTest, MatchesGoldenFile) {
  VolcanoCase c = Case(GetParam());
  auto rendered = RenderVolcanoJob(c.launch, c.config);
  ASSERT_TRUE(rendered.ok()) << rendered.status().ToString();
  std::string text = rendered->manifest.dump(2) + "\n";
  std::string path = SourceDir() + "/tests/kubernetes/golden/" + GetParam() + ".json";
  const char* update = std::getenv("SKYRUN_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
    GTEST_SKIP() << "rewrote " << path;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "missing golden file " << path << " (run with SKYRUN_UPDATE_GOLDEN=1 to create it)";
  std::stringstream want;
  want << in.rdbuf();
  if (want.str() == text) return;
  // Point at the first differing line; the whole output is in the failure too.
  std::istringstream a(want.str()), b(text);
  std::string la, lb;
  int line = 1;
  while (std::getline(a, la) && std::getline(b, lb) && la == lb) ++line;
  ADD_FAILURE() << path << " differs at line " << line << ":\n  golden:   " << la << "\n  rendered: " << lb
                << "\n(if the change is intended, rerun with SKYRUN_UPDATE_GOLDEN=1)\nrendered:\n"
                << text;
}

INSTANTIATE_TEST_SUITE_P(Cases, VolcanoGoldenTest,
                         ::testing::Values("single", "gang", "ps_worker", "milli_gpu", "volumes"));

TEST(VolcanoRenderTest, RenderingIsDeterministic) {
  for (const auto& c : VolcanoGoldenCases()) {
    EXPECT_EQ(Render(c).dump(), Render(c).dump()) << c.name;
  }
}

// --- what each case must contain, independently of the golden text ---

TEST(VolcanoRenderTest, GangIsOneWorkerTaskWithAllOrNothingScheduling) {
  VolcanoCase c = Case("gang");
  auto r = RenderVolcanoJob(c.launch, c.config);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Json& m = r->manifest;
  EXPECT_EQ(m["apiVersion"], "batch.volcano.sh/v1alpha1");
  EXPECT_EQ(m["kind"], "Job");
  EXPECT_EQ(r->job_name, "bert-finetune-42-a2");
  EXPECT_EQ(m["metadata"]["name"], r->job_name);
  EXPECT_EQ(m["metadata"]["namespace"], "ml");
  EXPECT_EQ(m["metadata"]["labels"]["skyrun.io/job-id"], "42");
  EXPECT_EQ(m["metadata"]["labels"]["skyrun.io/tenant"], "nlp-team");
  EXPECT_EQ(m["metadata"]["labels"]["skyrun.io/attempt"], "2");
  const Json& spec = m["spec"];
  EXPECT_EQ(spec["schedulerName"], "volcano");
  EXPECT_EQ(spec["queue"], "research-q") << "skyrun queue 'research' is mapped by the cluster config";
  EXPECT_EQ(spec["minAvailable"], 2);
  EXPECT_EQ(spec["maxRetry"], 3);
  EXPECT_EQ(spec["policies"][0]["event"], "PodEvicted");
  EXPECT_EQ(spec["policies"][0]["action"], "RestartJob");
  EXPECT_TRUE(spec["plugins"].contains("env"));
  EXPECT_TRUE(spec["plugins"].contains("svc"));
  ASSERT_EQ(spec["tasks"].size(), 1u);
  const Json& task = spec["tasks"][0];
  EXPECT_EQ(task["name"], "worker");
  EXPECT_EQ(task["replicas"], 2);
  const Json& pod = task["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Never");
  EXPECT_EQ(pod["activeDeadlineSeconds"], 6 * 3600);
  EXPECT_EQ(pod["terminationGracePeriodSeconds"], 30);
  const Json& expr = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
                        ["nodeSelectorTerms"][0]["matchExpressions"][0];
  EXPECT_EQ(expr["key"], "kubernetes.io/hostname");
  EXPECT_EQ(expr["operator"], "In");
  EXPECT_EQ(expr["values"], Json::array({"gpu-a", "gpu-b"}));
  const Json& anti = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0];
  EXPECT_EQ(anti["topologyKey"], "kubernetes.io/hostname") << "one replica per placed node";
  EXPECT_EQ(anti["labelSelector"]["matchLabels"]["skyrun.io/job-id"], "42");
  EXPECT_EQ(anti["labelSelector"]["matchLabels"]["skyrun.io/attempt"], "2");
  const Json& container = pod["containers"][0];
  EXPECT_EQ(container["image"], "registry.example.org/ml/pytorch:2.3-cuda12");
  EXPECT_EQ(container["resources"]["requests"]["cpu"], "16");
  EXPECT_EQ(container["resources"]["requests"]["memory"], "131072Mi");
  EXPECT_EQ(container["resources"]["limits"]["nvidia.com/gpu"], "2");
  EXPECT_FALSE(container["resources"]["requests"].contains("nvidia.com/gpu"));
  EXPECT_EQ(container["volumeMounts"][0]["mountPath"], "/ckpt");
  EXPECT_EQ(container["volumeMounts"][0]["subPath"], "nlp-team/42");
  EXPECT_EQ(pod["volumes"][0]["persistentVolumeClaim"]["claimName"], "skyrun-checkpoints");

  auto env = EnvOf(task);
  EXPECT_EQ(Value(env, "MASTER_ADDR"), "bert-finetune-42-a2-worker-0.bert-finetune-42-a2");
  EXPECT_EQ(Value(env, "MASTER_PORT"), "29500");
  EXPECT_EQ(Value(env, "WORLD_SIZE"), "2");
  EXPECT_EQ(Value(env, "SKYRUN_NUM_NODES"), "2");
  EXPECT_EQ(
      Value(env, "SKYRUN_NODE_IPS"),
      "bert-finetune-42-a2-worker-0.bert-finetune-42-a2\nbert-finetune-42-a2-worker-1.bert-finetune-42-a2");
  EXPECT_EQ(Value(env, "SKYRUN_CHECKPOINT_DIR"), "/ckpt");
  EXPECT_EQ(Value(env, "SKYRUN_RANK_OFFSET"), "0");
  EXPECT_EQ(Value(env, "MODEL"), "bert-large");
  EXPECT_EQ(Value(env, "SKYRUN_ATTEMPT"), "2");
  // Per-rank values cannot sit in a shared template; the wrapper computes them.
  EXPECT_FALSE(env.count("RANK"));
  EXPECT_FALSE(env.count("SKYRUN_NODE_RANK"));
  EXPECT_FALSE(env.count("CUDA_VISIBLE_DEVICES")) << "the device plugin decides a GPU pod's devices";
  EXPECT_EQ(env["SKYRUN_TASK_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.annotations['volcano.sh/task-index']");
  EXPECT_EQ(env["SKYRUN_NODE_NAME"]["valueFrom"]["fieldRef"]["fieldPath"], "spec.nodeName");

  ASSERT_EQ(r->tasks.size(), 2u);
  EXPECT_EQ(r->tasks[1].rank, 1);
  EXPECT_EQ(r->tasks[1].task, "worker");
  EXPECT_EQ(r->tasks[1].index, 1);
  EXPECT_EQ(r->tasks[1].PodName(), "bert-finetune-42-a2-worker-1");
  EXPECT_EQ(r->tasks[1].task_dir, "/var/lib/skyrun/jobs/42/attempt-2/rank-1");
}

TEST(VolcanoRenderTest, RanksSharingANodeStayTogether) {
  VolcanoCase c = Case("gang");
  c.launch.tasks[1].placement.node = "kubernetes/prod/gpu-a";
  Json m = Render(c);
  const Json& affinity = m["spec"]["tasks"][0]["template"]["spec"]["affinity"];
  EXPECT_EQ(affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]
                    ["matchExpressions"][0]["values"],
            Json::array({"gpu-a"}));
  EXPECT_FALSE(affinity.contains("podAntiAffinity"));
  // Without node names in the placement, no affinity at all.
  for (auto& t : c.launch.tasks) t.placement.node.clear();
  EXPECT_FALSE(Render(c)["spec"]["tasks"][0]["template"]["spec"].contains("affinity"));
}

TEST(VolcanoRenderTest, PsWorkerHasOneTaskPerRoleWithItsOwnImageAndResources) {
  VolcanoCase c = Case("ps_worker");
  Json m = Render(c);
  const Json& spec = m["spec"];
  EXPECT_EQ(spec["minAvailable"], 3);
  ASSERT_EQ(spec["tasks"].size(), 2u);
  const Json& ps = spec["tasks"][0];
  const Json& worker = spec["tasks"][1];
  EXPECT_EQ(ps["name"], "ps");
  EXPECT_EQ(ps["replicas"], 1);
  EXPECT_EQ(worker["name"], "worker");
  EXPECT_EQ(worker["replicas"], 2);
  EXPECT_EQ(worker["policies"][0]["event"], "TaskCompleted");
  EXPECT_EQ(worker["policies"][0]["action"], "CompleteJob");
  EXPECT_FALSE(ps.contains("policies"));
  const Json& psc = ps["template"]["spec"]["containers"][0];
  const Json& wc = worker["template"]["spec"]["containers"][0];
  EXPECT_EQ(psc["image"], "registry.example.org/ads/ps:2.1");
  EXPECT_EQ(wc["image"], "registry.example.org/ads/worker:2.1");
  EXPECT_EQ(psc["resources"]["limits"]["cpu"], "8");
  EXPECT_FALSE(psc["resources"]["limits"].contains("nvidia.com/gpu"));
  EXPECT_EQ(wc["resources"]["limits"]["nvidia.com/gpu"], "1");
  EXPECT_EQ(psc["args"][3], "python ps.py");
  EXPECT_EQ(wc["args"][3], "python worker.py --ps \"$SKYRUN_NODE_IPS\"");
  EXPECT_EQ(ps["template"]["metadata"]["annotations"]["skyrun.io/rank-offset"], "0");
  EXPECT_EQ(worker["template"]["metadata"]["annotations"]["skyrun.io/rank-offset"], "1");
  EXPECT_EQ(worker["template"]["metadata"]["labels"]["skyrun.io/role"], "worker");
  EXPECT_EQ(worker["template"]["spec"]["affinity"]["podAntiAffinity"]
                  ["requiredDuringSchedulingIgnoredDuringExecution"][0]["labelSelector"]["matchLabels"]
                  ["skyrun.io/role"],
            "worker")
      << "the workers repel each other, not the parameter server";
  EXPECT_FALSE(ps["template"]["spec"]["affinity"].contains("podAntiAffinity"));
  auto ps_env = EnvOf(ps);
  auto w_env = EnvOf(worker);
  EXPECT_EQ(Value(ps_env, "CUDA_VISIBLE_DEVICES"), "") << "a pod without GPUs must see none";
  EXPECT_EQ(Value(ps_env, "SKYRUN_ROLE"), "ps");
  EXPECT_EQ(Value(w_env, "SKYRUN_ROLE"), "worker");
  EXPECT_EQ(Value(w_env, "SKYRUN_RANK_OFFSET"), "1");
  EXPECT_EQ(Value(w_env, "WORLD_SIZE"), "3");
  EXPECT_EQ(Value(w_env, "MASTER_ADDR"), "ctr-model-99-a1-ps-0.ctr-model-99-a1")
      << "rank 0, as on other backends";
  EXPECT_EQ(
      ps["template"]["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        ["nodeSelectorTerms"][0]["matchExpressions"][0]["values"],
      Json::array({"cpu-node-1"}));
  const Json& vol = worker["template"]["spec"]["volumes"][0];
  EXPECT_EQ(vol["hostPath"]["path"], "/mnt/skyrun-ckpt/ads/99");
  EXPECT_EQ(vol["hostPath"]["type"], "DirectoryOrCreate");
  EXPECT_FALSE(wc["volumeMounts"][0].contains("subPath"));
  EXPECT_EQ(wc["volumeMounts"][0]["mountPath"], "/checkpoints/ctr");
}

TEST(VolcanoRenderTest, MilliGpuAsksForOneVgpuWithItsShare) {
  VolcanoCase c = Case("milli_gpu");
  Json m = Render(c);
  const Json& task = m["spec"]["tasks"][0];
  const Json& limits = task["template"]["spec"]["containers"][0]["resources"]["limits"];
  EXPECT_EQ(limits["volcano.sh/vgpu-number"], "1");
  EXPECT_EQ(limits["volcano.sh/vgpu-cores"], "50");
  EXPECT_EQ(limits["volcano.sh/vgpu-memory-percentage"], "50");
  EXPECT_FALSE(limits.contains("nvidia.com/gpu"));
  EXPECT_EQ(limits["cpu"], "2500m");
  EXPECT_EQ(task["template"]["metadata"]["annotations"]["skyrun.io/gpu-milli"], "500");
  EXPECT_EQ(task["template"]["spec"]["containers"][0]["image"], "registry.example.org/base/cuda:12.4-runtime")
      << "no image in the spec: the cluster's default";
  EXPECT_TRUE(task["template"]["spec"]["volumes"][0].contains("emptyDir"));
  EXPECT_EQ(m["metadata"]["labels"]["skyrun.io/tenant"], "Research_Lab");
  EXPECT_EQ(m["spec"]["maxRetry"], 0);
  EXPECT_FALSE(m["spec"].contains("policies")) << "a single task has no gang policies";

  // Share rounding: 333 milli -> 34 percent (never less than asked).
  c.launch.tasks[0].placement.gpu_milli = MilliGpu(333);
  Json m2 = Render(c);
  EXPECT_EQ(m2["spec"]["tasks"][0]["template"]["spec"]["containers"][0]["resources"]["limits"]
              ["volcano.sh/vgpu-cores"],
            "34");
}

TEST(VolcanoRenderTest, ShellTextReachesTheContainerAsWritten) {
  VolcanoCase c = Case("milli_gpu");
  Json m = Render(c);
  const Json& container = m["spec"]["tasks"][0]["template"]["spec"]["containers"][0];
  std::map<std::string, std::string> vars;  // what Kubernetes could substitute
  for (const auto& e : container["env"])
    if (e.contains("value")) vars[e["name"].get<std::string>()] = e["value"].get<std::string>();
  vars["pwd"] = "/should/not/appear";
  vars["question"] = "should not appear";
  EXPECT_EQ(KubeExpand(container["args"][3].get<std::string>(), vars), c.launch.tasks[0].run);
  EXPECT_EQ(KubeExpand(container["args"][0].get<std::string>(), vars), VolcanoTaskWrapperScript());
  auto env = EnvOf(m["spec"]["tasks"][0]);
  EXPECT_EQ(KubeExpand(Value(env, "PROMPT_TEMPLATE"), vars), "Q: $(question) A:");
}

TEST(VolcanoRenderTest, EscapingIsExactForTrickyText) {
  std::map<std::string, std::string> vars = {{"HOME", "/root"}, {"X", "x"}};
  for (const std::string s : {"", "$", "$$", "$$$", "$(HOME)", "$$(HOME)", "a$", "$(", "$(X", "${X}", "$X",
                              "$$$(X)", "echo $((1+2))", "cost: $5", "$(HOME)$(X)$$"}) {
    EXPECT_EQ(KubeExpand(EscapeKubeExpansion(s), vars), s) << s;
  }
}

TEST(VolcanoRenderTest, SingleJobName) {
  VolcanoCase c = Case("single");
  auto r = RenderVolcanoJob(c.launch, c.config);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->job_name, "resnet50-eval-7-a1");
  EXPECT_EQ(r->manifest["metadata"]["annotations"]["skyrun.io/job-name"], "resnet50 eval");
  EXPECT_EQ(r->manifest["spec"]["minAvailable"], 1);
  EXPECT_EQ(r->manifest["spec"]["tasks"][0]["name"], "worker");
  auto env = EnvOf(r->manifest["spec"]["tasks"][0]);
  EXPECT_EQ(Value(env, "DATASET"), "imagenet-val");
  EXPECT_EQ(Value(env, "SKYRUN_CHECKPOINT_DIR"), "/skyrun/checkpoints")
      << "no checkpoint.dir: the config's default";
}

// --- refusals ---

std::string RenderError(const VolcanoCase& c) {
  auto r = RenderVolcanoJob(c.launch, c.config);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

TEST(VolcanoRenderTest, RefusesAJobWithNoImageAnywhere) {
  VolcanoCase c = Case("milli_gpu");
  c.config.default_image.clear();
  std::string m = RenderError(c);
  EXPECT_NE(m.find("no container image"), std::string::npos) << m;
  EXPECT_NE(m.find("default_image"), std::string::npos) << "says what to do: " << m;
}

TEST(VolcanoRenderTest, RefusesAJobWithoutRun) {
  VolcanoCase c = Case("single");
  c.launch.tasks[0].run = "  ";
  EXPECT_NE(RenderError(c).find("no run command"), std::string::npos);
}

TEST(VolcanoRenderTest, RefusesReplicasThatCannotShareATemplate) {
  VolcanoCase c = Case("gang");
  c.launch.tasks[1].placement.memory_mib = MemoryMiB(1024);
  EXPECT_NE(RenderError(c).find("different cpu, memory or GPU"), std::string::npos);

  c = Case("gang");
  c.launch.tasks[1].env["MODEL"] = "bert-base";
  std::string m = RenderError(c);
  EXPECT_NE(m.find("MODEL differs between ranks 0 and 1"), std::string::npos) << m;

  c = Case("gang");
  c.launch.tasks[1].image = "other:1";
  EXPECT_NE(RenderError(c).find("different images"), std::string::npos);
}

TEST(VolcanoRenderTest, RefusesBadRankLayouts) {
  VolcanoCase c = Case("ps_worker");
  std::swap(c.launch.tasks[0].role, c.launch.tasks[1].role);  // worker, ps, worker
  EXPECT_NE(RenderError(c).find("not contiguous"), std::string::npos);

  c = Case("gang");
  c.launch.tasks[1].rank = 5;
  EXPECT_NE(RenderError(c).find("without gaps"), std::string::npos);
}

TEST(VolcanoRenderTest, RefusesUnmappableQueuesAndUnsupportedModes) {
  VolcanoCase c = Case("single");
  auto spec = std::make_shared<JobSpec>(*c.spec);
  spec->queue = "Team Queue";
  c.spec = spec;
  c.launch.spec = spec.get();
  std::string m = RenderError(c);
  EXPECT_NE(m.find("queue 'Team Queue'"), std::string::npos) << m;
  spec->queue = "default";
  spec->mode = JobMode::kService;
  EXPECT_NE(RenderError(c).find("not supported"), std::string::npos);
}

// --- the wrapper, run by a real shell ---

struct WrapperRun {
  int exit_code = 0;
  std::string out;
};

WrapperRun RunWrapper(const std::vector<std::string>& env, const std::string& setup, const std::string& run) {
  std::vector<std::string> argv = {"/usr/bin/env", "-i", "PATH=/usr/bin:/bin"};
  argv.insert(argv.end(), env.begin(), env.end());
  argv.insert(argv.end(), {"/bin/sh", "-c", VolcanoTaskWrapperScript(), "skyrun-task", setup, run});
  ProcessKubectlRunner runner;
  auto r = runner.Run(argv);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? WrapperRun{r->exit_code, r->stdout_text} : WrapperRun{-1, ""};
}

TEST(VolcanoTaskWrapperTest, ComputesTheRankFromTheTaskIndex) {
  const std::string show = "echo \"$RANK $SKYRUN_NODE_RANK $SKYRUN_TASK_ID\"";
  // The env plugin's VC_TASK_INDEX first.
  auto r = RunWrapper({"VC_TASK_INDEX=1", "SKYRUN_TASK_INDEX=7", "SKYRUN_RANK_OFFSET=1", "SKYRUN_JOB_ID=99"},
                      "", show);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, "2 2 99-2\n");
  // Without the plugin: the downward-API annotation.
  r = RunWrapper({"SKYRUN_TASK_INDEX=0", "SKYRUN_RANK_OFFSET=0", "SKYRUN_JOB_ID=7"}, "", show);
  EXPECT_EQ(r.out, "0 0 7-0\n");
  // Without either: the pod name's suffix.
  r = RunWrapper(
      {"HOSTNAME=bert-42-a1-worker-3", "SKYRUN_TASK_INDEX=", "SKYRUN_RANK_OFFSET=2", "SKYRUN_JOB_ID=42"}, "",
      show);
  EXPECT_EQ(r.out, "5 5 42-5\n");
}

TEST(VolcanoTaskWrapperTest, RunsSetupThenRunAndStopsOnSetupFailure) {
  auto ok = RunWrapper({"VC_TASK_INDEX=0", "SKYRUN_RANK_OFFSET=0"}, "echo setup", "echo run; exit 3");
  EXPECT_EQ(ok.out, "setup\nrun\n");
  EXPECT_EQ(ok.exit_code, 3) << "run's exit code is the container's";
  auto bad = RunWrapper({"VC_TASK_INDEX=0", "SKYRUN_RANK_OFFSET=0"}, "echo setup; exit 4", "echo run");
  EXPECT_EQ(bad.out, "setup\n");
  EXPECT_EQ(bad.exit_code, 4);
}

}  // namespace
}  // namespace skyrun
