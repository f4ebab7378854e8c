// Staging inputs from and uploading outputs to a real S3-compatible server
// (s3rver on loopback): objects and prefixes land where they should, the
// node's cache serves a second staging with nothing downloaded, hostile keys
// are refused and written nowhere, bad credentials carry the server's answer.
#include "storage/object_staging.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "support/s3rver.h"
#include "support/temp_dir.h"

namespace skyrun::storage {
namespace {

namespace fs = std::filesystem;
using test_support::S3rver;
using test_support::TempDir;

#define REQUIRE_S3RVER()    \
  if (!S3rver::Available()) \
  GTEST_SKIP() << "s3rver is not installed at " << S3rver::Binary() << "; run scripts/install-deps.sh --test"

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ObjectStagingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!S3rver::Available()) return;
    server_ = std::make_unique<S3rver>(std::vector<std::string>{"inputs", "outputs"});
    S3Endpoint e;
    e.name = "test";
    e.url = server_->url();
    e.credentials = {S3rver::kAccessKey, S3rver::kSecretKey};
    e.provider = "aws";  // its bytes are counted by location for egress billing
    ctx_.endpoints = {e};
    ctx_.cache_dir = dir_.Sub("cache");
    ctx_.clock = &clock_;
    client_ = std::make_unique<S3Client>(e, &clock_);
    fs::create_directories(dir_.Sub("work"));
  }

  TempDir dir_{"skyrun-staging"};
  SystemClock clock_;
  std::unique_ptr<S3rver> server_;
  std::unique_ptr<S3Client> client_;
  ObjectStagingContext ctx_;
};

TEST_F(ObjectStagingTest, StagesAnObjectAndAPrefixThenServesThemFromTheCache) {
  REQUIRE_S3RVER();
  ASSERT_TRUE(client_->PutObject("inputs", "mnli/train.tsv", "a\tb\n").ok());
  ASSERT_TRUE(client_->PutObject("inputs", "mnli/dev/dev.tsv", "c\td\n").ok());
  ASSERT_TRUE(client_->PutObject("inputs", "config.json", "{}").ok());
  TransferStats first;
  ASSERT_TRUE(StageInput(ctx_, "s3://inputs/mnli", dir_.Sub("work"), "data/mnli", &first).ok());
  ASSERT_TRUE(StageInput(ctx_, "s3://inputs/config.json", dir_.Sub("work"), "config.json", &first).ok());
  EXPECT_EQ(Slurp(dir_.Sub("work/data/mnli/train.tsv")), "a\tb\n");
  EXPECT_EQ(Slurp(dir_.Sub("work/data/mnli/dev/dev.tsv")), "c\td\n");
  EXPECT_EQ(Slurp(dir_.Sub("work/config.json")), "{}");
  EXPECT_EQ(first.objects, 3);
  EXPECT_EQ(first.cached_objects, 0);
  EXPECT_EQ(first.cached_bytes, 0);
  EXPECT_EQ(first.bytes, 10);
  EXPECT_EQ(first.by_location, (std::map<std::string, int64_t>{{"aws/us-east-1", 10}}));

  // A retry on the same node: same objects, same ETags, nothing downloaded.
  fs::create_directories(dir_.Sub("work2"));
  TransferStats second;
  ASSERT_TRUE(StageInput(ctx_, "s3://inputs/mnli/", dir_.Sub("work2"), "data", &second).ok());
  EXPECT_EQ(second.objects, 2);
  EXPECT_EQ(second.cached_objects, 2);
  EXPECT_EQ(second.cached_bytes, 8);  // "a\tb\n" and "c\td\n", copied from the cache
  EXPECT_EQ(second.bytes, 0);
  EXPECT_TRUE(second.by_location.empty());  // nothing crossed the network
  EXPECT_EQ(Slurp(dir_.Sub("work2/data/train.tsv")), "a\tb\n");

  // A changed object has a new ETag: downloaded again.
  ASSERT_TRUE(client_->PutObject("inputs", "mnli/train.tsv", "changed\n").ok());
  fs::create_directories(dir_.Sub("work3"));
  TransferStats third;
  ASSERT_TRUE(StageInput(ctx_, "s3://inputs/mnli/", dir_.Sub("work3"), "data", &third).ok());
  EXPECT_EQ(third.cached_objects, 1);
  EXPECT_EQ(third.cached_bytes, 4);
  EXPECT_EQ(third.bytes, 8);
  EXPECT_EQ(Slurp(dir_.Sub("work3/data/train.tsv")), "changed\n");
}

// s3rver stores a key such as "evil/../../x" under its normalised name, so
// the hostile listings are checked on the function that reads them.
TEST(KeyBelowPrefixTest, KeysThatWouldLandOutsideAreRefused) {
  EXPECT_EQ(*KeyBelowPrefix("b", "in/", "in/a/b.txt"), "a/b.txt");
  EXPECT_EQ(*KeyBelowPrefix("b", "in/", "in/"), "");
  EXPECT_EQ(*KeyBelowPrefix("b", "in/", "in/folder/"), "");
  for (const std::string& key : std::vector<std::string>{
           "in/../../etc/passwd", "in/a/../../../x", "in//etc/passwd", "in/..", std::string("in/a\0b", 6)}) {
    Result<std::string> r = KeyBelowPrefix("b", "in/", key);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << key;
    EXPECT_NE(r.status().message().find("refused"), std::string::npos) << key;
  }
  EXPECT_FALSE(KeyBelowPrefix("b", "in/", "other/x").ok());
}

TEST_F(ObjectStagingTest, TargetsThatWouldLeaveTheTaskAreRefusedAndWriteNothingOutside) {
  REQUIRE_S3RVER();
  TransferStats stats;
  ASSERT_TRUE(client_->PutObject("inputs", "ok.txt", "fine").ok());
  EXPECT_FALSE(StageInput(ctx_, "s3://inputs/ok.txt", dir_.Sub("work"), "../../etc/x", &stats).ok());
  // A link planted in the task's directory is not followed.
  fs::create_directories(dir_.Sub("outside"));
  fs::create_symlink(dir_.Sub("outside"), dir_.Sub("work/link"));
  EXPECT_FALSE(StageInput(ctx_, "s3://inputs/ok.txt", dir_.Sub("work"), "link/x", &stats).ok());
  EXPECT_FALSE(StageInput(ctx_, "s3://inputs/ok.txt", dir_.Sub("work"), "link", &stats).ok());
  EXPECT_TRUE(fs::is_empty(dir_.Sub("outside")));
}

TEST_F(ObjectStagingTest, MissingInputAndBadCredentialsCarryTheReason) {
  REQUIRE_S3RVER();
  TransferStats stats;
  Status missing = StageInput(ctx_, "s3://inputs/nothing/here", dir_.Sub("work"), "x", &stats);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing.ToString();
  ASSERT_TRUE(client_->PutObject("inputs", "k", "v").ok());
  ObjectStagingContext bad = ctx_;
  // s3rver checks the access key of a V4 request, not its signature (its
  // V4 verification is unimplemented): an unknown key is what it refuses.
  bad.endpoints[0].credentials = {"NOT-A-KEY", "wrong-secret-123"};
  Status refused = StageInput(bad, "s3://inputs/k", dir_.Sub("work"), "k", &stats);
  EXPECT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("403 InvalidAccessKeyId"), std::string::npos) << refused.ToString();
  EXPECT_EQ(refused.message().find("wrong-secret-123"), std::string::npos) << refused.ToString();
  ObjectStagingContext none = ctx_;
  none.endpoints[0].buckets = {"elsewhere"};
  EXPECT_NE(StageInput(none, "s3://inputs/k", dir_.Sub("work"), "k", &stats).message().find("storage.s3"),
            std::string::npos);
}

TEST_F(ObjectStagingTest, UploadsAFileAndATreeButNoLinks) {
  REQUIRE_S3RVER();
  fs::create_directories(dir_.Sub("work/out/sub"));
  std::ofstream(dir_.Sub("work/out/model.bin")) << "weights";
  std::ofstream(dir_.Sub("work/out/sub/log.txt")) << "log";
  std::ofstream(dir_.Sub("secret")) << "SECRET";
  fs::create_symlink(dir_.Sub("secret"), dir_.Sub("work/out/leak"));
  TransferStats stats;
  ASSERT_TRUE(UploadOutput(ctx_, dir_.Sub("work"), "out", "s3://outputs/run1", &stats).ok());
  EXPECT_EQ(stats.objects, 2);
  EXPECT_EQ(stats.bytes, 10);
  EXPECT_EQ(stats.by_location, (std::map<std::string, int64_t>{{"aws/us-east-1", 10}}));
  Result<std::vector<S3Object>> listed = client_->ListObjects("outputs", "run1/");
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].key, "run1/model.bin");
  EXPECT_EQ((*listed)[1].key, "run1/sub/log.txt");
  ASSERT_TRUE(UploadOutput(ctx_, dir_.Sub("work"), "out/model.bin", "s3://outputs/final/", &stats).ok());
  EXPECT_TRUE(client_->HeadObject("outputs", "final/model.bin").ok());
  EXPECT_EQ(UploadOutput(ctx_, dir_.Sub("work"), "missing", "s3://outputs/x", &stats).code(),
            StatusCode::kNotFound);
  EXPECT_FALSE(UploadOutput(ctx_, dir_.Sub("work"), "out/leak", "s3://outputs/leak", &stats).ok());
}

}  // namespace
}  // namespace skyrun::storage
