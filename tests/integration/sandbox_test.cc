// End-to-end attacks on the local sandbox through the real server (issue 10,
// item 1): a member of tenant alpha submits jobs that try to read the
// server's secrets and tenant beta's logs, checkpoints and work directory,
// and to write outside their own directories; as a single task, as a gang and
// as ps-worker roles. Specs use only inline `run:` commands.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "server_harness.h"
#include "support/spec_text.h"

namespace skyrun::testing {
namespace {

// Two tenants get two uids from the range (where the tests run as root).
const char* kSandboxConfig = R"(
local:
  kill_grace_seconds: 2
  sandbox:
    task_uid_range: [240000, 240999]
  nodes:
    - name: box
      cpus: 8
      memory: 8GiB
)";

std::string MemberToken(const ServerHarness& server, const std::string& tenant) {
  auto made = server.Post("/v1/admin/tenants", {{"name", tenant}}, server.admin_token());
  EXPECT_TRUE(made.status == 200 || made.status == 201) << made.body;
  auto tok = server.Post("/v1/admin/tokens", {{"tenant", tenant}, {"role", "member"}}, server.admin_token());
  EXPECT_TRUE(tok.status == 200 || tok.status == 201) << tok.body;
  return tok.Json().value("token", "");
}

using test_support::Quoted;  // YAML double-quoted string

struct Victim {
  int64_t id = 0;
  std::string dir;  // STATE/jobs/<id>
};

// Tenant beta's job: a log line, a work file and a checkpoint file, each with
// a secret, then it keeps running while the attacks run.
Victim StartVictim(const ServerHarness& server, const std::string& beta) {
  Victim v;
  v.id = server.Submit("name: victim\nrun: " +
                           Quoted("echo BETA-LOG-SECRET; echo BETA-WORK-SECRET > ./secret; "
                                  "echo BETA-CKPT-SECRET > $SKYRUN_CHECKPOINT_DIR/secret; sleep 600") +
                           "\n",
                       "victim.yaml", beta);
  EXPECT_GT(v.id, 0);
  v.dir = server.state_dir() + "/jobs/" + std::to_string(v.id);
  EXPECT_EQ(server.WaitForState(v.id, {"RUNNING"}, 60), "RUNNING");
  for (int i = 0; i < 600 && !std::filesystem::exists(v.dir + "/checkpoints/secret"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(std::filesystem::exists(v.dir + "/checkpoints/secret"));
  EXPECT_TRUE(std::filesystem::exists(v.dir + "/attempt-1/rank-0/work/secret"));
  return v;
}

// The attacker's shell: every read and write it tries prints only on success.
std::string AttackScript(const ServerHarness& server, const Victim& victim, const std::string& open_dir) {
  const std::string state = server.state_dir();
  const std::string beta_id = std::to_string(victim.id);
  std::string reads;
  for (const std::string& path : std::vector<std::string>{
           state + "/admin.token", state + "/state.db", state + "/server.yaml", state + "/server.log",
           victim.dir + "/attempt-1/rank-0/output.log", victim.dir + "/attempt-1/rank-0/work/secret",
           victim.dir + "/attempt-1/rank-0/task.json", victim.dir + "/checkpoints/secret",
           std::string("$SKYRUN_CHECKPOINT_DIR/../../../admin.token"),
           std::string("$SKYRUN_CHECKPOINT_DIR/../../../state.db"),
           "$SKYRUN_CHECKPOINT_DIR/../../" + beta_id + "/checkpoints/secret",
           "$SKYRUN_CHECKPOINT_DIR/../../" + beta_id + "/attempt-1/rank-0/output.log",
           "$SKYRUN_CHECKPOINT_DIR/../../" + beta_id + "/attempt-1/rank-0/work/secret",
           std::string("../output.log"), std::string("../task.json")}) {
    reads += path + " ";
  }
  std::string writes;
  for (const std::string& path :
       std::vector<std::string>{state + "/x", victim.dir + "/x", victim.dir + "/checkpoints/x",
                                victim.dir + "/attempt-1/rank-0/work/x", "$SKYRUN_CHECKPOINT_DIR/../x",
                                "$SKYRUN_CHECKPOINT_DIR/../../x", open_dir + "/x", std::string("/etc/x"),
                                std::string("../x"), std::string("/var/tmp/skyrun-sandbox-it-x")}) {
    writes += path + " ";
  }
  return "for f in " + reads + "; do cat $f 2>/dev/null && echo READ $f; done; " + "for f in " + writes +
         "; do (echo pwned > $f) 2>/dev/null && echo WROTE $f; done; " + "ls -aR " + state +
         " 2>/dev/null | grep -E 'admin|state.db|secret|output' && echo LISTED; " +
         "ps -e -o args | grep -v grep | grep -q 'sleep 600' && echo SAW-VICTIM; " +
         "echo ok > ./mine && echo ok > $SKYRUN_CHECKPOINT_DIR/mine && echo attack-over";
}

class SandboxIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Start();
    alpha_ = MemberToken(server_, "alpha");
    beta_ = MemberToken(server_, "beta");
    open_dir_ = "/var/tmp/skyrun-sandbox-open-" + std::to_string(::getpid());
    std::filesystem::create_directories(open_dir_);
    ::chmod(open_dir_.c_str(), 01777);
    std::filesystem::remove("/var/tmp/skyrun-sandbox-it-x");  // a leftover would read as a write
  }
  void TearDown() override { std::filesystem::remove_all(open_dir_); }

  // Runs an attacker job of tenant alpha to its end and checks its log.
  void Attack(const std::string& spec_head, int ranks) {
    Victim victim = StartVictim(server_, beta_);
    std::string spec = spec_head + "run: " + Quoted(AttackScript(server_, victim, open_dir_)) + "\n";
    int64_t id = server_.Submit(spec, "attack.yaml", alpha_);
    ASSERT_GT(id, 0) << spec;
    EXPECT_EQ(server_.WaitForState(id, {"SUCCEEDED", "FAILED", "CANCELLED"}, 120), "SUCCEEDED")
        << server_.Job(id).dump(2);
    HttpResult logs = server_.Get("/v1/jobs/" + std::to_string(id) + "/logs", alpha_);
    ASSERT_EQ(logs.status, 200);
    size_t over = 0;
    for (size_t at = logs.body.find("attack-over"); at != std::string::npos;
         at = logs.body.find("attack-over", at + 1)) {
      ++over;
    }
    EXPECT_EQ(over, static_cast<size_t>(ranks)) << logs.body;
    for (const char* bad : {"READ ", "WROTE ", "LISTED", "SAW-VICTIM", "BETA-", "pwned"}) {
      EXPECT_EQ(logs.body.find(bad), std::string::npos) << bad << " in:\n" << logs.body;
    }
    EXPECT_EQ(logs.body.find(server_.admin_token()), std::string::npos);
    // Nothing was written outside the attacker's own directories.
    for (const std::string& path : std::vector<std::string>{
             server_.state_dir() + "/x", victim.dir + "/x", victim.dir + "/checkpoints/x",
             victim.dir + "/attempt-1/rank-0/work/x", open_dir_ + "/x", std::string("/etc/x"),
             std::string("/var/tmp/skyrun-sandbox-it-x"),
             server_.state_dir() + "/jobs/" + std::to_string(id) + "/x"}) {
      EXPECT_FALSE(std::filesystem::exists(path)) << path;
    }
    EXPECT_TRUE(
        std::filesystem::exists(server_.state_dir() + "/jobs/" + std::to_string(id) + "/checkpoints/mine"));
    EXPECT_EQ(
        server_.Post("/v1/jobs/" + std::to_string(victim.id) + "/cancel", nlohmann::json::object(), beta_)
            .status,
        202);
    EXPECT_EQ(server_.WaitForState(victim.id, {"CANCELLED"}, 60), "CANCELLED");
  }

  ServerHarness server_{kSandboxConfig};
  std::string alpha_;
  std::string beta_;
  std::string open_dir_;
};

TEST_F(SandboxIntegrationTest, Item1_SingleJobReachesNoSecretAndWritesNowhereElse) {
  Attack("name: attack\n", 1);
}

TEST_F(SandboxIntegrationTest, Item1_GangJobReachesNoSecretAndWritesNowhereElse) {
  Attack("name: attack-gang\nmode: gang\nnum_nodes: 2\ntasks_per_node: 2\nresources: {cpus: 1}\n", 2);
}

TEST_F(SandboxIntegrationTest, Item1_PsWorkerJobReachesNoSecretAndWritesNowhereElse) {
  Attack(
      "name: attack-ps\nmode: ps-worker\nroles:\n  ps: {count: 1, resources: {cpus: 1}}\n"
      "  worker: {count: 2, resources: {cpus: 1}}\n",
      3);
}

TEST_F(SandboxIntegrationTest, Item1_EachTenantRunsAsItsOwnUnprivilegedUid) {
  if (::geteuid() != 0) GTEST_SKIP() << "the server runs tasks as its own user when it is not root";
  int64_t a = server_.Submit("name: who\nrun: echo uid=$(id -u)\n", "who.yaml", alpha_);
  int64_t b = server_.Submit("name: who\nrun: echo uid=$(id -u)\n", "who.yaml", beta_);
  ASSERT_EQ(server_.WaitForState(a, {"SUCCEEDED"}, 60), "SUCCEEDED");
  ASSERT_EQ(server_.WaitForState(b, {"SUCCEEDED"}, 60), "SUCCEEDED");
  std::string a_log = server_.Get("/v1/jobs/" + std::to_string(a) + "/logs", alpha_).body;
  std::string b_log = server_.Get("/v1/jobs/" + std::to_string(b) + "/logs", beta_).body;
  EXPECT_NE(a_log.find("uid=2400"), std::string::npos) << a_log;
  EXPECT_NE(b_log.find("uid=2400"), std::string::npos) << b_log;
  EXPECT_NE(a_log.substr(a_log.find("uid=")), b_log.substr(b_log.find("uid=")));
  EXPECT_EQ(a_log.find("uid=0"), std::string::npos);
}

}  // namespace
}  // namespace skyrun::testing
