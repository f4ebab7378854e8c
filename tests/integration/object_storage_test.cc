// Object-storage inputs and outputs through the real server, against a real
// S3-compatible server on loopback (s3rver; docs/storage.md): inputs staged
// before the task starts, outputs uploaded after success only, a second job
// on the same node served from the node's cache, bad credentials failing the
// job with the store's answer, a path climbing out refused at submission.
#include <gtest/gtest.h>

#include <fstream>
#include <map>

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
    // Egress prices of the test's own (flat, to hand-check the bill): data
    // leaving aws costs $0.09/GB, leaving the local pool $0.50/GB.
    catalog_.Write("egress_internet.csv", "provider,up_to_gb,usd_per_gb\naws,,0.09\n");
    catalog_.Write("regions.csv", "provider,region,country,continent\naws,us-east-1,US,NA\n");
    // s3rver checks the access key of a V4 request, not its signature: the
    // "locked" endpoint has a key it does not know. "main" says its data
    // lies in aws/us-east-1, so what crosses from it to the pool is billed.
    server_ = std::make_unique<ServerHarness>(
        "local:\n  kill_grace_seconds: 2\n  nodes:\n    - {name: box, cpus: 4, memory: 4GiB}\n"
        "catalog:\n  builtin: false\n  dirs: [" +
        catalog_.path() +
        "]\n  cluster_egress_usd_per_gb: {local: 0.5}\n"
        "storage:\n  s3:\n"
        "    - {name: locked, url: " +
        s3_->url() + ", access_key: NOT-A-KEY, secret_key_file: " + bad +
        ", buckets: [locked]}\n"
        "    - {name: main, url: " +
        s3_->url() + ", provider: aws, region: us-east-1, access_key: " + S3rver::kAccessKey +
        ", secret_key_file: " + good + "}\n");
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

  // The attempt rows of job `id` (GET /v1/jobs/ID).
  nlohmann::json Attempts(int64_t id) { return server_->Job(id).value("attempts", nlohmann::json::array()); }

  test_support::TempDir secrets_{"skyrun-s3-secrets"};
  test_support::TempDir catalog_{"skyrun-s3-catalog"};
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
  int64_t first = 0, second = 0;
  std::string log = Run(Job("run1", 0), &state, &first);
  ASSERT_EQ(state, "SUCCEEDED") << log;
  EXPECT_NE(log.find("MNLI-ROWS"), std::string::npos) << log;
  EXPECT_NE(log.find("inputs staged: 1 object, 10 bytes moved, 0 from this node's cache"), std::string::npos)
      << log;
  Result<storage::S3Object> out = client_->HeadObject("results", "run1/r.txt");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->size, 7);
  // Recorded on the attempt: 10 bytes in over the network, 7 out.
  nlohmann::json attempts = Attempts(first);
  ASSERT_EQ(attempts.size(), 1u) << attempts.dump();
  EXPECT_EQ(attempts[0].value("staged_in_bytes", -1), 10) << attempts.dump();
  EXPECT_EQ(attempts[0].value("staged_in_cached_bytes", -1), 0) << attempts.dump();
  EXPECT_EQ(attempts[0].value("uploaded_bytes", -1), 7) << attempts.dump();
  EXPECT_GT(attempts[0].value("staged_in_seconds", 0.0), 0.0) << attempts.dump();
  EXPECT_GT(attempts[0].value("uploaded_seconds", 0.0), 0.0) << attempts.dump();

  // The second job on the same node: nothing downloaded.
  log = Run(Job("run2", 0), &state, &second);
  ASSERT_EQ(state, "SUCCEEDED") << log;
  EXPECT_NE(log.find("inputs staged: 1 object, 0 bytes moved, 1 from this node's cache"), std::string::npos)
      << log;
  attempts = Attempts(second);
  ASSERT_EQ(attempts.size(), 1u) << attempts.dump();
  EXPECT_EQ(attempts[0].value("staged_in_bytes", -1), 0) << attempts.dump();
  EXPECT_EQ(attempts[0].value("staged_in_cached_bytes", -1), 10) << attempts.dump();
  EXPECT_EQ(attempts[0].value("uploaded_bytes", -1), 7) << attempts.dump();
  // `skyrun status` shows it per attempt.
  CommandResult status = server_->Cli({"status", std::to_string(second)});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  const size_t moved = status.output.find("Data moved:");
  ASSERT_NE(moved, std::string::npos) << status.output;
  EXPECT_NE(status.output.find("FROM CACHE", moved), std::string::npos) << status.output;
  EXPECT_NE(status.output.find(" 10 B", moved), std::string::npos) << status.output;
  EXPECT_NE(status.output.find(" 7 B", moved), std::string::npos) << status.output;

  // The egress really incurred, billed by the provider the data left:
  // 10 bytes out of aws (run1; run2's came from the cache) at $0.09/GB, and
  // 7 + 7 bytes of outputs out of the local pool at $0.50/GB.
  HttpResult report = server_->Get("/v1/cost-report?by=provider", server_->admin_token());
  ASSERT_EQ(report.status, 200) << report.body;
  nlohmann::json lines = nlohmann::json::parse(report.body).at("lines");
  std::map<std::string, nlohmann::json> by_key;
  for (const auto& line : lines) by_key[line.value("key", "")] = line;
  ASSERT_TRUE(by_key.count("aws")) << report.body;
  EXPECT_NEAR(by_key["aws"].value("egress_gb", 0.0), 10e-9, 1e-15) << report.body;
  EXPECT_NEAR(by_key["aws"].value("egress_usd", 0.0), 10e-9 * 0.09, 1e-18) << report.body;
  ASSERT_TRUE(by_key.count("local")) << report.body;
  EXPECT_NEAR(by_key["local"].value("egress_gb", 0.0), 14e-9, 1e-15) << report.body;
  EXPECT_NEAR(by_key["local"].value("egress_usd", 0.0), 14e-9 * 0.5, 1e-18) << report.body;

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
