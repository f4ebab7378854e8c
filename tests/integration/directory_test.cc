// The broker's directory through the real server: providers write their
// entries (PUT /v1/directory/{provider}/{region}), anyone authenticated
// reads them (GET /v1/directory), only a platform admin or the provider's
// own token may write, bad bodies and unknown providers are refused, and the
// entries survive a restart (they are in the store).
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "server_harness.h"

namespace skyrun::testing {
namespace {

std::string CreateToken(ServerHarness& server, const std::string& tenant, const std::string& role) {
  auto t = server.Post("/v1/admin/tenants", {{"name", tenant}}, server.admin_token());
  EXPECT_TRUE(t.status == 201 || t.status == 409) << t.body;
  auto r = server.Post("/v1/admin/tokens", {{"tenant", tenant}, {"role", role}}, server.admin_token());
  EXPECT_EQ(r.status, 201) << r.body;
  return r.Json().value("token", "");
}

TEST(DirectoryTest, ProvidersWriteEveryoneReadsAndItSurvivesARestart) {
  ServerHarness server;
  server.Start();
  const std::string aws = CreateToken(server, "aws", "provider");
  const std::string member = CreateToken(server, "team", "member");

  const std::string report =
      R"({"zone": "use1-az1", "instance_type": "p4d.24xlarge", "availability": 2, "spot_price": 9.5,
          "preemption_rate": 0.07})";
  auto put = server.Put("/v1/directory/aws/us-east-1", report, aws);
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(put.Json()["updated_by"], "aws");
  EXPECT_EQ(put.Json()["preemption_rate"], 0.07);
  EXPECT_TRUE(put.Json()["price"].is_null());

  // Who may write.
  EXPECT_EQ(server.Put("/v1/directory/aws/us-east-1", report, member).status, 403);
  EXPECT_EQ(server.Put("/v1/directory/gcp/us-central1", R"({"load": 0.5})", aws).status, 403);
  EXPECT_EQ(server.Put("/v1/directory/aws/us-east-1", report, "skyrun_0000").status, 401);
  EXPECT_EQ(server.Put("/v1/directory/gcp/us-central1", R"({"load": 0.5})", server.admin_token()).status,
            200);
  // A provider token does not submit jobs.
  EXPECT_EQ(server.Post("/v1/jobs", {{"spec", "name: x\nresources: {cpus: 1}\nrun: true\n"}}, aws).status,
            403);

  // What is refused, and why.
  auto unknown = server.Put("/v1/directory/mystery/r1", R"({"load": 0.5})", server.admin_token());
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_NE(unknown.body.find("no provider 'mystery'"), std::string::npos) << unknown.body;
  auto region = server.Put("/v1/directory/aws/mars-1", R"({"load": 0.5})", aws);
  EXPECT_EQ(region.status, 404) << region.body;
  for (const char* bad : {"", "{", "[]", "{}", R"({"load": 7})", R"({"price": -3})", R"({"price": 1e400})",
                          R"({"availability": 99999999999999999999})", R"({"load": 0.1, "extra": 1})",
                          R"({"zone": "x/y", "load": 0.1})"}) {
    auto r = server.Put("/v1/directory/aws/us-east-1", bad, aws);
    EXPECT_EQ(r.status, 400) << bad << " -> " << r.body;
  }
  auto huge = server.Put("/v1/directory/aws/us-east-1",
                         R"({"load": 0.1, "zone": ")" + std::string(3 << 20, 'a') + "\"}", aws);
  EXPECT_EQ(huge.status, 413);
  EXPECT_EQ(server.Put("/v1/directory/AWS/us-east-1", R"({"load": 0.1})", server.admin_token()).status, 400);

  // Anyone authenticated reads.
  auto list = server.Get("/v1/directory", member);
  ASSERT_EQ(list.status, 200) << list.body;
  ASSERT_EQ(list.Json()["entries"].size(), 2u);
  EXPECT_EQ(server.Get("/v1/directory?provider=gcp", member).Json()["entries"].size(), 1u);
  EXPECT_EQ(server.Get("/v1/directory", "").status, 401);

  server.Stop();
  server.Start();
  auto after = server.Get("/v1/directory", member);
  ASSERT_EQ(after.status, 200) << after.body;
  const nlohmann::json entries = after.Json()["entries"];
  ASSERT_EQ(entries.size(), 2u);
  const nlohmann::json& entry = entries[0];
  EXPECT_EQ(entry["provider"], "aws");
  EXPECT_EQ(entry["instance_type"], "p4d.24xlarge");
  EXPECT_EQ(entry["availability"], 2);
  EXPECT_EQ(entry["spot_price"], 9.5);
}

// GET /v1/offers: the catalog's offers and the registered clusters' live
// ones. A local node with 8 free A100s at $0.50/GPU-hour and 8 CPUs at
// $0.01/CPU-hour is 8 x 0.50 + 8 x 0.01 = $4.08/h, cheaper than the
// catalog's cheapest A100 x 8 (lambda gpu_8x_a100, $10.32/h).
TEST(DirectoryTest, OffersIncludeTheRegisteredClustersLiveCapacity) {
  ServerHarness server(R"(
local:
  price_per_gpu_hour: 0.5
  price_per_cpu_hour: 0.01
  nodes:
    - name: gpu-box
      cpus: 8
      memory: 64GiB
      gpus: {model: A100, count: 8, memory_mb: 40960}
)");
  server.Start();
  nlohmann::json offers;
  for (int i = 0; i < 100; ++i) {
    auto r = server.Get("/v1/offers?accelerator=A100:8&limit=2", server.admin_token());
    ASSERT_EQ(r.status, 200) << r.body;
    offers = r.Json()["offers"];
    if (!offers.empty() && offers[0]["provider"] == "local") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(offers.size(), 2u);
  EXPECT_EQ(offers[0]["provider"], "local");
  EXPECT_EQ(offers[0]["zone"], "gpu-box");
  EXPECT_DOUBLE_EQ(offers[0]["price"].get<double>(), 4.08);
  EXPECT_EQ(offers[1]["provider"], "lambda");
  EXPECT_EQ(offers[1]["price"], 10.32);
  auto spot =
      server.Get("/v1/offers?accelerator=A100:8&spot=true&cloud=aws,azure&limit=1", server.admin_token());
  ASSERT_EQ(spot.status, 200) << spot.body;
  EXPECT_EQ(spot.Json()["offers"][0]["instance_type"], "Standard_ND96asr_v4");
  EXPECT_EQ(server.Get("/v1/offers?accelerator=A100:x", server.admin_token()).status, 400);
  EXPECT_EQ(server.Get("/v1/offers?spot=maybe", server.admin_token()).status, 400);
  EXPECT_EQ(server.Get("/v1/offers?limit=-1", server.admin_token()).status, 400);
  EXPECT_EQ(server.Get("/v1/offers", "").status, 401);
}

}  // namespace
}  // namespace skyrun::testing
