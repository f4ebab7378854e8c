// Named volumes through the real server (issue 13, item 3; docs/storage.md):
// tenant alpha's jobs share data through a volume, tenant beta's jobs never
// see it (not by name, not through the API, not by its host path), a
// read-only mount cannot be written, quotas are refused with the numbers, and
// a retry resumes from checkpoints kept in a volume.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <filesystem>

#include "common/clock.h"
#include "server_harness.h"
#include "storage/volume_store.h"
#include "support/spec_text.h"

namespace skyrun::testing {
namespace {

using test_support::Quoted;

const char* kVolumesConfig = R"(
local:
  kill_grace_seconds: 2
  sandbox:
    task_uid_range: [250000, 250999]
  nodes:
    - name: box1
      cpus: 4
      memory: 4GiB
    - name: box2
      cpus: 4
      memory: 4GiB
storage:
  per_tenant_bytes: 3145728
  per_volume_bytes: 2097152
)";

std::string MemberToken(const ServerHarness& server, const std::string& tenant, const std::string& role) {
  auto made = server.Post("/v1/admin/tenants", {{"name", tenant}}, server.admin_token());
  EXPECT_TRUE(made.status == 200 || made.status == 201 || made.status == 409) << made.body;
  auto tok = server.Post("/v1/admin/tokens", {{"tenant", tenant}, {"role", role}}, server.admin_token());
  EXPECT_TRUE(tok.status == 200 || tok.status == 201) << tok.body;
  return tok.Json().value("token", "");
}

HttpResult Delete(const ServerHarness& server, const std::string& path, const std::string& token) {
  httplib::Client cli(server.url());
  auto r = cli.Delete(path.c_str(), httplib::Headers{{"Authorization", "Bearer " + token}});
  if (!r) return {};
  return {r->status, r->body};
}

class VolumesIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Start();
    alpha_ = MemberToken(server_, "alpha", "member");
    beta_ = MemberToken(server_, "beta", "member");
  }

  // Runs a job to its end; returns its log (and its final state in `state`).
  std::string Run(const std::string& spec, const std::string& token, std::string* state = nullptr) {
    int64_t id = server_.Submit(spec, "job.yaml", token);
    EXPECT_GT(id, 0) << spec;
    if (id <= 0) return "";
    std::string s = server_.WaitForState(id, {"SUCCEEDED", "FAILED", "CANCELLED"}, 120);
    if (state) *state = s;
    return server_.Get("/v1/jobs/" + std::to_string(id) + "/logs", token).body;
  }

  ServerHarness server_{kVolumesConfig};
  std::string alpha_;
  std::string beta_;
};

TEST_F(VolumesIntegrationTest, DataWrittenByOneJobIsReadByTheNextOfTheSameTenantOnly) {
  ASSERT_EQ(server_.Post("/v1/volumes", {{"name", "data"}}, alpha_).status, 201);
  std::string state;
  std::string log = Run("name: writer\nvolumes: [{name: data, path: /data}]\nrun: " +
                            Quoted("echo ALPHA-SECRET > $SKYRUN_MOUNT_ROOT/data/f && echo wrote") + "\n",
                        alpha_, &state);
  ASSERT_EQ(state, "SUCCEEDED") << log;
  log = Run("name: reader\nvolumes: [\"data:/data:ro\"]\nrun: " +
                Quoted("cat $SKYRUN_MOUNT_ROOT/data/f; (echo x > $SKYRUN_MOUNT_ROOT/data/g) 2>/dev/null && "
                       "echo WROTE-RO; echo done") +
                "\n",
            alpha_, &state);
  ASSERT_EQ(state, "SUCCEEDED") << log;
  EXPECT_NE(log.find("ALPHA-SECRET"), std::string::npos) << log;
  EXPECT_EQ(log.find("WROTE-RO"), std::string::npos) << log;

  // Beta: the name is not its volume, at submission.
  HttpResult refused = server_.Post(
      "/v1/jobs", {{"spec", "name: thief\nvolumes: [data:/data]\nrun: cat $SKYRUN_MOUNT_ROOT/data/f\n"}},
      beta_);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_NE(refused.body.find("no volume 'data'"), std::string::npos) << refused.body;
  // Beta's own volume of the same name is another one; the host path of
  // alpha's is out of reach.
  ASSERT_EQ(server_.Post("/v1/volumes", {{"name", "data"}}, beta_).status, 201);
  const std::string alpha_host = server_.state_dir() + "/volumes/alpha/data/data/f";
  ASSERT_TRUE(std::filesystem::exists(alpha_host));
  log =
      Run("name: thief\nvolumes: [data:/data]\nrun: " +
              Quoted("ls $SKYRUN_MOUNT_ROOT/data; cat $SKYRUN_MOUNT_ROOT/data/f " + alpha_host +
                     " 2>/dev/null; ls -R " + server_.state_dir() + "/volumes 2>/dev/null; echo thief-done") +
              "\n",
          beta_, &state);
  EXPECT_EQ(state, "SUCCEEDED") << log;
  EXPECT_NE(log.find("thief-done"), std::string::npos) << log;
  EXPECT_EQ(log.find("ALPHA-SECRET"), std::string::npos) << log;
  EXPECT_EQ(log.find("alpha"), std::string::npos) << log;
}

TEST_F(VolumesIntegrationTest, TheApiIsScopedToTheTenant) {
  ASSERT_EQ(server_.Post("/v1/volumes", {{"name", "models"}, {"size_bytes", 1024}}, alpha_).status, 201);
  HttpResult alpha_list = server_.Get("/v1/volumes", alpha_);
  ASSERT_EQ(alpha_list.status, 200);
  EXPECT_EQ(alpha_list.Json()["volumes"].size(), 1u);
  EXPECT_EQ(alpha_list.Json()["volumes"][0]["name"], "models");
  HttpResult beta_list = server_.Get("/v1/volumes", beta_);
  ASSERT_EQ(beta_list.status, 200);
  EXPECT_TRUE(beta_list.Json()["volumes"].empty()) << beta_list.body;
  EXPECT_EQ(Delete(server_, "/v1/volumes/models", beta_).status, 404);
  EXPECT_EQ(Delete(server_, "/v1/volumes/..%2Falpha", beta_).status / 100, 4);
  EXPECT_EQ(server_.Post("/v1/volumes", {{"name", "../alpha/data/models"}}, beta_).status, 400);
  std::string viewer = MemberToken(server_, "alpha", "viewer");
  EXPECT_EQ(server_.Post("/v1/volumes", {{"name", "v"}}, viewer).status, 403);
  EXPECT_EQ(Delete(server_, "/v1/volumes/models", viewer).status, 403);
  EXPECT_EQ(server_.Get("/v1/volumes", viewer).Json()["volumes"].size(), 1u);
  EXPECT_EQ(Delete(server_, "/v1/volumes/models", alpha_).status, 200);
  EXPECT_TRUE(server_.Get("/v1/volumes", alpha_).Json()["volumes"].empty());
}

TEST_F(VolumesIntegrationTest, QuotaIsRefusedWithTheReason) {
  HttpResult big = server_.Post("/v1/volumes", {{"name", "big"}, {"size_bytes", 4 << 20}}, alpha_);
  EXPECT_EQ(big.status, 400) << big.body;
  EXPECT_NE(big.body.find("RESOURCE_EXHAUSTED"), std::string::npos) << big.body;
  EXPECT_NE(big.body.find("storage.per_volume_bytes"), std::string::npos) << big.body;
  ASSERT_EQ(server_.Post("/v1/volumes", {{"name", "a"}}, alpha_).status, 201);  // 2 MiB by default
  HttpResult second = server_.Post("/v1/volumes", {{"name", "b"}}, alpha_);
  EXPECT_EQ(second.status, 400) << second.body;
  EXPECT_NE(second.body.find("storage quota"), std::string::npos) << second.body;
  // Through the CLI, with the same reason and a failing exit status.
  CommandResult cli = server_.Cli({"volume", "create", "c", "--size", "5M"});
  EXPECT_NE(cli.exit_code, 0) << cli.output;
  EXPECT_NE(cli.output.find("storage.per_volume_bytes"), std::string::npos) << cli.output;
  cli = server_.Cli({"volume", "create", "c", "--size", "1M"});
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  cli = server_.Cli({"volume", "ls"});
  EXPECT_NE(cli.output.find("c "), std::string::npos) << cli.output;
  cli = server_.Cli({"volume", "rm", "c"});
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
}

TEST_F(VolumesIntegrationTest, AJobThatFilledItsVolumePastItsSizeStopsTheNextWithTheReason) {
  ASSERT_EQ(server_.Post("/v1/volumes", {{"name", "small"}, {"size_bytes", 65536}}, alpha_).status, 201);
  std::string state;
  std::string log =
      Run("name: filler\nvolumes: [small:/s]\nrun: head -c 300000 /dev/zero > $SKYRUN_MOUNT_ROOT/s/big\n",
          alpha_, &state);
  ASSERT_EQ(state, "SUCCEEDED") << log;
  HttpResult listed = server_.Get("/v1/volumes", alpha_);
  EXPECT_GE(listed.Json()["volumes"][0]["used_bytes"].get<int64_t>(), 300000) << listed.body;
  int64_t id = server_.Submit("name: more\nvolumes: [small:/s]\nrun: echo more > $SKYRUN_MOUNT_ROOT/s/x\n",
                              "more.yaml", alpha_);
  ASSERT_GT(id, 0);
  EXPECT_EQ(server_.WaitForState(id, {"SUCCEEDED", "FAILED", "CANCELLED"}, 120), "FAILED");
  std::string job = server_.Job(id).dump();
  EXPECT_NE(job.find("more than its size 64.0 KiB"), std::string::npos) << job;
  // Read-only, it still mounts (nothing more is written).
  log = Run("name: reader\nvolumes: [small:/s:ro]\nrun: ls -l $SKYRUN_MOUNT_ROOT/s\n", alpha_, &state);
  EXPECT_EQ(state, "SUCCEEDED") << log;
}

TEST_F(VolumesIntegrationTest, ARetryResumesFromCheckpointsInAVolume) {
  ASSERT_EQ(server_.Post("/v1/volumes", {{"name", "ckpt"}}, alpha_).status, 201);
  // First attempt: saves step 5 and fails with 75 (recoverable); the retry
  // finds the step where the last attempt left it.
  std::string run =
      "if [ -f $SKYRUN_CHECKPOINT_DIR/step ]; then echo RESUMED-AT-$(cat $SKYRUN_CHECKPOINT_DIR/step); "
      "else mkdir -p $SKYRUN_CHECKPOINT_DIR && echo 5 > $SKYRUN_CHECKPOINT_DIR/step && exit 75; fi";
  std::string state;
  std::string log =
      Run("name: resumable\nvolumes: [ckpt:/ckpt]\ncheckpoint: {dir: /ckpt/run1}\n"
          "recovery: {max_restarts_on_errors: 2, recover_on_exit_codes: [75]}\nrun: " +
              Quoted(run) + "\n",
          alpha_, &state);
  EXPECT_EQ(state, "SUCCEEDED") << log;
  EXPECT_NE(log.find("RESUMED-AT-5"), std::string::npos) << log;
}

// Claims a Kubernetes driver of this server made for a volume (recorded in
// the server's volume store, as KubernetesDriver::Launch does; no cluster
// runs here, kubernetes_driver_test drives that path) are listed with the
// volume by the API and `skyrun volume ls`, never to another tenant, and
// `skyrun volume rm` says which remain in their clusters.
TEST_F(VolumesIntegrationTest, ClaimsAreListedWithTheirVolumeAndNamedWhenItIsRemoved) {
  ASSERT_EQ(server_.Post("/v1/volumes", {{"name", "shared"}, {"size_bytes", 1 << 20}}, alpha_).status, 201);
  ASSERT_EQ(server_.Post("/v1/volumes", {{"name", "shared"}, {"size_bytes", 1 << 20}}, beta_).status, 201);
  SystemClock clock;
  storage::VolumeStore store(server_.state_dir() + "/volumes", {3145728, 2097152}, &clock);
  ASSERT_TRUE(store
                  .RecordClaim("alpha", "shared", {"kubernetes/prod", "skyrun-alpha-shared-0123", 524288, 0},
                               /*check=*/true)
                  .ok());
  HttpResult listed = server_.Get("/v1/volumes", alpha_);
  ASSERT_EQ(listed.status, 200) << listed.body;
  const nlohmann::json claims = listed.Json()["volumes"][0]["claims"];
  ASSERT_EQ(claims.size(), 1u) << listed.body;
  EXPECT_EQ(claims[0]["cluster"], "kubernetes/prod");
  EXPECT_EQ(claims[0]["claim"], "skyrun-alpha-shared-0123");
  EXPECT_EQ(claims[0]["requested_bytes"], 524288);
  HttpResult theirs = server_.Get("/v1/volumes", beta_);
  EXPECT_TRUE(theirs.Json()["volumes"][0]["claims"].empty()) << theirs.body;
  // A second claim that would pass the volume's size is refused with the figures.
  Status big =
      store.RecordClaim("alpha", "shared", {"kubernetes/eu", "skyrun-alpha-shared-0123", 2 << 20, 0}, true);
  EXPECT_NE(big.message().find("larger than the volume's size 1.0 MiB"), std::string::npos) << big.message();

  const std::map<std::string, std::string> as_alpha = {{"SKYRUN_SERVER", server_.url()},
                                                       {"SKYRUN_TOKEN", alpha_}};
  CommandResult ls = RunCommand({ServerHarness::SkyrunBinary(), "volume", "ls"}, as_alpha, 60);
  EXPECT_EQ(ls.exit_code, 0) << ls.output;
  EXPECT_NE(ls.output.find("kubernetes/prod:skyrun-alpha-shared-0123 (512.0 KiB)"), std::string::npos)
      << ls.output;
  CommandResult rm = RunCommand({ServerHarness::SkyrunBinary(), "volume", "rm", "shared"}, as_alpha, 60);
  EXPECT_EQ(rm.exit_code, 0) << rm.output;
  EXPECT_NE(rm.output.find("its claim skyrun-alpha-shared-0123 remains on kubernetes/prod"),
            std::string::npos)
      << rm.output;
  EXPECT_NE(rm.output.find("kubectl delete pvc skyrun-alpha-shared-0123"), std::string::npos) << rm.output;
}

}  // namespace
}  // namespace skyrun::testing
