// Container images on the local backend, end to end: a real registry
// (Debian's docker-registry on loopback), an image with Python and NumPy
// pushed to it, and the real server and CLI running jobs inside it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "server_harness.h"
#include "support/oci_registry.h"

namespace skyrun::testing {
namespace {

namespace fs = std::filesystem;
using test_support::LayerBuilder;
using test_support::LoopbackRegistry;

const char* kConfig = R"(
local:
  kill_grace_seconds: 2
  nodes:
    - name: box
      cpus: 4
      memory: 8GiB
)";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The Python root file system as a tar, built once per build tree.
std::string PythonRootfsTar(std::string* why) {
  std::string tar = std::string(SKYRUN_TEST_CACHE_DIR) + "/rootfs-py.tar";
  if (fs::exists(tar)) return tar;
  std::string script = ServerHarness::SourceDir() + "/tests/image/make_python_rootfs.sh";
  CommandResult r = RunCommand({"/bin/sh", script, tar}, {}, 600);
  if (r.exit_code != 0) {
    *why = "building the Python root file system failed: " + r.output;
    return "";
  }
  return tar;
}

class ImageE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!registry_.Start(&why)) GTEST_SKIP() << why;
    std::string tar = PythonRootfsTar(&why);
    ASSERT_FALSE(tar.empty()) << why;
    rootfs_layer_ = ReadFile(tar);
    marker_ = LayerBuilder().File("etc/skyrun-image", "python image\n").Build(true);
    registry_.Push("ml/python", "3.11", {{rootfs_layer_, false}, {marker_, true}},
                   R"({"Env":["PATH=/usr/local/bin:/usr/bin:/bin","IMAGE_VAR=from-image","SHARED=image"],
                       "WorkingDir":"/etc","Cmd":["/bin/sh","-c","echo entry in $(pwd); cat skyrun-image"]})");
    tools_marker_ = LayerBuilder().File("etc/skyrun-image", "tools image\n").Build(true);
    registry_.Push("ml/tools", "1", {{rootfs_layer_, false}, {tools_marker_, true}});
    server_.Start();
  }
  std::string Image(const std::string& repo_tag = "ml/python:3.11") const {
    return registry_.host() + "/" + repo_tag;
  }
  std::string Logs(int64_t id) const {
    return server_.Get("/v1/jobs/" + std::to_string(id) + "/logs", server_.admin_token()).body;
  }
  int64_t Run(const std::string& spec) const {
    int64_t id = server_.Submit(spec, "job.yaml");
    EXPECT_GT(id, 0);
    return id;
  }

  LoopbackRegistry registry_;
  ServerHarness server_{kConfig};
  std::string rootfs_layer_, marker_, tools_marker_;
};

TEST_F(ImageE2ETest, QuickstartRunsInTheImageAndTheCacheServesTheSecondJob) {
  std::string spec =
      ReadFile(ServerHarness::SourceDir() + "/examples/quickstart/job.yaml") + "image: " + Image() + "\n";
  auto submitted = server_.SubmitFrom(spec, ServerHarness::SourceDir() + "/examples/quickstart");
  ASSERT_EQ(submitted.status, 201) << submitted.body;
  int64_t id = submitted.Json()["id"].get<int64_t>();
  EXPECT_EQ(server_.WaitForState(id, {"SUCCEEDED", "FAILED", "LOST"}, 240), "SUCCEEDED")
      << server_.Job(id).dump() << Logs(id);
  std::string logs = Logs(id);
  EXPECT_NE(logs.find("final test accuracy"), std::string::npos) << logs;
  EXPECT_NE(logs.find("numpy "), std::string::npos) << logs;
  const std::string layer = test_support::DigestOf(rootfs_layer_);
  EXPECT_EQ(registry_.BlobGets(layer), 1);
  // The attempt records the pull: both layers (and the small config blob).
  nlohmann::json attempts = server_.Job(id).value("attempts", nlohmann::json::array());
  ASSERT_EQ(attempts.size(), 1u) << attempts.dump();
  const int64_t layers = static_cast<int64_t>(rootfs_layer_.size() + marker_.size());
  EXPECT_GE(attempts[0].value("image_pulled_bytes", int64_t{0}), layers) << attempts.dump();
  EXPECT_LT(attempts[0].value("image_pulled_bytes", int64_t{0}), layers + 65536) << attempts.dump();
  EXPECT_GT(attempts[0].value("image_pull_seconds", 0.0), 0.0) << attempts.dump();

  // The same image again: nothing is fetched but the manifest.
  int64_t second = Run("name: again\nimage: " + Image() +
                       "\nresources: {cpus: 1}\nrun: cat /etc/skyrun-image; cat /etc/os-release\n");
  EXPECT_EQ(server_.WaitForState(second, {"SUCCEEDED", "FAILED", "LOST"}, 120), "SUCCEEDED") << Logs(second);
  EXPECT_NE(Logs(second).find("python image"), std::string::npos) << Logs(second);
  EXPECT_NE(Logs(second).find("ID=skyrun-test-python"), std::string::npos) << Logs(second);
  EXPECT_EQ(registry_.BlobGets(layer), 1);
  EXPECT_EQ(registry_.BlobGets(test_support::DigestOf(marker_)), 1);
  attempts = server_.Job(second).value("attempts", nlohmann::json::array());
  ASSERT_EQ(attempts.size(), 1u) << attempts.dump();
  EXPECT_EQ(attempts[0].value("image_pulled_bytes", int64_t{-1}), 0) << attempts.dump();

  // The CLI lists it; a corrupted cached blob is found by its digest and fetched again.
  auto ls = server_.Cli({"image", "ls"});
  ASSERT_EQ(ls.exit_code, 0) << ls.output;
  EXPECT_NE(ls.output.find(Image()), std::string::npos) << ls.output;
  std::string blob =
      server_.state_dir() + "/images/blobs/sha256/" + test_support::DigestOf(marker_).substr(7);
  ASSERT_TRUE(fs::exists(blob));
  std::ofstream(blob, std::ios::binary | std::ios::trunc) << "not the layer";
  auto pulled = server_.Cli({"image", "pull", Image(), "-o", "json"});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.output;
  auto j = nlohmann::json::parse(pulled.output);
  EXPECT_EQ(j["corrupt_blobs_refetched"], 1) << pulled.output;
  EXPECT_EQ(j["blobs_fetched"], 1) << pulled.output;
  EXPECT_EQ(test_support::DigestOf(ReadFile(blob)), test_support::DigestOf(marker_));
  EXPECT_EQ(registry_.BlobGets(test_support::DigestOf(marker_)), 2);
}

TEST_F(ImageE2ETest, TheTaskSeesTheImageNotTheHost) {
  int64_t id = Run("name: inside\nimage: " + Image() +
                   "\nresources: {cpus: 1}\nenvs: {SHARED: spec}\n"
                   "run: |\n"
                   "  echo \"vars $IMAGE_VAR $SHARED\"\n"
                   "  test -e /usr/bin/gcc && echo host-gcc-visible || echo no-host-gcc\n"
                   "  test -e " +
                   server_.state_dir() +
                   "/admin.token && echo token-visible || echo no-token\n"
                   "  touch /usr/x 2>/dev/null && echo rootfs-writable || echo rootfs-read-only\n"
                   "  touch /newfile 2>/dev/null && echo root-writable || echo root-read-only\n"
                   "  touch $HOME/ok && echo workdir-writable\n"
                   "  echo uid $(id -u)\n");
  EXPECT_EQ(server_.WaitForState(id, {"SUCCEEDED", "FAILED", "LOST"}, 120), "SUCCEEDED") << Logs(id);
  std::string logs = Logs(id);
  EXPECT_NE(logs.find("vars from-image spec"), std::string::npos) << logs;
  EXPECT_NE(logs.find("no-host-gcc"), std::string::npos) << logs;
  EXPECT_NE(logs.find("no-token"), std::string::npos) << logs;
  EXPECT_NE(logs.find("rootfs-read-only"), std::string::npos) << logs;
  EXPECT_NE(logs.find("root-read-only"), std::string::npos) << logs;
  EXPECT_NE(logs.find("workdir-writable"), std::string::npos) << logs;
  if (::geteuid() == 0) {
    EXPECT_EQ(logs.find("uid 0\n"), std::string::npos) << logs;
  }
}

// The image's User (numeric, or a name from the image's own /etc/passwd and
// /etc/group) is what `id` prints in the task, inside a user namespace of
// its own; on the host the task is still the uid the sandbox dropped to (the
// uid_map's second column), and its workdir stays writable.
TEST_F(ImageE2ETest, TheImagesUserIsTheTasksIdInsideNotOnTheHost) {
  const std::string user_layer =
      LayerBuilder()
          .File("etc/passwd",
                "root:x:0:0:root:/root:/bin/bash\ntrainer:x:1234:1234::/home/trainer:/bin/bash\n")
          .File("etc/group", "root:x:0:\ntrainer:x:1234:\nml:x:777:\n")
          .Build(true);
  registry_.Push("ml/numeric", "1", {{rootfs_layer_, false}, {marker_, true}}, R"({"User":"4242:4343"})");
  registry_.Push("ml/named", "1", {{rootfs_layer_, false}, {user_layer, true}}, R"({"User":"trainer:ml"})");
  const std::string run =
      "\nresources: {cpus: 1}\nrun: |\n"
      "  echo \"ids $(id -u):$(id -g)\"\n"
      "  echo \"map $(cat /proc/self/uid_map)\"\n"
      "  touch $HOME/ok && echo workdir-writable\n";
  const std::string host_uid = std::to_string(::geteuid() == 0 ? 250000 : ::geteuid());

  int64_t numeric = Run("name: numeric\nimage: " + Image("ml/numeric:1") + run);
  EXPECT_EQ(server_.WaitForState(numeric, {"SUCCEEDED", "FAILED", "LOST"}, 120), "SUCCEEDED")
      << Logs(numeric);
  std::string logs = Logs(numeric);
  EXPECT_NE(logs.find("ids 4242:4343"), std::string::npos) << logs;
  EXPECT_NE(logs.find("workdir-writable"), std::string::npos) << logs;
  // "4242 <host uid> 1": one id mapped, the host's unchanged.
  std::istringstream map(logs.substr(logs.find("map ") + 4));
  int64_t inside = -1, outside = -1, count = -1;
  map >> inside >> outside >> count;
  EXPECT_EQ(inside, 4242) << logs;
  EXPECT_NE(outside, 4242) << logs;
  EXPECT_EQ(count, 1) << logs;
  if (::geteuid() != 0) {
    EXPECT_EQ(std::to_string(outside), host_uid) << logs;
  }

  int64_t named = Run("name: named\nimage: " + Image("ml/named:1") + run);
  EXPECT_EQ(server_.WaitForState(named, {"SUCCEEDED", "FAILED", "LOST"}, 120), "SUCCEEDED") << Logs(named);
  EXPECT_NE(Logs(named).find("ids 1234:777"), std::string::npos) << Logs(named);

  // A name the image does not list fails the job with the reason.
  registry_.Push("ml/ghost", "1", {{rootfs_layer_, false}, {marker_, true}}, R"({"User":"ghost"})");
  int64_t ghost = Run("name: ghost\nimage: " + Image("ml/ghost:1") + run);
  EXPECT_EQ(server_.WaitForState(ghost, {"SUCCEEDED", "FAILED", "LOST"}, 120), "FAILED") << Logs(ghost);
  EXPECT_NE(server_.Job(ghost).dump().find("/etc/passwd has no user 'ghost'"), std::string::npos)
      << server_.Job(ghost).dump();
}

TEST_F(ImageE2ETest, EntrypointAndCmdRunWhenTheSpecHasNoRun) {
  int64_t id = Run("name: entry\nimage: " + Image() + "\nresources: {cpus: 1}\n");
  EXPECT_EQ(server_.WaitForState(id, {"SUCCEEDED", "FAILED", "LOST"}, 120), "SUCCEEDED") << Logs(id);
  EXPECT_NE(Logs(id).find("entry in /etc"), std::string::npos) << Logs(id);
  EXPECT_NE(Logs(id).find("python image"), std::string::npos) << Logs(id);
}

TEST_F(ImageE2ETest, GangRolesRunInTheirOwnImages) {
  int64_t id = Run("name: gang\nmode: ps-worker\nresources: {cpus: 1}\nimage: " + Image() +
                   "\nroles:\n  ps: {count: 1}\n  worker: {count: 1, image: " + Image("ml/tools:1") +
                   "}\nrun: echo \"$SKYRUN_ROLE sees $(cat /etc/skyrun-image)\"\n");
  EXPECT_EQ(server_.WaitForState(id, {"SUCCEEDED", "FAILED", "LOST"}, 120), "SUCCEEDED")
      << server_.Job(id).dump() << Logs(id);
  std::string logs = Logs(id);
  EXPECT_NE(logs.find("ps sees python image"), std::string::npos) << logs;
  EXPECT_NE(logs.find("worker sees tools image"), std::string::npos) << logs;
}

TEST_F(ImageE2ETest, MissingImageFailsTheJobWithTheRegistryAnswer) {
  int64_t id =
      Run("name: missing\nimage: " + Image("ml/python:nope") + "\nresources: {cpus: 1}\nrun: true\n");
  EXPECT_EQ(server_.WaitForState(id, {"SUCCEEDED", "FAILED", "LOST"}, 120), "FAILED");
  std::string reason = server_.Job(id).value("reason", "");
  EXPECT_NE(reason.find("registry " + registry_.host() + " answered 404 MANIFEST_UNKNOWN for ml/python:nope"),
            std::string::npos)
      << reason;
  auto cli = server_.Cli({"image", "pull", Image("ml/nothing:1")});
  EXPECT_NE(cli.exit_code, 0);
  EXPECT_NE(cli.output.find("answered 404"), std::string::npos) << cli.output;
}

}  // namespace
}  // namespace skyrun::testing
