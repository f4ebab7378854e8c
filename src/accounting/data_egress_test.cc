// Egress billed for the bytes a task really moved, against a catalog the test
// writes, each figure computed by hand from its rows.
#include "accounting/data_egress.h"

#include <gtest/gtest.h>

#include <memory>

#include "support/temp_dir.h"

namespace skyrun {
namespace {

class MovedDataChargesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // aws: the first GB free, then $0.09/GB up to 10 GB, then $0.05/GB.
    dir_.Write("egress_internet.csv",
               "provider,up_to_gb,usd_per_gb\naws,1,0\naws,10,0.09\naws,,0.05\ngcp,,0.12\n");
    dir_.Write("egress_inter_region.csv", "provider,from_continent,to_continent,usd_per_gb\naws,NA,*,0.02\n");
    dir_.Write("regions.csv",
               "provider,region,country,continent\naws,us-east-1,US,NA\naws,eu-west-1,IE,EU\n"
               "gcp,us-central1,US,NA\n");
    Result<Catalog> loaded = Catalog::LoadDir(dir_.path());
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    catalog_ = std::make_unique<Catalog>(std::move(loaded).value());
  }

  test_support::TempDir dir_{"skyrun-egress-test"};
  std::unique_ptr<Catalog> catalog_;
};

TEST_F(MovedDataChargesTest, InputsFromACloudStoreToTheLocalPoolAreBilledAtItsInternetTiers) {
  DataMoved moved;
  moved.in_bytes = 12'000'000'000;
  moved.in_by_location = {{"aws/us-east-1", 12'000'000'000}};
  moved.in_cached_bytes = 7'000'000'000;  // crossed no network: not billed
  std::vector<EgressCharge> charges = MovedDataCharges(moved, Location{"local", ""}, "local", *catalog_);
  ASSERT_EQ(charges.size(), 1u);
  EXPECT_DOUBLE_EQ(charges[0].gb, 12.0);
  // 1 GB x $0 + 9 GB x $0.09 + 2 GB x $0.05 = $0.91
  EXPECT_NEAR(charges[0].usd, 0.91, 1e-9);
  EXPECT_EQ(charges[0].source, "aws/us-east-1");
  EXPECT_EQ(charges[0].destination, "local");
}

TEST_F(MovedDataChargesTest, BetweenRegionsOfOneProviderTheInterRegionRateApplies) {
  DataMoved moved;
  moved.in_by_location = {{"aws/us-east-1", 3'000'000'000}};
  std::vector<EgressCharge> charges =
      MovedDataCharges(moved, Location{"aws", "eu-west-1"}, "aws/eu-west-1", *catalog_);
  ASSERT_EQ(charges.size(), 1u);
  EXPECT_NEAR(charges[0].usd, 3 * 0.02, 1e-9);  // NA -> anywhere: $0.02/GB
}

TEST_F(MovedDataChargesTest, OutputsLeaveThePlacementForTheStore) {
  DataMoved moved;
  moved.out_bytes = 2'000'000'000;
  moved.out_by_location = {{"aws/us-east-1", 2'000'000'000}};
  std::vector<EgressCharge> charges =
      MovedDataCharges(moved, Location{"gcp", "us-central1"}, "gcp/us-central1", *catalog_);
  ASSERT_EQ(charges.size(), 1u);
  EXPECT_NEAR(charges[0].usd, 2 * 0.12, 1e-9);  // gcp's rate out, not aws's
  EXPECT_EQ(charges[0].source, "gcp/us-central1");
  EXPECT_EQ(charges[0].destination, "aws/us-east-1");
}

TEST_F(MovedDataChargesTest, WithinOneRegionTheBytesAreListedAtNoCostAndCachedOnlyMovesNothing) {
  DataMoved moved;
  moved.in_by_location = {{"aws/us-east-1", 500'000'000}};
  std::vector<EgressCharge> charges =
      MovedDataCharges(moved, Location{"aws", "us-east-1"}, "aws/us-east-1", *catalog_);
  ASSERT_EQ(charges.size(), 1u);
  EXPECT_DOUBLE_EQ(charges[0].gb, 0.5);
  EXPECT_EQ(charges[0].usd, 0.0);

  DataMoved cached;
  cached.in_cached_bytes = 10'000'000'000;
  EXPECT_TRUE(MovedDataCharges(cached, Location{"local", ""}, "local", *catalog_).empty());
}

}  // namespace
}  // namespace skyrun
