// Issue 10 items 3 and 4 through the real server: the server reads no path a
// caller chooses. A job's files travel in an upload (content-addressed, size-
// limited, per tenant, in its quota, removed with the job); spec paths
// resolve only inside it or under declared server roots; errors never quote a
// file; staging never writes through a link.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include "common/strings.h"
#include "server_harness.h"
#include "support/temp_dir.h"
#include "uploads/archive.h"

namespace skyrun::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A folder that lives until the test process exits (then it is removed).
std::string ScratchDir(const std::string& name) {
  static std::vector<std::unique_ptr<test_support::TempDir>> dirs;
  dirs.push_back(std::make_unique<test_support::TempDir>("skyrun-uploads-" + name));
  return dirs.back()->path();
}

std::string MemberToken(const ServerHarness& server, const std::string& tenant) {
  server.Cli({"admin", "tenant", "create", tenant});
  auto tok = server.Cli({"admin", "token", "create", "--tenant", tenant, "--role", "member", "-o", "json"});
  EXPECT_EQ(tok.exit_code, 0) << tok.output;
  return nlohmann::json::parse(tok.output)["token"];
}

std::string Logs(const ServerHarness& server, int64_t id) {
  return server.Get("/v1/jobs/" + std::to_string(id) + "/logs", server.admin_token()).body;
}

// A one-file archive: `name` holding `content`.
std::string OneFileArchive(const std::string& name, const std::string& content) {
  uploads::ArchiveWriter w;
  EXPECT_TRUE(w.Add({uploads::EntryType::kFile, name, 0644, content, ""}).ok());
  return w.Finish();
}

TEST(UploadsTest, Item4_ProfileOutsideUploadIsRefusedWithoutContent) {
  ServerHarness server;
  server.Start();
  std::string member = MemberToken(server, "acme");
  const std::string token_text = server.admin_token();
  ASSERT_FALSE(token_text.empty());
  std::string shadow = ReadAll("/etc/shadow");
  auto pipeline = [](const std::string& profile) {
    return "name: p\nmode: pipeline\nresources: {cpus: 1}\npartition: {profile: '" + profile +
           "'}\nrun: 'true'\n";
  };
  for (const std::string& profile :
       {server.state_dir() + "/admin.token", std::string("/etc/shadow"), std::string("../../admin.token")}) {
    auto r = server.Post("/v1/jobs",
                         {{"spec", pipeline(profile)}, {"file", server.state_dir() + "/job.yaml"}}, member);
    EXPECT_EQ(r.status, 400) << profile << ": " << r.body;
    EXPECT_EQ(r.body.find(token_text), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("partition.profile"), std::string::npos) << r.body;
    for (const auto& line : Split(shadow, '\n')) {
      if (line.size() > 3) {
        EXPECT_EQ(r.body.find(line), std::string::npos) << r.body;
      }
    }
  }
  // A profile inside the upload that is not a CSV: located, but not quoted.
  std::string dir = ScratchDir("profile");
  std::ofstream(dir + "/units.csv") << "name,flops\nSECRET-LINE-CONTENT,not-a-number\n";
  auto r = server.SubmitFrom(pipeline("units.csv"), dir, member);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("units.csv"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("SECRET-LINE-CONTENT"), std::string::npos) << r.body;
  fs::remove_all(dir);
}

TEST(UploadsTest, Item4_FileFieldDoesNotChooseBaseDir) {
  ServerHarness server;
  server.Start();
  std::string member = MemberToken(server, "acme");
  // Today `file` chose the directory the server read workdir and mounts from.
  std::string dir = ScratchDir("file");
  fs::create_directories(dir + "/app");
  std::ofstream(dir + "/app/secret.txt") << "server-side secret\n";
  auto r = server.Post(
      "/v1/jobs", {{"spec", "name: w\nworkdir: app\nrun: cat secret.txt\n"}, {"file", dir + "/job.yaml"}},
      member);
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("carries no upload"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("job.yaml:2:10: workdir: 'app'"), std::string::npos) << r.body;  // file, line, field
  r = server.Post("/v1/jobs",
                  {{"spec", "name: t\nfile_mounts: {tok: admin.token}\nrun: cat tok\n"},
                   {"file", server.state_dir() + "/job.yaml"}},
                  member);
  EXPECT_EQ(r.status, 400) << r.body;
  // It is only a name now: the directories are dropped.
  r = server.Post("/v1/jobs", {{"spec", "name: n\nrun: 'true'\n"}, {"file", dir + "/job.yaml"}}, member);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.Json()["job"]["spec_file"], "job.yaml");
  fs::remove_all(dir);
}

TEST(UploadsTest, Item4_MountFromServerPathRefusedUnlessDeclared) {
  std::string declared = ScratchDir("declared");
  std::ofstream(declared + "/data.txt") << "declared-data\n";
  {
    ServerHarness server;
    server.Start();
    auto r = server.Post(
        "/v1/jobs",
        {{"spec", "name: m\nfile_mounts: {/tok: " + server.state_dir() + "/admin.token}\nrun: 'true'\n"}},
        server.admin_token());
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_NE(r.body.find("none are declared"), std::string::npos) << r.body;
    r = server.Post("/v1/jobs",
                    {{"spec", "name: m\nfile_mounts: {/d: " + declared + "/data.txt}\nrun: 'true'\n"}},
                    server.admin_token());
    EXPECT_EQ(r.status, 400) << r.body;
  }
  ServerHarness server("uploads:\n  server_paths: [" + declared + "]\n");
  server.Start();
  auto r = server.Post(
      "/v1/jobs",
      {{"spec", "name: m\nfile_mounts: {/tok: " + server.state_dir() + "/admin.token}\nrun: 'true'\n"}},
      server.admin_token());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("allowed roots: " + declared), std::string::npos) << r.body;
  r = server.Post("/v1/jobs",
                  {{"spec", "name: m\nfile_mounts: {/d: " + declared + "/../" +
                                fs::path(declared).filename().string() + "/data.txt}\nrun: 'true'\n"}},
                  server.admin_token());
  EXPECT_EQ(r.status, 400) << r.body;
  r = server.Post("/v1/jobs",
                  {{"spec", "name: m\nfile_mounts: {d.txt: " + declared + "/data.txt}\nrun: cat d.txt\n"}},
                  server.admin_token());
  ASSERT_EQ(r.status, 201) << r.body;
  int64_t id = r.Json()["id"];
  EXPECT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED"}, 60), "SUCCEEDED");
  EXPECT_NE(Logs(server, id).find("declared-data"), std::string::npos);
  fs::remove_all(declared);
}

TEST(UploadsTest, Item4_UploadIsContentAddressedAndRemovedWithJob) {
  ServerHarness server;
  server.Start();
  std::string member = MemberToken(server, "acme");
  std::string rival = MemberToken(server, "rival");
  std::string archive = OneFileArchive("data.txt", "uploaded-bytes\n");
  std::string digest = uploads::Sha256Hex(archive);
  std::string path = "/v1/uploads/" + digest;
  // The digest is checked.
  EXPECT_EQ(server.Put("/v1/uploads/" + uploads::Sha256Hex("x"), archive, member).status, 400);
  EXPECT_EQ(server.Put(path, archive, member).status, 201);
  EXPECT_EQ(server.Put(path, archive, member).status, 200);
  EXPECT_EQ(server.Head(path, member).status, 200);
  EXPECT_EQ(server.Head(path, rival).status, 404);  // per tenant
  EXPECT_EQ(server.Get(path, member).body, archive);
  // A crafted archive that would write outside is refused.
  std::string evil = std::string(uploads::kArchiveMagic) + "f" + std::string("\0\x04", 2) + "../x" +
                     std::string("\x01\xa4", 2) + std::string(8, '\0') + "e";
  EXPECT_EQ(server.Put("/v1/uploads/" + uploads::Sha256Hex(evil), evil, member).status, 400);

  auto submit = [&](const std::string& name, const std::string& run) {
    auto r = server.Post("/v1/jobs",
                         {{"spec", "name: " + name + "\nfile_mounts: {d.txt: data.txt}\nrun: " + run + "\n"},
                          {"upload", digest}},
                         member);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? r.Json()["id"].get<int64_t>() : -1;
  };
  int64_t longer = submit("longer", "'cat d.txt; sleep 300'");
  int64_t quick = submit("quick", "cat d.txt");
  // Another tenant cannot use it.
  auto stolen = server.Post(
      "/v1/jobs", {{"spec", "name: s\nfile_mounts: {d.txt: data.txt}\nrun: cat d.txt\n"}, {"upload", digest}},
      rival);
  EXPECT_EQ(stolen.status, 400) << stolen.body;
  ASSERT_EQ(server.WaitForState(quick, {"SUCCEEDED", "FAILED"}, 60), "SUCCEEDED");
  EXPECT_NE(Logs(server, quick).find("uploaded-bytes"), std::string::npos);
  // The longer job still uses it: kept.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(server.Head(path, member).status, 200);
  ASSERT_EQ(server.WaitForState(longer, {"RUNNING"}, 60), "RUNNING");
  server.Post("/v1/jobs/" + std::to_string(longer) + "/cancel", nlohmann::json::object(), member);
  ASSERT_EQ(server.WaitForState(longer, {"CANCELLED"}, 60), "CANCELLED");
  int status = 0;
  for (int i = 0; i < 100 && (status = server.Head(path, member).status) != 404; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(status, 404);
  bool left = false;
  for (const auto& e : fs::recursive_directory_iterator(server.state_dir() + "/uploads"))
    left = left || e.path().string().find(digest) != std::string::npos;
  EXPECT_FALSE(left);
}

TEST(UploadsTest, Item4_UploadOverQuotaRefused) {
  ServerHarness server("uploads:\n  max_bytes: 2000\n  tenant_quota_bytes: 3000\n");
  server.Start();
  std::string member = MemberToken(server, "acme");
  std::string big = OneFileArchive("big", std::string(2500, 'b'));
  auto r = server.Put("/v1/uploads/" + uploads::Sha256Hex(big), big, member);
  EXPECT_EQ(r.status, 413) << r.body;
  EXPECT_NE(r.body.find("larger than 2000 bytes"), std::string::npos) << r.body;
  std::string a = OneFileArchive("a", std::string(1500, 'a'));
  std::string b = OneFileArchive("b", std::string(1500, 'b'));
  EXPECT_EQ(server.Put("/v1/uploads/" + uploads::Sha256Hex(a), a, member).status, 201);
  r = server.Put("/v1/uploads/" + uploads::Sha256Hex(b), b, member);
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_NE(r.body.find("upload quota of 3000 bytes"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("uploads.tenant_quota_bytes"), std::string::npos) << r.body;
}

TEST(UploadsTest, Item4_ClientOnAnotherDirectoryCanSubmit) {
  ServerHarness server;
  server.Start();
  std::string dir = ScratchDir("client");
  fs::create_directories(dir + "/proj/app/pkg");
  std::ofstream(dir + "/proj/app/pkg/data.txt") << "client-side-content\n";
  std::ofstream(dir + "/proj/app/weights.bin")
      << std::string(3 << 20, 'w');  // an upload above the 2 MiB body limit
  std::ofstream(dir + "/proj/job.yaml") << "name: remote\nworkdir: app\nrun: cat pkg/data.txt\n";
  // From another directory, with a relative path to the spec.
  auto r = server.Cli({"launch", "-d", "-o", "json", "proj/job.yaml"}, 60, dir);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The client's files may vanish at once: the server has its own copy.
  fs::remove_all(dir);
  int64_t id = nlohmann::json::parse(r.output.substr(r.output.find('{')))["id"];
  EXPECT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED"}, 60), "SUCCEEDED") << server.Job(id).dump();
  EXPECT_NE(Logs(server, id).find("client-side-content"), std::string::npos);
}

TEST(UploadsTest, Item3_SymlinkInWorkdirDoesNotEscape) {
  ServerHarness server;
  server.Start();
  std::string outside = ScratchDir("outside");
  std::string dir = ScratchDir("link");
  fs::create_directories(dir + "/app/sub");
  std::ofstream(dir + "/f") << "payload\n";
  fs::create_symlink(outside, dir + "/app/link");
  const std::string spec = "name: l\nworkdir: app\nfile_mounts: {link/x: ./f}\nrun: 'true'\n";
  std::ofstream(dir + "/job.yaml") << spec;
  // The client refuses to pack a link that leads out, with the link's name.
  auto r = server.Cli({"launch", "-d", dir + "/job.yaml"}, 60);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("app/link -> " + outside + " points outside"), std::string::npos) << r.output;
  // A link that stays inside is uploaded, but staging never walks through it.
  fs::remove(dir + "/app/link");
  fs::create_symlink("sub", dir + "/app/link");
  auto sub = server.SubmitFrom(spec, dir);
  ASSERT_EQ(sub.status, 201) << sub.body;
  int64_t id = sub.Json()["id"];
  EXPECT_EQ(server.WaitForState(id, {"SUCCEEDED", "FAILED"}, 60), "FAILED");
  std::string reason = server.Job(id).dump();
  EXPECT_NE(reason.find("symbolic link"), std::string::npos) << reason;
  EXPECT_FALSE(fs::exists(outside + "/x"));
  fs::remove_all(dir);
  fs::remove_all(outside);
}

}  // namespace
}  // namespace skyrun::testing
