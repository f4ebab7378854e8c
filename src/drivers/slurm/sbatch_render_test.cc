// sbatch rendering: golden files (tests/slurm/golden/*.sbatch) for a single
// task, a gang of 2 nodes x 2 GPUs, a ps-worker job, a milli-GPU task, a
// ps-worker job whose roles have their own images (apptainer) and a gang in
// an image with pyxis (neither pyxis nor apptainer is installed here: the
// goldens are the scripts, not runs of them); the
// goldens are also checked by `bash -n`. To accept a deliberate change of the
// script, run with SKYRUN_UPDATE_GOLDEN=1 and review the diff.
#include "drivers/slurm/sbatch_render.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "drivers/slurm/command_runner.h"
#include "drivers/slurm/sbatch_test_launch.h"
#include "support/golden.h"

namespace skyrun {
namespace {

std::string GoldenPath(const std::string& name) {
  return std::string(SKYRUN_SLURM_TESTDATA) + "/golden/" + name + ".sbatch";
}

using test_support::ReadFileOrEmpty;

void ExpectGolden(const std::string& name, const std::string& actual) {
  test_support::ExpectMatchesGolden(GoldenPath(name), actual);
}

// The environment the controller gives a task (as controller/task_env.cc does).
std::map<std::string, std::string> ControllerEnv(int64_t job, const std::string& name, int rank, int world,
                                                 const std::string& node, const std::vector<int>& gpus) {
  std::string cvd;
  for (int g : gpus) cvd += (cvd.empty() ? "" : ",") + std::to_string(g);
  return {{"SKYRUN_JOB_ID", std::to_string(job)},
          {"SKYRUN_JOB_NAME", name},
          {"SKYRUN_TASK_ID", std::to_string(job) + "-" + std::to_string(rank)},
          {"SKYRUN_ATTEMPT", "1"},
          {"SKYRUN_NODE_RANK", std::to_string(rank)},
          {"SKYRUN_NUM_NODES", std::to_string(world)},
          {"SKYRUN_NODE_IPS", "10.0.0.1\n10.0.0.2"},
          {"SKYRUN_NODE_NAME", node},
          {"SKYRUN_CHECKPOINT_DIR", "/srv/skyrun/jobs/" + std::to_string(job) + "/checkpoints"},
          {"MASTER_ADDR", "10.0.0.1"},
          {"WORLD_SIZE", std::to_string(world)},
          {"RANK", std::to_string(rank)},
          {"LOCAL_RANK", "0"},
          {"CUDA_VISIBLE_DEVICES", cvd}};
}

TaskLaunch Task(int64_t job, const std::string& name, int rank, int world, const std::string& node,
                const std::vector<int>& gpus, const std::string& model, int64_t cpus_milli,
                int64_t memory_mib) {
  TaskLaunch t;
  t.rank = rank;
  t.placement.rank = rank;
  t.placement.node = node;
  t.placement.node_address = "10.0.0.1";
  t.placement.gpu_indices = gpus;
  t.placement.gpu_milli = MilliGpu(1000 * static_cast<int64_t>(gpus.size()));
  t.placement.gpu_model = gpus.empty() ? "" : model;
  t.placement.cpus_milli = MilliCpu(cpus_milli);
  t.placement.memory_mib = MemoryMiB(memory_mib);
  t.env = ControllerEnv(job, name, rank, world, node, gpus);
  return t;
}

AttemptLaunch Launch(const JobSpec* spec, int64_t job) {
  return SbatchTestLaunch(spec, job);
}

SbatchOptions Options() {
  SbatchOptions o;
  o.backend_name = "slurm/hpc1";
  o.partition = "gpu";
  o.account = "ml-team";
  o.qos = "normal";
  return o;
}

TEST(SbatchRender, SingleTaskGolden) {
  JobSpec spec;
  spec.name = "bert-finetune";
  spec.envs = {{"MODEL", "bert-large"}};
  AttemptLaunch l = Launch(&spec, 7);
  l.time_limit_seconds = 3630;  // 60.5 min: Slurm counts whole minutes, rounded up
  TaskLaunch t = Task(7, spec.name, 0, 1, "slurm/hpc1/node1", {0}, "T4", 4000, 8192);
  t.env["MODEL"] = "bert-large";
  t.setup = "pip install -r requirements.txt";
  t.run = "python train.py --ckpt \"$SKYRUN_CHECKPOINT_DIR\" --note \"it's fine\"";
  l.tasks.push_back(t);
  auto script = RenderSbatch(l, Options());
  ASSERT_TRUE(script.ok()) << script.status().message();
  ExpectGolden("single", *script);
}

TEST(SbatchRender, GangTwoNodesTwoGpusGolden) {
  JobSpec spec;
  spec.name = "ddp";
  spec.mode = JobMode::kGang;
  spec.num_nodes = 2;
  spec.workdir = "/home/alice/train";
  AttemptLaunch l = Launch(&spec, 8);
  l.time_limit_seconds = 2 * 86400 + 3600;
  for (int r = 0; r < 2; ++r) {
    TaskLaunch t =
        Task(8, spec.name, r, 2, "slurm/hpc1/node" + std::to_string(r + 1), {0, 1}, "T4", 8000, 16384);
    t.run =
        "torchrun --nnodes=$SKYRUN_NUM_NODES --node_rank=$SKYRUN_NODE_RANK --nproc_per_node=2 "
        "--master_addr=$MASTER_ADDR --master_port=$MASTER_PORT train.py";
    l.tasks.push_back(t);
  }
  SbatchOptions o = Options();
  o.account.clear();
  o.qos.clear();
  auto script = RenderSbatch(l, o);
  ASSERT_TRUE(script.ok()) << script.status().message();
  ExpectGolden("gang", *script);
}

// A relative workdir is the spec file's directory's, as on the local
// backend; "." once sent the job to slurmd's own cwd.
TEST(SbatchRender, RelativeWorkdirIsResolvedAgainstTheSpecFile) {
  JobSpec spec;
  spec.name = "ddp";
  spec.workdir = ".";
  spec.base_dir = "/home/alice/ddp";
  AttemptLaunch l = Launch(&spec, 11);
  l.tasks.push_back(Task(11, spec.name, 0, 1, "slurm/hpc1/node1", {}, "", 1000, 1024));
  auto script = RenderSbatch(l, Options());
  ASSERT_TRUE(script.ok()) << script.status().message();
  EXPECT_NE(script->find("\ncd -- /home/alice/ddp || "), std::string::npos) << *script;
  spec.workdir = "train/../src";
  script = RenderSbatch(l, Options());
  ASSERT_TRUE(script.ok()) << script.status().message();
  EXPECT_NE(script->find("\ncd -- /home/alice/ddp/src || "), std::string::npos) << *script;
}

// Issue 10, item 5: the workdir is a tenant's text; it once went verbatim on
// the "#SBATCH --chdir=" line, where a newline ended the directives and
// started a command. Now it is a single-quoted word of a `cd`.
TEST(SbatchRender, Item5_WorkdirIsAQuotedWordNeverAnSbatchLine) {
  JobSpec spec;
  spec.name = "inj";
  spec.workdir = "/x\ntouch INJECTED\n#'; touch Q '$(touch S)";
  AttemptLaunch l = Launch(&spec, 12);
  l.tasks.push_back(Task(12, spec.name, 0, 1, "slurm/hpc1/node1", {}, "", 1000, 1024));
  auto script = RenderSbatch(l, Options());
  ASSERT_TRUE(script.ok()) << script.status().message();
  EXPECT_NE(script->find("#SBATCH --chdir=/srv/skyrun/jobs/12/attempt-1\n"), std::string::npos) << *script;
  EXPECT_NE(script->find("cd -- '/x\ntouch INJECTED\n#'\\''; touch Q '\\''$(touch S)' || "),
            std::string::npos)
      << *script;
  EXPECT_NE(script->find("#SBATCH --output=/srv/skyrun/jobs/12/attempt-1/batch.log\n#SBATCH --no-requeue\n"),
            std::string::npos)
      << *script;
}

// Values of #SBATCH lines are the server's; one that sbatch would split or
// end is refused rather than written.
TEST(SbatchRender, Item5_SbatchLinesCarryOnlyPlainWords) {
  JobSpec spec;
  spec.name = "x";
  AttemptLaunch l = Launch(&spec, 13);
  l.tasks.push_back(Task(13, spec.name, 0, 1, "slurm/hpc1/node1", {}, "", 1000, 1024));
  SbatchOptions o = Options();
  o.account = "acct\n#SBATCH --wrap=id";
  auto script = RenderSbatch(l, o);
  ASSERT_FALSE(script.ok());
  EXPECT_NE(script.status().message().find("cannot go on an #SBATCH line"), std::string::npos);
  l.job_dir = "/srv/sky run/jobs/13";
  script = RenderSbatch(l, Options());
  ASSERT_FALSE(script.ok());
  // A NUL cannot be carried by a shell word: refused, not cut short.
  l = Launch(&spec, 13);
  l.tasks.push_back(Task(13, spec.name, 0, 1, "slurm/hpc1/node1", {}, "", 1000, 1024));
  l.tasks[0].run = std::string("echo a\0; touch x", 16);
  script = RenderSbatch(l, Options());
  ASSERT_FALSE(script.ok());
  EXPECT_NE(script.status().message().find("NUL"), std::string::npos);
}

// A container bind list is "src:dst,src:dst": a path holding ',' or ':'
// would add a bind of its own choosing.
TEST(SbatchRender, Item5_ContainerBindsRefusePathsThatWouldSplit) {
  JobSpec spec;
  spec.name = "binds";
  spec.image = "docker://ubuntu";
  spec.file_mounts = {{"/data,/etc:/host-etc", "/srv/data"}};
  AttemptLaunch l = Launch(&spec, 14);
  l.tasks.push_back(Task(14, spec.name, 0, 1, "slurm/hpc1/node1", {}, "", 1000, 1024));
  l.tasks[0].image = spec.image;
  SbatchOptions o = Options();
  o.container = "apptainer";
  auto script = RenderSbatch(l, o);
  ASSERT_FALSE(script.ok());
  EXPECT_NE(script.status().message().find("container bind list"), std::string::npos)
      << script.status().message();
  spec.file_mounts = {{"/data", "/srv/data"}};
  script = RenderSbatch(l, o);
  ASSERT_TRUE(script.ok()) << script.status().message();
  EXPECT_NE(script->find("--bind /srv/skyrun/jobs/14,/srv/skyrun/jobs/14/checkpoints,/srv/data:/data"),
            std::string::npos)
      << *script;
}

TEST(SbatchRender, PsWorkerGolden) {
  JobSpec spec;
  spec.name = "ps-train";
  spec.mode = JobMode::kPsWorker;
  spec.image = "registry.example.org/ml/tf:2.15";
  Role ps{"ps", 1, {}, "", "python ps.py"};
  ps.resources.cpus_milli = MilliCpu(2000);
  ps.resources.memory_mib = MemoryMiB(4096);
  Role worker{"worker", 2, {}, "", "python worker.py --ps \"$SKYRUN_NODE_IPS\""};
  worker.resources.accelerators = {{"A100-80GB", 1}};
  worker.resources.cpus_milli = MilliCpu(4000);
  worker.resources.memory_mib = MemoryMiB(8192);
  spec.roles = {ps, worker};
  AttemptLaunch l = Launch(&spec, 9);
  // ps and worker 0 share node1; worker 1 is alone on node2.
  TaskLaunch t0 = Task(9, spec.name, 0, 3, "slurm/hpc1/node1", {}, "", 2000, 4096);
  t0.role = "ps";
  t0.env["SKYRUN_ROLE"] = "ps";
  t0.run = ps.run;
  TaskLaunch t1 = Task(9, spec.name, 1, 3, "slurm/hpc1/node1", {0}, "A100-80GB", 4000, 8192);
  t1.role = "worker";
  t1.env["SKYRUN_ROLE"] = "worker";
  t1.run = worker.run;
  TaskLaunch t2 = Task(9, spec.name, 2, 3, "slurm/hpc1/node2", {0}, "A100-80GB", 4000, 8192);
  t2.role = "worker";
  t2.env["SKYRUN_ROLE"] = "worker";
  t2.run = worker.run;
  for (TaskLaunch* t : {&t0, &t1, &t2}) {
    t->image = spec.image;
    l.tasks.push_back(*t);
  }
  SbatchOptions o = Options();
  o.container = "apptainer";
  o.gres_types = {{"A100-80GB", "a100"}};
  auto script = RenderSbatch(l, o);
  ASSERT_TRUE(script.ok()) << script.status().message();
  ExpectGolden("ps_worker", *script);
}

TEST(SbatchRender, MilliGpuGolden) {
  JobSpec spec;
  spec.name = "notebook";
  spec.resources.gpu_milli = MilliGpu(500);
  spec.image = "nvcr.io/nvidia/pytorch:24.01-py3";
  AttemptLaunch l = Launch(&spec, 10);
  // No node named: Slurm chooses; half a GPU is one whole GPU on Slurm.
  TaskLaunch t = Task(10, spec.name, 0, 1, "", {}, "", 1000, 0);
  t.placement.gpu_milli = MilliGpu(500);
  t.placement.gpu_model = "T4";
  t.placement.memory_mib = MemoryMiB(0);
  t.env["SKYRUN_GPU_MILLI"] = "500";
  t.image = spec.image;
  t.run = "python serve.py";
  l.tasks.push_back(t);
  SbatchOptions o = Options();
  o.container = "pyxis";
  o.default_memory_mib_per_task = 2048;
  auto script = RenderSbatch(l, o);
  ASSERT_TRUE(script.ok()) << script.status().message();
  ExpectGolden("milli_gpu", *script);
}

// Issue 13, item 2: each role of a ps-worker job in its own image
// (apptainer: each rank's command runs in its role's image).
TEST(SbatchRender, PsWorkerRoleImagesApptainerGolden) {
  JobSpec spec;
  spec.name = "ps-roles";
  spec.mode = JobMode::kPsWorker;
  Role ps{"ps", 1, {}, "docker://registry.example.org/ads/ps:2.1", "python ps.py"};
  Role worker{"worker", 1, {}, "docker://registry.example.org/ads/worker:2.1", "python worker.py"};
  worker.resources.accelerators = {{"T4", 1}};
  spec.roles = {ps, worker};
  AttemptLaunch l = Launch(&spec, 15);
  TaskLaunch t0 = Task(15, spec.name, 0, 2, "slurm/hpc1/node1", {}, "", 1000, 1024);
  t0.role = "ps";
  t0.env["SKYRUN_ROLE"] = "ps";
  t0.run = ps.run;
  t0.image = ps.image;
  TaskLaunch t1 = Task(15, spec.name, 1, 2, "slurm/hpc1/node2", {0}, "T4", 1000, 1024);
  t1.role = "worker";
  t1.env["SKYRUN_ROLE"] = "worker";
  t1.run = worker.run;
  t1.image = worker.image;
  l.tasks = {t0, t1};
  SbatchOptions o = Options();
  o.container = "apptainer";
  auto script = RenderSbatch(l, o);
  ASSERT_TRUE(script.ok()) << script.status().message();
  ExpectGolden("ps_worker_role_images", *script);
  // Each rank's block names its own role's image.
  size_t ps_at = script->find("    0)\n"), worker_at = script->find("    1)\n");
  ASSERT_NE(ps_at, std::string::npos) << *script;
  ASSERT_NE(worker_at, std::string::npos) << *script;
  EXPECT_NE(script->substr(ps_at, worker_at - ps_at).find("ads/ps:2.1"), std::string::npos) << *script;
  EXPECT_NE(script->substr(worker_at).find("ads/worker:2.1"), std::string::npos) << *script;
  EXPECT_EQ(script->substr(worker_at).find("ads/ps:2.1"), std::string::npos) << *script;
}

// Issue 13, item 2: a gang in one image with pyxis: --container-image and
// --container-mounts (job directory, checkpoints, workdir) on the srun line.
TEST(SbatchRender, GangPyxisGolden) {
  JobSpec spec;
  spec.name = "ddp-pyxis";
  spec.mode = JobMode::kGang;
  spec.num_nodes = 2;
  spec.workdir = "/home/alice/train";
  spec.image = "nvcr.io/nvidia/pytorch:24.01-py3";
  AttemptLaunch l = Launch(&spec, 16);
  for (int r = 0; r < 2; ++r) {
    TaskLaunch t =
        Task(16, spec.name, r, 2, "slurm/hpc1/node" + std::to_string(r + 1), {0}, "T4", 2000, 4096);
    t.image = spec.image;
    t.run = "torchrun --nnodes=$SKYRUN_NUM_NODES --node_rank=$SKYRUN_NODE_RANK train.py";
    l.tasks.push_back(t);
  }
  SbatchOptions o = Options();
  o.container = "pyxis";
  auto script = RenderSbatch(l, o);
  ASSERT_TRUE(script.ok()) << script.status().message();
  ExpectGolden("gang_pyxis", *script);
  EXPECT_NE(script->find(
                "--container-image=nvcr.io/nvidia/pytorch:24.01-py3 "
                "--container-mounts=/srv/skyrun/jobs/16,/srv/skyrun/jobs/16/checkpoints,/home/alice/train"),
            std::string::npos)
      << *script;
}

TEST(SbatchRender, GoldenScriptsAreValidBash) {
  ProcessCommandRunner runner;
  for (const char* name :
       {"single", "gang", "ps_worker", "milli_gpu", "ps_worker_role_images", "gang_pyxis"}) {
    auto r = runner.Run({"bash", "-n", GoldenPath(name)}, {}, 10000);
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->exit_code, 0) << name << ": " << r->err;
  }
}

TEST(SbatchRender, RefusesWhatSlurmCannotExpress) {
  JobSpec spec;
  spec.name = "x";
  AttemptLaunch l = Launch(&spec, 11);
  EXPECT_FALSE(RenderSbatch(l, Options()).ok());  // no tasks

  l.tasks.push_back(Task(11, "x", 0, 1, "slurm/hpc1/node1", {}, "", 1000, 128));
  l.tasks[0].env["BAD-NAME"] = "1";
  auto bad_env = RenderSbatch(l, Options());
  ASSERT_FALSE(bad_env.ok());
  EXPECT_NE(bad_env.status().message().find("BAD-NAME"), std::string::npos);

  l.tasks[0].env.erase("BAD-NAME");
  l.tasks[0].image = "ubuntu:24.04";
  auto no_runtime = RenderSbatch(l, Options());
  ASSERT_FALSE(no_runtime.ok());
  EXPECT_NE(no_runtime.status().message().find("no container support"), std::string::npos);

  SbatchOptions pyxis = Options();
  pyxis.container = "pyxis";
  l.tasks.push_back(Task(11, "x", 1, 2, "slurm/hpc1/node2", {}, "", 1000, 128));
  l.tasks[1].image = "debian:12";
  auto two_images = RenderSbatch(l, pyxis);
  ASSERT_FALSE(two_images.ok());
  EXPECT_NE(two_images.status().message().find("one image"), std::string::npos);
}

TEST(SbatchRender, TimeLimitsRoundUpToWholeMinutes) {
  EXPECT_EQ(FormatSlurmTimeLimit(1), "00:01:00");
  EXPECT_EQ(FormatSlurmTimeLimit(60), "00:01:00");
  EXPECT_EQ(FormatSlurmTimeLimit(61), "00:02:00");
  EXPECT_EQ(FormatSlurmTimeLimit(6 * 3600), "06:00:00");
  EXPECT_EQ(FormatSlurmTimeLimit(86400 + 90), "1-00:02:00");
}

TEST(SbatchRender, NodeNamesLoseTheBackendPrefix) {
  EXPECT_EQ(SlurmNodeName("slurm/hpc1/node7", "slurm/hpc1"), "node7");
  EXPECT_EQ(SlurmNodeName("gpu-a01", "slurm/hpc1"), "gpu-a01");
  EXPECT_EQ(SlurmNodeName("slurm/hpc2/node7", "slurm/hpc1"), "slurm/hpc2/node7");
  EXPECT_EQ(SlurmRankDir("/j/3", 2, 1), "/j/3/attempt-2/rank-1");
}

TEST(SbatchRender, ShellQuoteSurvivesBash) {
  ProcessCommandRunner runner;
  for (std::string s :
       {"plain", "two words", "it's", "$HOME and `id`", "", "line1\nline2", "a\"b\\c", "--x=1,2"}) {
    auto r = runner.Run({"bash", "-c", "printf %s " + ShellQuote(s)}, {}, 10000);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->out, s) << "quoted as " << ShellQuote(s);
  }
}

}  // namespace
}  // namespace skyrun
