// Volumes on Slurm through skyrun (issue 13, item 3): the real `skyrun`
// server with its local pool (sandboxed) and the suite's own Slurm cluster,
// whose volumes_root is the server's volume store (one host: the "shared
// filesystem" is the same path). Tenant alpha creates a volume through the
// API; a job on Slurm writes into it, the next job of alpha on Slurm reads it
// and so does one on the local pool; tenant beta cannot name it (refused at
// submission) and, with a volume of its own, cannot reach alpha's by its host
// path from a Slurm job.
#include <gtest/gtest.h>

#include <filesystem>

#include "server_harness.h"
#include "support/golden.h"
#include "support/slurm/slurm_cluster_suite.h"
#include "support/spec_text.h"
#include "support/temp_dir.h"

namespace skyrun::testing {
namespace {

using test_support::Quoted;

class SlurmVolumesE2eTest : public SlurmClusterSuite {
 protected:
  static void SetUpTestSuite() { StartCluster({}); }
  static void TearDownTestSuite() { StopCluster(); }

  // `storage` adds keys to the server's storage: section (quotas).
  std::string Config(const std::string& storage = "") const {
    return "local:\n"
           "  kill_grace_seconds: 2\n"
           "  sandbox:\n"
           "    task_uid_range: [250000, 250999]\n"
           "  nodes:\n"
           "    - {name: box1, cpus: 2, memory: 2GiB}\n"
           "storage:\n" +
           storage + "  volumes_dir: " + volumes_.path() +
           "\n"
           "slurm:\n"
           "  - name: hpc1\n"
           "    slurm_conf: " +
           cluster_->slurm_conf() +
           "\n"
           "    partition: debug\n"
           "    volumes_root: " +
           volumes_.path() +
           "\n"
           "    volumes_bwrap: true\n";
  }

  static std::string Token(const ServerHarness& server, const std::string& tenant) {
    server.Post("/v1/admin/tenants", {{"name", tenant}}, server.admin_token());
    auto tok =
        server.Post("/v1/admin/tokens", {{"tenant", tenant}, {"role", "member"}}, server.admin_token());
    EXPECT_TRUE(tok.status == 200 || tok.status == 201) << tok.body;
    return tok.Json().value("token", "");
  }

  // Runs a job to its end; its log, its state in *state, its backend in *backend.
  static std::string Run(const ServerHarness& server, const std::string& spec, const std::string& token,
                         std::string* state, std::string* backend) {
    int64_t id = server.Submit(spec, "job.yaml", token);
    EXPECT_GT(id, 0) << spec;
    if (id <= 0) return "";
    *state = server.WaitForState(id, {"SUCCEEDED", "FAILED", "CANCELLED"}, 180);
    auto job = server.Job(id);
    if (!job["attempts"].empty()) *backend = job["attempts"].back().value("backend", "");
    return server.Get("/v1/jobs/" + std::to_string(id) + "/logs", token).body;
  }

  test_support::TempDir volumes_{"skyrun-slurm-volumes"};
};

TEST_F(SlurmVolumesE2eTest, AVolumeWrittenOnSlurmIsReadBySlurmAndTheLocalPoolOfItsTenantOnly) {
  ServerHarness server(Config());
  server.Start();
  std::string alpha = Token(server, "alpha");
  std::string beta = Token(server, "beta");
  ASSERT_EQ(server.Post("/v1/volumes", {{"name", "data"}}, alpha).status, 201);
  std::string state, backend;

  std::string log = Run(server,
                        "name: writer\nresources: {infra: [slurm]}\nvolumes: [data:/data]\nrun: " +
                            Quoted("echo ALPHA-SECRET > $SKYRUN_MOUNT_ROOT/data/f && echo wrote") + "\n",
                        alpha, &state, &backend);
  ASSERT_EQ(state, "SUCCEEDED") << log;
  EXPECT_EQ(backend, "slurm/hpc1");
  EXPECT_NE(log.find("wrote"), std::string::npos) << log;

  log = Run(server,
            "name: reader\nresources: {infra: [slurm]}\nvolumes: [\"data:/in:ro\"]\nrun: " +
                Quoted("cat $SKYRUN_MOUNT_ROOT/in/f; (echo x > $SKYRUN_MOUNT_ROOT/in/g) 2>/dev/null && "
                       "echo WROTE-RO; echo done") +
                "\n",
            alpha, &state, &backend);
  ASSERT_EQ(state, "SUCCEEDED") << log;
  EXPECT_EQ(backend, "slurm/hpc1");
  EXPECT_NE(log.find("ALPHA-SECRET"), std::string::npos) << log;
  EXPECT_EQ(log.find("WROTE-RO"), std::string::npos) << log;

  log = Run(server,
            "name: local-reader\nresources: {infra: [local]}\nvolumes: [data:/data]\nrun: " +
                Quoted("cat $SKYRUN_MOUNT_ROOT/data/f") + "\n",
            alpha, &state, &backend);
  ASSERT_EQ(state, "SUCCEEDED") << log;
  EXPECT_EQ(backend, "local");
  EXPECT_NE(log.find("ALPHA-SECRET"), std::string::npos) << log;

  HttpResult refused = server.Post("/v1/jobs",
                                   {{"spec",
                                     "name: thief\nresources: {infra: [slurm]}\nvolumes: [data:/data]\nrun: "
                                     "cat $SKYRUN_MOUNT_ROOT/data/f\n"}},
                                   beta);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("no volume 'data'"), std::string::npos) << refused.body;

  ASSERT_EQ(server.Post("/v1/volumes", {{"name", "data"}}, beta).status, 201);
  const std::string alpha_host = volumes_.path() + "/alpha/data/data/f";
  ASSERT_TRUE(std::filesystem::exists(alpha_host));
  log = Run(server,
            "name: thief\nresources: {infra: [slurm]}\nvolumes: [data:/data]\nrun: " +
                Quoted("ls $SKYRUN_MOUNT_ROOT/data; cat $SKYRUN_MOUNT_ROOT/data/f " + alpha_host +
                       " 2>/dev/null; ls -R " + volumes_.path() + " 2>/dev/null; echo thief-done") +
                "\n",
            beta, &state, &backend);
  EXPECT_EQ(state, "SUCCEEDED") << log;
  EXPECT_EQ(backend, "slurm/hpc1");
  EXPECT_NE(log.find("thief-done"), std::string::npos) << log;
  EXPECT_EQ(log.find("ALPHA-SECRET"), std::string::npos) << log;
}

// Quotas on Slurm (issue 13): the server's store is what the nodes see, so a
// volume a Slurm job filled past its size stops the tenant's next job that
// would write it, at submission to Slurm, with the figures; read-only use
// still runs there.
TEST_F(SlurmVolumesE2eTest, AVolumeFilledPastItsSizeOnSlurmStopsTheNextWriterWithTheReason) {
  ServerHarness server(Config("  per_tenant_bytes: 4194304\n"));
  server.Start();
  std::string alpha = Token(server, "alpha");
  ASSERT_EQ(server.Post("/v1/volumes", {{"name", "small"}, {"size_bytes", 65536}}, alpha).status, 201);
  std::string state, backend;
  std::string log =
      Run(server,
          "name: filler\nresources: {infra: [slurm]}\nvolumes: [small:/s]\nrun: " +
              Quoted("head -c 300000 /dev/zero > $SKYRUN_MOUNT_ROOT/s/big && echo filled") + "\n",
          alpha, &state, &backend);
  ASSERT_EQ(state, "SUCCEEDED") << log;
  EXPECT_EQ(backend, "slurm/hpc1");

  int64_t id = server.Submit(
      "name: more\nresources: {infra: [slurm]}\nvolumes: [small:/s]\nrun: echo more > "
      "$SKYRUN_MOUNT_ROOT/s/x\n",
      "more.yaml", alpha);
  ASSERT_GT(id, 0);
  EXPECT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED", "CANCELLED"}, 180), "FAILED");
  std::string job = server.Job(id).dump();
  EXPECT_NE(job.find("slurm/hpc1: volume 'small' holds"), std::string::npos) << job;
  EXPECT_NE(job.find("more than its size 64.0 KiB"), std::string::npos) << job;
  EXPECT_FALSE(std::filesystem::exists(volumes_.path() + "/alpha/data/small/x"));

  log = Run(server,
            "name: reader\nresources: {infra: [slurm]}\nvolumes: [\"small:/s:ro\"]\nrun: " +
                Quoted("ls -l $SKYRUN_MOUNT_ROOT/s && echo read-ok") + "\n",
            alpha, &state, &backend);
  EXPECT_EQ(state, "SUCCEEDED") << log;
  EXPECT_EQ(backend, "slurm/hpc1");
  EXPECT_NE(log.find("read-ok"), std::string::npos) << log;
}

// checkpoint.dir in a volume on Slurm: the first attempt saves a step and
// fails recoverably; the retry (a new Slurm job, on whichever node) is told
// the same path and resumes from it; the step lies in the tenant's volume.
TEST_F(SlurmVolumesE2eTest, ARetryOnSlurmResumesFromCheckpointsInAVolume) {
  ServerHarness server(Config());
  server.Start();
  std::string alpha = Token(server, "alpha");
  ASSERT_EQ(server.Post("/v1/volumes", {{"name", "ckpt"}}, alpha).status, 201);
  std::string run =
      "echo CKPT=$SKYRUN_CHECKPOINT_DIR; "
      "if [ -f $SKYRUN_CHECKPOINT_DIR/step ]; then echo RESUMED-AT-$(cat $SKYRUN_CHECKPOINT_DIR/step); "
      "else mkdir -p $SKYRUN_CHECKPOINT_DIR && echo 5 > $SKYRUN_CHECKPOINT_DIR/step && exit 75; fi";
  std::string state, backend;
  std::string log = Run(server,
                        "name: resumable\nresources: {infra: [slurm]}\nvolumes: [ckpt:/ckpt]\n"
                        "checkpoint: {dir: /ckpt/run1}\n"
                        "recovery: {max_restarts_on_errors: 2, recover_on_exit_codes: [75]}\nrun: " +
                            Quoted(run) + "\n",
                        alpha, &state, &backend);
  EXPECT_EQ(state, "SUCCEEDED") << log;
  EXPECT_EQ(backend, "slurm/hpc1");
  EXPECT_NE(log.find("RESUMED-AT-5"), std::string::npos) << log;
  EXPECT_NE(log.find("/mnt/ckpt/run1"), std::string::npos) << log;
  EXPECT_EQ(test_support::ReadFileOrEmpty(volumes_.path() + "/alpha/data/ckpt/run1/step"), "5\n");
}

}  // namespace
}  // namespace skyrun::testing
