#include "image/manifest.h"

#include <gtest/gtest.h>

namespace skyrun::image {
namespace {

const std::string kA = "sha256:" + std::string(64, 'a');
const std::string kB = "sha256:" + std::string(64, 'b');
const std::string kC = "sha256:" + std::string(64, 'c');

TEST(ManifestTest, DockerSchema2) {
  std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":")" +
                     kA + R"(","size":10},
    "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":")" +
                     kB + R"(","size":20},
              {"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":")" +
                     kC + R"(","size":30}]})";
  auto m = ParseManifest(body, kDockerManifest);
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_FALSE(m->is_index);
  EXPECT_EQ(m->config.digest, kA);
  ASSERT_EQ(m->layers.size(), 2u);
  EXPECT_EQ(m->layers[0].compression, LayerCompression::kGzip);
  EXPECT_EQ(m->layers[1].compression, LayerCompression::kNone);
  EXPECT_EQ(m->layers[1].size, 30);
}

TEST(ManifestTest, IndexResolvesToLinuxAmd64) {
  std::string body = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                     kA + R"(","size":1,"platform":{"os":"linux","architecture":"arm64"}},
    {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                     kB + R"(","size":1,"platform":{"os":"linux","architecture":"amd64"}}]})";
  // The body's mediaType decides when the registry says only application/json.
  auto m = ParseManifest(body, "application/json");
  ASSERT_TRUE(m.ok()) << m.status().message();
  ASSERT_TRUE(m->is_index);
  auto pick = PickPlatform(*m, "linux", "amd64");
  ASSERT_TRUE(pick.ok());
  EXPECT_EQ(pick->digest, kB);
  auto none = PickPlatform(*m, "linux", "s390x");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("linux/arm64, linux/amd64"), std::string::npos);
  auto list = ParseManifest(body, kDockerList);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->is_index);
}

TEST(ManifestTest, RefusesWhatCannotBeUnpackedOrTrusted) {
  auto zstd = ParseManifest(
      R"({"schemaVersion":2,"config":{"digest":")" + kA +
          R"(","size":1},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+zstd","digest":")" +
          kB + R"(","size":1}]})",
      kOciManifest);
  ASSERT_TRUE(zstd.ok()) << zstd.status().message();
  EXPECT_EQ(zstd->layers[0].compression, LayerCompression::kZstd);
  auto bzip = ParseManifest(
      R"({"schemaVersion":2,"config":{"digest":")" + kA +
          R"(","size":1},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+bzip2","digest":")" +
          kB + R"(","size":1}]})",
      kOciManifest);
  ASSERT_FALSE(bzip.ok());
  EXPECT_NE(bzip.status().message().find("layers[0] has media type"), std::string::npos);
  EXPECT_NE(bzip.status().message().find("tar, tar+gzip and tar+zstd layers only"), std::string::npos);
  auto md5 =
      ParseManifest(R"({"schemaVersion":2,"config":{"digest":"md5:00","size":1},"layers":[]})", kOciManifest);
  ASSERT_FALSE(md5.ok());
  EXPECT_NE(md5.status().message().find("config.digest"), std::string::npos);
  auto negative = ParseManifest(
      R"({"schemaVersion":2,"config":{"digest":")" + kA + R"(","size":-1},"layers":[]})", kOciManifest);
  ASSERT_FALSE(negative.ok());
  auto v1 = ParseManifest(R"({"schemaVersion":1})", kOciManifest);
  ASSERT_FALSE(v1.ok());
  EXPECT_NE(v1.status().message().find("schemaVersion 1"), std::string::npos);
  EXPECT_FALSE(ParseManifest("not json", kOciManifest).ok());
  EXPECT_FALSE(ParseManifest("{}", "text/html").ok());
}

TEST(ManifestTest, ImageConfig) {
  auto c = ParseImageConfig(R"({"architecture":"amd64","config":{"Env":["PATH=/usr/bin","A=b=c"],
    "WorkingDir":"/app","Entrypoint":["python3"],"Cmd":["-c","pass"],"User":"1000"}})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->env.size(), 2u);
  EXPECT_EQ(c->working_dir, "/app");
  EXPECT_EQ(c->entrypoint, std::vector<std::string>{"python3"});
  EXPECT_EQ(c->cmd.size(), 2u);
  EXPECT_EQ(c->user, "1000");
  EXPECT_TRUE(ParseImageConfig(R"({"config":null})").ok());
  EXPECT_FALSE(ParseImageConfig(R"({"config":{"Env":["NOEQUALS"]}})").ok());
  EXPECT_FALSE(ParseImageConfig(R"({"config":{"WorkingDir":"relative"}})").ok());
  EXPECT_FALSE(ParseImageConfig(R"({"config":{"Cmd":[1]}})").ok());
}

}  // namespace
}  // namespace skyrun::image
