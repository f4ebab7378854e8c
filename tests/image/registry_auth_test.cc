// Pulling from a registry that requires credentials, against Debian's
// docker-registry on loopback: Basic auth (an htpasswd file of bcrypt
// hashes) and token auth (a token server of the test issuing RS256 JWTs that
// the registry verifies with the issuer's certificate). With the credentials
// of the server config the pull succeeds; with wrong ones a job fails at
// once with the registry's (or token service's) answer; the password is
// never shown or logged.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "server_harness.h"
#include "support/oci_registry.h"

namespace skyrun::testing {
namespace {

namespace fs = std::filesystem;
using test_support::LayerBuilder;
using test_support::LoopbackRegistry;

constexpr const char* kUser = "puller";
constexpr const char* kPassword = "pw-Zq81-never-shown";
constexpr const char* kWrongPassword = "pw-wrong-7731-never-shown";

// Whether any file under `dir` holds `needle` (the server's log, its job
// files, its database).
bool AnyFileHolds(const std::string& dir, const std::string& needle) {
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str().find(needle) != std::string::npos) return true;
  }
  return false;
}

class RegistryAuthTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "basic") registry_.RequireBasicAuth(kUser, kPassword);
    if (GetParam() == "token") registry_.RequireTokenAuth(kUser, kPassword);
    std::string why;
    if (!registry_.Start(&why)) GTEST_SKIP() << why;
    layer_ = LayerBuilder().File("etc/skyrun-image", "private image\n").Build(true);
    registry_.Push("team/private", "1", {{layer_, true}}, R"({"Cmd":["/bin/sh"]})");
    good_ = secrets_.Write("good.password", std::string(kPassword) + "\n");
    bad_ = secrets_.Write("bad.password", std::string(kWrongPassword) + "\n");
  }

  // A server whose config gives the registry `password_file`.
  std::unique_ptr<ServerHarness> Server(const std::string& password_file) const {
    auto server = std::make_unique<ServerHarness>(
        "local:\n  kill_grace_seconds: 2\n  nodes:\n    - {name: box, cpus: 2, memory: 2GiB}\n"
        "images:\n  registries:\n    \"" +
        registry_.host() + "\": {username: " + kUser + ", password_file: " + password_file + "}\n");
    server->Start();
    return server;
  }
  std::string Image() const { return registry_.host() + "/team/private:1"; }

  LoopbackRegistry registry_;
  test_support::TempDir secrets_{"skyrun-registry-secrets"};
  std::string layer_, good_, bad_;
};

TEST_P(RegistryAuthTest, TheConfiguredCredentialsPullTheImage) {
  auto server = Server(good_);
  CommandResult pulled = server->Cli({"image", "pull", Image(), "-o", "json"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.output;
  nlohmann::json j = nlohmann::json::parse(pulled.output, nullptr, false);
  ASSERT_TRUE(j.is_object()) << pulled.output;
  EXPECT_EQ(j.value("blobs_fetched", 0), 2) << pulled.output;  // the layer and the config
  EXPECT_EQ(registry_.BlobGets(test_support::DigestOf(layer_)), 1);
  if (GetParam() == "token") {
    EXPECT_GE(registry_.TokensIssued(), 1);
    EXPECT_EQ(registry_.TokensRefused(), 0);
  }
  EXPECT_EQ(pulled.output.find(kPassword), std::string::npos) << pulled.output;
  server->Stop();
  EXPECT_FALSE(AnyFileHolds(server->state_dir(), kPassword));
}

TEST_P(RegistryAuthTest, WrongCredentialsFailTheJobAtOnceWithTheRegistrysAnswer) {
  auto server = Server(bad_);
  int64_t id =
      server->Submit("name: private\nimage: " + Image() + "\nresources: {cpus: 1}\nrun: true\n", "job.yaml");
  ASSERT_GT(id, 0);
  EXPECT_EQ(server->WaitForState(id, {"SUCCEEDED", "FAILED", "LOST"}, 120), "FAILED");
  nlohmann::json job = server->Job(id);
  const std::string reason = job.value("reason", "");
  // Refused at the first launch, not after the launch retries.
  EXPECT_NE(reason.find("launch refused"), std::string::npos) << job.dump();
  if (GetParam() == "basic") {
    EXPECT_NE(reason.find("registry " + registry_.host() + " answered 401 UNAUTHORIZED for team/private:1"),
              std::string::npos)
        << reason;
  } else {
    EXPECT_NE(reason.find("the token service of registry " + registry_.host() + " answered 401"),
              std::string::npos)
        << reason;
    EXPECT_GE(registry_.TokensRefused(), 1);
    EXPECT_EQ(registry_.TokensIssued(), 0);
  }
  EXPECT_EQ(registry_.BlobGets(test_support::DigestOf(layer_)), 0);
  CommandResult cli = server->Cli({"image", "pull", Image()});
  EXPECT_NE(cli.exit_code, 0);
  EXPECT_NE(cli.output.find("401"), std::string::npos) << cli.output;
  for (const char* secret : {kPassword, kWrongPassword}) {
    EXPECT_EQ(job.dump().find(secret), std::string::npos) << job.dump();
    EXPECT_EQ(cli.output.find(secret), std::string::npos) << cli.output;
  }
  server->Stop();
  EXPECT_FALSE(AnyFileHolds(server->state_dir(), kWrongPassword));
}

INSTANTIATE_TEST_SUITE_P(Auth, RegistryAuthTest, ::testing::Values("basic", "token"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace skyrun::testing
