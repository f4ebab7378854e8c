// Object-storage inputs and outputs through the real server, against a real
// S3-compatible server on loopback (s3rver; docs/storage.md): inputs staged
// before the task starts, outputs uploaded after success only, a second job
// on the same node served from the node's cache, bad credentials failing the
// job with the store's answer, a path climbing out refused at submission.
#include <gtest/gtest.h>

#include <fstream>

#include "server_harness.h"
#include "storage/s3_client.h"
#include "support/s3rver.h"

namespace skyrun::testing {
namespace {

using test_support::S3rver;

class ObjectStorageIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!S3rver::Available()) GTEST_SKIP() << "s3rver is not installed; run scripts/install-deps.sh --test";
    s3_ = std::make_unique<S3rver>(std::vector<std::string>{"data", "results", "locked"});
    const std::string good = secrets_.Write("good.secret", std::string(S3rver::kSecretKey) + "\n");
    const std::string bad = secrets_.Write("bad.secret", "not-the-secret-777\n");
    // s3rver checks the access key of a V4 request, not its signature: the
    // "locked" endpoint has a key it does not know.
    server_ = std::make_unique<ServerHarness>(
        "local:\n  kill_grace_seconds: 2\n  nodes:\n    - {name: box, cpus: 4, memory: 4GiB}\n"
        "storage:\n  s3:\n"
        "    - {name: locked, url: " +
        s3_->url() + ", access_key: NOT-A-KEY, secret_key_file: " + bad +
        ", buckets: [locked]}\n"
        "    - {name: main, url: " +
        s3_->url() + ", access_key: " + S3rver::kAccessKey + ", secret_key_file: " + good + "}\n");
    server_->Start();
    storage::S3Endpoint e;
    e.url = s3_->url();
    e.credentials = {S3rver::kAccessKey, S3rver::kSecretKey};
    client_ = std::make_unique<storage::S3Client>(e, &clock_);
  }

  // Runs a job to its end; returns its log and final state.
  std::string Run(const std::string& spec, std::string* state, int64_t* id_out = nullptr) {
    int64_t id = server_->Submit(spec, "job.yaml");
    EXPECT_GT(id, 0) << spec;
    if (id_out) *id_out = id;
    if (id <= 0) return "";
    *state = server_->WaitForState(id, {"SUCCEEDED", "FAILED", "CANCELLED"}, 180);
    return server_->Get("/v1/jobs/" + std::to_string(id) + "/logs", server_->admin_token()).body;
  }

  test_support::TempDir secrets_{"skyrun-s3-secrets"};
  std::unique_ptr<S3rver> s3_;
  std::unique_ptr<ServerHarness> server_;
  SystemClock clock_;
  std::unique_ptr<storage::S3Client> client_;
};

constexpr const char* kJob =
    "name: train\n"
    "inputs: [{uri: s3://data/mnli/, path: /data}]\n"
    "outputs: [{uri: s3://results/RUN/, path: /out}]\n"
    "run: cat $SKYRUN_MOUNT_ROOT/data/train.tsv && mkdir -p $SKYRUN_MOUNT_ROOT/out && "
    "echo RESULT > $SKYRUN_MOUNT_ROOT/out/r.txt && exit EXIT\n";

std::string Job(const std::string& run, int exit_code) {
  std::string spec = kJob;
  spec.replace(spec.find("RUN"), 3, run);
  spec.replace(spec.find("EXIT"), 4, std::to_string(exit_code));
  return spec;
}

TEST_F(ObjectStorageIntegrationTest, InputsStagedOutputsUploadedAfterSuccessAndTheCacheServesTheSecondJob) {
  ASSERT_TRUE(client_->PutObject("data", "mnli/train.tsv", "MNLI-ROWS\n").ok());
  std::string state;
  std::string log = Run(Job("run1", 0), &state);
  ASSERT_EQ(state, "SUCCEEDED") << log;
  EXPECT_NE(log.find("MNLI-ROWS"), std::string::npos) << log;
  EXPECT_NE(log.find("inputs staged: 1 object, 10 bytes moved, 0 from this node's cache"), std::string::npos)
      << log;
  Result<storage::S3Object> out = client_->HeadObject("results", "run1/r.txt");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->size, 7);

  // The second job on the same node: nothing downloaded.
  log = Run(Job("run2", 0), &state);
  ASSERT_EQ(state, "SUCCEEDED") << log;
  EXPECT_NE(log.find("inputs staged: 1 object, 0 bytes moved, 1 from this node's cache"), std::string::npos)
      << log;

  // A failed task uploads nothing.
  log = Run(Job("run3", 3), &state);
  EXPECT_EQ(state, "FAILED") << log;
  Result<std::vector<storage::S3Object>> after_failure = client_->ListObjects("results", "run3/");
  ASSERT_TRUE(after_failure.ok());
  EXPECT_TRUE(after_failure->empty());
}

TEST_F(ObjectStorageIntegrationTest, BadCredentialsFailTheJobWithTheStoresAnswer) {
  std::string state;
  int64_t id = 0;
  std::string log =
      Run("name: locked\ninputs: [{uri: s3://locked/x, path: /x}]\nrun: echo never\n", &state, &id);
  EXPECT_EQ(state, "FAILED") << log;
  std::string job = server_->Job(id).dump();
  EXPECT_NE(job.find("403 InvalidAccessKeyId"), std::string::npos) << job;
  EXPECT_EQ(job.find("not-the-secret-777"), std::string::npos) << job;
  EXPECT_EQ(log.find("never"), std::string::npos) << log;

  // A spec whose path climbs out is refused at submission.
  HttpResult bad = server_->Post(
      "/v1/jobs", {{"spec", "name: up\ninputs: [{uri: s3://data/x, path: ../../etc}]\nrun: x\n"}},
      server_->admin_token());
  EXPECT_EQ(bad.status, 400) << bad.body;
}

}  // namespace
}  // namespace skyrun::testing
