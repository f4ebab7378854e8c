// Issue 10, items 6, 7 and 17 through the real server and CLI: bad input gets
// a located refusal (HTTP 400, CLI exit 2), never a crash, a 500 or a
// silently wrapped number.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "server_harness.h"

namespace skyrun::testing {
namespace {

// A raw request body: the harness's Post takes JSON, which cannot hold the
// bytes these tests send.
HttpResult RawPost(const ServerHarness& server, const std::string& path, const std::string& body) {
  httplib::Client cli(server.url());
  cli.set_read_timeout(30, 0);
  httplib::Headers h = {{"Authorization", "Bearer " + server.admin_token()}};
  auto r = cli.Post(path.c_str(), h, body, "application/json");
  if (!r) return {};
  return {r->status, r->body};
}

std::string WriteTemp(const std::string& name, const std::string& text) {
  std::string dir =
      std::filesystem::temp_directory_path() / ("skyrun_input_safety_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(InputSafetyTest, Item6_LogsRankAndAttemptBeyondIntRangeAre400) {
  ServerHarness server;
  server.Start();
  int64_t id = server.Submit("run: echo hello\n", "job.yaml");
  ASSERT_GT(id, 0);
  std::string logs = "/v1/jobs/" + std::to_string(id) + "/logs";
  // 4294967296 was read as rank 0 (a cast to int), and showed rank 0's log.
  auto r = server.Get(logs + "?rank=4294967296", server.admin_token());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("?rank= must be a rank number between 0 and 2147483647"), std::string::npos)
      << r.body;
  r = server.Get(logs + "?attempt=4294967297", server.admin_token());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("?attempt="), std::string::npos) << r.body;
  for (const char* bad : {"-1", "1x", "", "+", "99999999999999999999"}) {
    r = server.Get(logs + "?rank=" + bad, server.admin_token());
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
  EXPECT_EQ(server.Get(logs + "?rank=0", server.admin_token()).status, 200);
}

TEST(InputSafetyTest, Item6_NulInASubmittedSpecIs400WithItsPlace) {
  ServerHarness server;
  server.Start();
  auto r = server.Post("/v1/jobs",
                       {{"spec", std::string("run: echo a\nsetup: \"x\\0y\"\n")}, {"file", "job.yaml"}},
                       server.admin_token());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("job.yaml:2:8: setup: contains a NUL character"), std::string::npos) << r.body;
  r = server.Post("/v1/jobs", {{"spec", std::string("run: echo a\n#\0\n", 15)}, {"file", "job.yaml"}},
                  server.admin_token());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("job.yaml:2:2: a control character (byte 0x00)"), std::string::npos) << r.body;
}

// A guard rather than an attack (main already answers 400 here): request
// bodies that are not UTF-8 are refused by the JSON reader, and its error,
// which quotes the bytes, must still be written as JSON.
TEST(InputSafetyTest, Item7_RawBodiesThatAreNotUtf8StayA400) {
  ServerHarness server;
  server.Start();
  // (JSON-escaped line breaks, so that the JSON reader reaches the byte.)
  std::string csv = "name,fwd_flops,bwd_flops,param_bytes,act_bytes\\nl\xff,1,1,1,1\\n";
  auto r = RawPost(server, "/v1/partition", "{\"profile_csv\": \"" + csv + "\", \"devices_csv\": \"\"}");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(nlohmann::json::accept(r.body)) << r.body;
  r = RawPost(server, "/v1/jobs", "{\"spec\": \"run: echo caf\xe9\", \"file\": \"job.yaml\"}");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_TRUE(nlohmann::json::accept(r.body)) << r.body;
  EXPECT_EQ(server.Get("/healthz", "").status, 200);
}

TEST(InputSafetyTest, Item7_ProfileWithBytesThatAreNotUtf8IsA400NotA500) {
  ServerHarness server;
  server.Start();
  // The profile's error message quoted the byte, and writing that message as
  // JSON threw: HTTP 500.
  std::string csv =
      WriteTemp("layers.csv", "name,fwd_flops,bwd_flops,param_bytes,act_bytes\nl,1\xff,1,1,1\n");
  std::string spec = "mode: pipeline\nnum_nodes: 1\npartition: {profile: layers.csv}\nrun: echo hi\n";
  // The profile travels in the job's upload, as `skyrun launch` sends it.
  auto r = server.SubmitFrom(spec, std::filesystem::path(csv).parent_path().string());
  EXPECT_EQ(r.status, 400) << r.body;
  // Located by line only: a profile's errors never quote its content.
  EXPECT_NE(r.body.find("'layers.csv': not a valid units profile CSV (the problem is on line 2)"),
            std::string::npos)
      << r.body;
  EXPECT_EQ(r.body.find("\xff"), std::string::npos);
  EXPECT_EQ(server.Get("/healthz", "").status, 200);
}

TEST(InputSafetyTest, Item7_CliValidateAndLaunchBothExitTwoWithTheLocation) {
  ServerHarness server;
  server.Start();
  std::string path = WriteTemp("latin1.yaml", "name: latin1\nrun: echo caf\xe9\n");
  std::string where = path + ":2:14: not valid UTF-8 (byte 0xe9)";
  auto v = RunCommand({ServerHarness::SkyrunBinary(), "validate", path}, {}, 60);
  EXPECT_EQ(v.exit_code, 2) << v.output;
  EXPECT_NE(v.output.find(where), std::string::npos) << v.output;
  // launch aborted with nlohmann's type_error.316 (exit 134) before.
  auto l = server.Cli({"launch", path});
  EXPECT_EQ(l.exit_code, 2) << l.output;
  EXPECT_NE(l.output.find(where), std::string::npos) << l.output;
  EXPECT_EQ(server.Get("/v1/jobs", server.admin_token()).Json()["jobs"].size(), 0u);
  // In a comment too.
  path = WriteTemp("comment.yaml", "run: echo hi\n# \xff\n");
  v = RunCommand({ServerHarness::SkyrunBinary(), "validate", path}, {}, 60);
  EXPECT_EQ(v.exit_code, 2) << v.output;
  EXPECT_NE(v.output.find(path + ":2:3: not valid UTF-8 (byte 0xff)"), std::string::npos) << v.output;
}

// Item 17 was: the broker's fields were accepted and ignored (a job capped at
// $0.001/h ran at $10.04/h), then refused. Now they are in effect: the capped
// job is accepted, waits with the reason and never runs above its cap.
TEST(InputSafetyTest, Item17_AJobCappedBelowEveryNodeWaitsAndNeverRuns) {
  ServerHarness server(R"(
local:
  price_per_cpu_hour: 0.36
  nodes: [{name: box, cpus: 2, memory: 4GiB}]
)");
  server.Start();
  auto r = server.Post(
      "/v1/jobs",
      {{"spec", "run: echo hi\nresources: {max_hourly_cost: 0.001, cpus: 1}\n"}, {"file", "job.yaml"}},
      server.admin_token());
  ASSERT_EQ(r.status, 201) << r.body;
  const int64_t id = r.Json()["id"].get<int64_t>();
  std::string why;
  for (int i = 0; i < 200 && why.find("max_hourly_cost") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto j = server.Job(id);
    why = j.value("waiting_for", "") + " " + j.value("reason", "");
  }
  EXPECT_NE(why.find("max_hourly_cost"), std::string::npos) << server.Job(id).dump(2);
  auto j = server.Job(id);
  EXPECT_EQ(j["attempts"].size(), 0u) << j.dump(2);
  EXPECT_EQ(j["state"], "QUEUED") << j.dump(2);
}

}  // namespace
}  // namespace skyrun::testing
