#include "catalog/egress.h"

#include <gtest/gtest.h>

#include <cmath>

namespace skyrun::catalog {
namespace {

// The tiers of data/catalog/egress_internet.csv, written out here so that
// the expected figures below are computed by hand from them.
const std::vector<EgressTier> kAws = {
    {1, 0}, {10240, 0.09}, {51200, 0.085}, {153600, 0.07}, {std::nullopt, 0.05}};
const std::vector<EgressTier> kGcp = {{1024, 0.12}, {10240, 0.11}, {std::nullopt, 0.08}};
const std::vector<EgressTier> kAzure = {
    {1, 0}, {10240, 0.0875}, {51200, 0.083}, {153600, 0.07}, {std::nullopt, 0.05}};

TEST(Egress, AwsMarginalTiers) {
  EXPECT_NEAR(TieredCost(kAws, 100), 99 * 0.09, 1e-9);                        // 8.91
  EXPECT_NEAR(TieredCost(kAws, 1024), 1023 * 0.09, 1e-9);                     // 92.07
  EXPECT_NEAR(TieredCost(kAws, 10240), 10239 * 0.09, 1e-9);                   // 921.51 (SkyPilot: 0)
  EXPECT_NEAR(TieredCost(kAws, 15000), 921.51 + 4760 * 0.085, 1e-9);          // 1326.11 (SkyPilot: 832.91)
  EXPECT_NEAR(TieredCost(kAws, 60000), 921.51 + 3481.6 + 8800 * 0.07, 1e-9);  // 5019.11
  EXPECT_NEAR(TieredCost(kAws, 153600), 921.51 + 3481.6 + 7168, 1e-9);        // 11571.11 (SkyPilot: 23295.91)
  EXPECT_NEAR(TieredCost(kAws, 153700), 11571.11 + 100 * 0.05, 1e-9);         // no jump down past 150 TiB
}

TEST(Egress, GcpMarginalTiers) {
  EXPECT_NEAR(TieredCost(kGcp, 100), 12.0, 1e-9);
  EXPECT_NEAR(TieredCost(kGcp, 1024), 122.88, 1e-9);
  EXPECT_NEAR(TieredCost(kGcp, 10240), 122.88 + 9216 * 0.11, 1e-9);      // 1136.64
  EXPECT_NEAR(TieredCost(kGcp, 15000), 1136.64 + 4760 * 0.08, 1e-9);     // 1517.44
  EXPECT_NEAR(TieredCost(kGcp, 60000), 1136.64 + 49760 * 0.08, 1e-9);    // 5117.44
  EXPECT_NEAR(TieredCost(kGcp, 153600), 1136.64 + 143360 * 0.08, 1e-9);  // 12605.44
}

TEST(Egress, AzureMarginalTiers) {
  EXPECT_NEAR(TieredCost(kAzure, 100), 8.6625, 1e-9);
  EXPECT_NEAR(TieredCost(kAzure, 1024), 89.5125, 1e-9);
  EXPECT_NEAR(TieredCost(kAzure, 10240), 895.9125, 1e-9);
  EXPECT_NEAR(TieredCost(kAzure, 15000), 895.9125 + 395.08, 1e-9);
  EXPECT_NEAR(TieredCost(kAzure, 60000), 895.9125 + 3399.68 + 616, 1e-9);
  EXPECT_NEAR(TieredCost(kAzure, 153600), 895.9125 + 3399.68 + 7168, 1e-9);
}

TEST(Egress, CostIsMonotonicAcrossTierBounds) {
  double last = 0;
  for (double gb = 0; gb < 200000; gb += 97.5) {
    double cost = TieredCost(kAws, gb);
    EXPECT_GE(cost, last) << gb;
    last = cost;
  }
}

TEST(Egress, DegenerateVolumes) {
  EXPECT_EQ(TieredCost(kAws, 0), 0);
  EXPECT_EQ(TieredCost(kAws, -5), 0);
  EXPECT_EQ(TieredCost(kAws, std::nan("")), 0);
  EXPECT_EQ(TieredCost(kAws, INFINITY), 0);
  EXPECT_EQ(TieredCost({}, 100), 0);
  // Every tier bounded: GB beyond the last bound at the last rate.
  EXPECT_NEAR(TieredCost({{10, 1.0}}, 15), 15.0, 1e-9);
}

CsvDocument Doc(const std::string& text) {
  auto doc = ParseCsv(text, "e.csv");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return *doc;
}

TEST(Egress, TableLoadsAndRefusesBadRows) {
  EgressTable table;
  ASSERT_TRUE(table.AddInternet(Doc("provider,up_to_gb,usd_per_gb\nx,10,0.1\nx,,0.05\n")).ok());
  EXPECT_NEAR(*table.InternetCost("x", 20), 1.0 + 0.5, 1e-9);
  EXPECT_FALSE(table.InternetCost("y", 20).has_value());

  auto after_open = table.AddInternet(Doc("provider,up_to_gb,usd_per_gb\nx,,0.05\nx,10,0.1\n"));
  EXPECT_FALSE(after_open.ok());
  EXPECT_NE(after_open.message().find("e.csv:3:1:"), std::string::npos) << after_open.message();
  auto decreasing = table.AddInternet(Doc("provider,up_to_gb,usd_per_gb\nx,10,0.1\nx,5,0.1\n"));
  EXPECT_FALSE(decreasing.ok());
  EXPECT_NE(decreasing.message().find("e.csv:3:3:"), std::string::npos) << decreasing.message();
  auto bad_rate = table.AddInternet(Doc("provider,up_to_gb,usd_per_gb\nx,10,abc\n"));
  EXPECT_NE(bad_rate.message().find("e.csv:2:6: usd_per_gb 'abc'"), std::string::npos) << bad_rate.message();
  // A failed load changes nothing.
  EXPECT_NEAR(*table.InternetCost("x", 20), 1.5, 1e-9);

  ASSERT_TRUE(table
                  .AddInterRegion(Doc("provider,from_continent,to_continent,usd_per_gb\n"
                                      "x,*,same,0.01\nx,OC,*,0.08\nx,*,*,0.05\n"))
                  .ok());
  EXPECT_EQ(*table.InterRegionRate("x", "EU", "EU"), 0.01);
  EXPECT_EQ(*table.InterRegionRate("x", "OC", "NA"), 0.08);
  EXPECT_EQ(*table.InterRegionRate("x", "NA", "EU"), 0.05);
  EXPECT_EQ(*table.InterRegionRate("x", "", ""), 0.05);  // unknown regions: only "*" rows
  auto bad_continent =
      table.AddInterRegion(Doc("provider,from_continent,to_continent,usd_per_gb\nx,Europe,*,0.01\n"));
  EXPECT_NE(bad_continent.message().find("e.csv:2:3: from_continent 'Europe'"), std::string::npos)
      << bad_continent.message();
}

}  // namespace
}  // namespace skyrun::catalog
