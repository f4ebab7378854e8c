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
#include "support/slurm/slurm_cluster_suite.h"
#include "support/temp_dir.h"

namespace skyrun::testing {
namespace {

std::string Quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

class SlurmVolumesE2eTest : public SlurmClusterSuite {
 protected:
  static void SetUpTestSuite() { StartCluster({}); }
  static void TearDownTestSuite() { StopCluster(); }

  std::string Config() const {
    return "local:\n"
           "  kill_grace_seconds: 2\n"
           "  sandbox:\n"
           "    task_uid_range: [250000, 250999]\n"
           "  nodes:\n"
           "    - {name: box1, cpus: 2, memory: 2GiB}\n"
           "storage:\n"
           "  volumes_dir: " +
           volumes_.path() +
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

}  // namespace
}  // namespace skyrun::testing
