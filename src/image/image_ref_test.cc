#include "image/image_ref.h"

#include <gtest/gtest.h>

namespace skyrun::image {
namespace {

TEST(ImageRefTest, HostPortRepoTag) {
  auto r = ParseImageRef("127.0.0.1:5000/ml/py:3.11");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->registry, "127.0.0.1:5000");
  EXPECT_EQ(r->repository, "ml/py");
  EXPECT_EQ(r->tag, "3.11");
  EXPECT_EQ(r->Reference(), "3.11");
  EXPECT_TRUE(r->IsLoopback());
  EXPECT_EQ(r->ToString(), "127.0.0.1:5000/ml/py:3.11");
}

TEST(ImageRefTest, DockerHubDefaults) {
  auto r = ParseImageRef("python");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->registry, "registry-1.docker.io");
  EXPECT_EQ(r->repository, "library/python");
  EXPECT_EQ(r->tag, "latest");
  EXPECT_FALSE(r->IsLoopback());
  auto u = ParseImageRef("docker.io/pytorch/pytorch:2.3");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->registry, "registry-1.docker.io");
  EXPECT_EQ(u->repository, "pytorch/pytorch");
  auto l = ParseImageRef("localhost/x");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->registry, "localhost");
  EXPECT_TRUE(l->IsLoopback());
}

TEST(ImageRefTest, Digest) {
  std::string d = "sha256:" + std::string(64, 'a');
  auto r = ParseImageRef("reg.example.org/a/b@" + d);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->digest, d);
  EXPECT_EQ(r->tag, "");
  EXPECT_EQ(r->Reference(), d);
  auto both = ParseImageRef("reg.example.org/a/b:v1@" + d);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->tag, "v1");
  EXPECT_EQ(both->Reference(), d);
}

TEST(ImageRefTest, RefusesMalformedWithWhatAndWhere) {
  struct Case {
    std::string text, says;
  };
  for (const Case& c : std::vector<Case>{
           {"", "empty"},
           {"Reg.io/UPPER:tag", "repository component 1 'UPPER'"},
           {"a b", "space"},
           {"reg.io/x:", "tag ''"},
           {"reg.io/x:-bad", "tag '-bad'"},
           {"reg.io/x@sha256:abc", "digest 'sha256:abc'"},
           {"reg.io/x@md5:" + std::string(32, 'a'), "digest"},
           {"reg.io:99999/x", "registry host 'reg.io:99999'"},
           {"reg.io/../x", "repository component 1 '..'"},
           {"reg.io//x", "repository component 1 ''"},
           {"bad_host:1/x", "registry host"},
       }) {
    auto r = ParseImageRef(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << c.text << ": " << r.status().message();
  }
}

TEST(ImageRefTest, Sha256) {
  EXPECT_EQ(Sha256Digest("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(IsSha256Digest(Sha256Digest("")));
  EXPECT_FALSE(IsSha256Digest("sha256:" + std::string(64, 'A')));
}

}  // namespace
}  // namespace skyrun::image
