#include "catalog/offers_cli.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "support/golden.h"
#include "support/temp_dir.h"

namespace skyrun::catalog {
namespace {

std::string BuiltinDir() {
  return (test_support::SourceDir() / "data" / "catalog").string();
}

struct CommandRun {
  int code = 0;
  std::string out;
  std::string err;
};

CommandRun Offers(OffersCliArgs args) {
  if (args.catalogs.empty()) args.catalogs = {BuiltinDir()};
  std::ostringstream out, err;
  CommandRun run;
  run.code = RunOffersCommand(args, out, err);
  run.out = out.str();
  run.err = err.str();
  return run;
}

TEST(OffersCli, ParseAcceleratorArg) {
  OfferFilter f;
  ASSERT_TRUE(ParseAcceleratorArg("A100:8", &f).ok());
  EXPECT_EQ(f.accelerator, "A100");
  EXPECT_EQ(*f.count, 8);
  ASSERT_TRUE(ParseAcceleratorArg("h100", &f).ok());
  EXPECT_FALSE(f.count.has_value());
  ASSERT_TRUE(ParseAcceleratorArg("", &f).ok());
  EXPECT_TRUE(f.accelerator.empty());
  for (const char* bad :
       {":8", "A100:", "A100:0", "A100:-1", "A100:x", "A100:99999999999999999999", "A100:2:3"}) {
    EXPECT_FALSE(ParseAcceleratorArg(bad, &f).ok()) << bad;
  }
}

// Hand-checked against the CSV rows (see catalog_test.cc): lambda's $10.32
// gpu_8x_a100 first, ties by region; with --spot, Azure Standard_ND96asr_v4
// at $2.99167 (azure.csv lines 43-44) is the cheapest spot A100 x 8, ahead of
// AWS p4d.24xlarge's lowest spot price in aws.csv.
TEST(OffersCli, JsonRanksByPrice) {
  OffersCliArgs args;
  args.accelerator = "a100:8";
  args.output = "json";
  CommandRun run = Offers(args);
  ASSERT_EQ(run.code, 0) << run.err;
  auto j = nlohmann::json::parse(run.out);
  ASSERT_GE(j["offers"].size(), 20u);
  EXPECT_EQ(j["offers"][0]["provider"], "lambda");
  EXPECT_EQ(j["offers"][0]["region"], "asia-northeast-1");
  EXPECT_EQ(j["offers"][0]["price"], 10.32);
  EXPECT_TRUE(j["offers"][0]["spot_price"].is_null());
  EXPECT_EQ(j["offers"][0]["vcpus"], 124.0);
  EXPECT_EQ(j["offers"][17]["instance_type"], "a2-highgpu-8g");

  args.spot = true;
  CommandRun spot = Offers(args);
  auto s = nlohmann::json::parse(spot.out);
  EXPECT_EQ(s["offers"][0]["instance_type"], "Standard_ND96asr_v4");
  EXPECT_EQ(s["offers"][0]["region"], "eastus");
  EXPECT_EQ(s["offers"][0]["spot_price"], 2.99167);
  for (const auto& o : s["offers"]) EXPECT_FALSE(o["spot_price"].is_null());
}

TEST(OffersCli, FiltersByCloudRegionAndCpuOnly) {
  OffersCliArgs args;
  args.accelerator = "A100:8";
  args.clouds = {"aws"};
  args.region = "us-east-1";
  args.output = "json";
  auto j = nlohmann::json::parse(Offers(args).out);
  ASSERT_FALSE(j["offers"].empty());
  for (const auto& o : j["offers"]) {
    EXPECT_EQ(o["provider"], "aws");
    EXPECT_EQ(o["region"], "us-east-1");
  }
  EXPECT_EQ(j["offers"][0]["instance_type"], "p4d.24xlarge");
  EXPECT_EQ(j["offers"][0]["price"], 32.7726);

  OffersCliArgs cpu;
  cpu.output = "json";
  cpu.limit = 50;
  auto c = nlohmann::json::parse(Offers(cpu).out);
  EXPECT_EQ(c["offers"].size(), 50u);
  for (const auto& o : c["offers"]) EXPECT_EQ(o["accelerator"], "");
}

TEST(OffersCli, TableHasTheColumns) {
  OffersCliArgs args;
  args.accelerator = "A100:8";
  args.limit = 3;
  CommandRun run = Offers(args);
  ASSERT_EQ(run.code, 0);
  EXPECT_EQ(run.out.substr(0, run.out.find('\n')).find("PROVIDER"), 0u);
  EXPECT_NE(run.out.find("gpu_8x_a100"), std::string::npos);
  EXPECT_NE(run.out.find("10.3200"), std::string::npos);
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 4);
}

TEST(OffersCli, BadInputSaysWhat) {
  OffersCliArgs bad_count;
  bad_count.accelerator = "A100:zero";
  CommandRun a = Offers(bad_count);
  EXPECT_EQ(a.code, 2);
  EXPECT_NE(a.err.find("count after ':'"), std::string::npos) << a.err;
  OffersCliArgs bad_cloud;
  bad_cloud.clouds = {"awz"};
  CommandRun b = Offers(bad_cloud);
  EXPECT_EQ(b.code, 2);
  EXPECT_NE(b.err.find("no provider 'awz'"), std::string::npos) << b.err;
  OffersCliArgs bad_dir;
  bad_dir.catalogs = {"/nonexistent/catalog"};
  CommandRun c = Offers(bad_dir);
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.err.find("/nonexistent/catalog"), std::string::npos) << c.err;
  OffersCliArgs none;
  none.accelerator = "A100:3";
  CommandRun d = Offers(none);
  EXPECT_EQ(d.code, 0);
  EXPECT_TRUE(d.out.empty());
  EXPECT_NE(d.err.find("no offer matches A100:3"), std::string::npos) << d.err;
}

}  // namespace
}  // namespace skyrun::catalog
