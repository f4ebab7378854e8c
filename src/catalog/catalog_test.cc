#include "catalog/catalog.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "support/golden.h"
#include "support/temp_dir.h"

namespace skyrun {
namespace {

std::string BuiltinDir() {
  return (test_support::SourceDir() / "data" / "catalog").string();
}

const Catalog& Builtin() {
  static const Catalog* catalog = [] {
    auto loaded = Catalog::LoadDir(BuiltinDir());
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    return new Catalog(loaded.ok() ? std::move(*loaded) : Catalog());
  }();
  return *catalog;
}

std::vector<Offer> Matching(const Catalog& catalog, const std::string& gpu, int count) {
  std::vector<Offer> out;
  for (const Offer& o : catalog.offers())
    if (o.accelerator == gpu && o.accelerator_count == count) out.push_back(o);
  std::stable_sort(out.begin(), out.end(), [](const Offer& a, const Offer& b) { return a.price < b.price; });
  return out;
}

TEST(Catalog, LoadsEveryProviderOfTheBuiltinCatalog) {
  const Catalog& c = Builtin();
  for (const char* provider : {"aws", "gcp", "azure", "lambda"}) {
    EXPECT_TRUE(std::any_of(c.offers().begin(), c.offers().end(), [&](const Offer& o) {
      return o.provider == provider;
    })) << provider;
  }
  // Every instance type and zone, not only the cheapest: aws.csv has 1,615
  // rows, all priced, so 1,615 AWS offers.
  EXPECT_EQ(
      std::count_if(c.offers().begin(), c.offers().end(), [](const Offer& o) { return o.provider == "aws"; }),
      1615);
}

// By hand from the CSV rows: the cheapest A100 x 8 offers are lambda
// gpu_8x_a100 at $10.32 in each of its 17 regions (lambda.csv, no spot);
// then GCP a2-highgpu-8g in europe-west4-a and -b: VM 6.51251 (gcp.csv
// lines 62-63) + 8 A100 12.90919 (lines 984-985) = $19.4217, spot 2.54592 +
// 9.3528 = $11.89872; then a2-highgpu-8g in asia-southeast1-b/-c: 7.29758 +
// 13.64686 = $20.94444. Azure Standard_ND96asr_v4 ($27.197) and AWS
// p4d.24xlarge (from $32.7726) come later.
TEST(Catalog, CheapestA100x8ComputedByHand) {
  std::vector<Offer> a100 = Matching(Builtin(), "A100", 8);
  ASSERT_GE(a100.size(), 21u);
  for (int i = 0; i < 17; ++i) {
    EXPECT_EQ(a100[i].provider, "lambda");
    EXPECT_EQ(a100[i].instance_type, "gpu_8x_a100");
    EXPECT_DOUBLE_EQ(a100[i].price, 10.32);
    EXPECT_FALSE(a100[i].spot_price.has_value());
    EXPECT_EQ(a100[i].gpu_memory_mib, 40960);
    EXPECT_EQ(a100[i].cpus.raw(), 124000);
  }
  for (int i = 17; i < 19; ++i) {
    EXPECT_EQ(a100[i].provider, "gcp");
    EXPECT_EQ(a100[i].instance_type, "a2-highgpu-8g");
    EXPECT_EQ(a100[i].region, "europe-west4");
    EXPECT_DOUBLE_EQ(a100[i].price, 6.51251 + 12.90919);
    ASSERT_TRUE(a100[i].spot_price.has_value());
    EXPECT_DOUBLE_EQ(*a100[i].spot_price, 2.54592 + 9.3528);
  }
  EXPECT_NE(a100[17].zone, a100[18].zone);
  EXPECT_EQ(a100[19].region, "asia-southeast1");
  EXPECT_DOUBLE_EQ(a100[19].price, 7.29758 + 13.64686);
  auto azure = std::find_if(a100.begin(), a100.end(), [](const Offer& o) { return o.provider == "azure"; });
  auto aws = std::find_if(a100.begin(), a100.end(), [](const Offer& o) { return o.provider == "aws"; });
  ASSERT_NE(azure, a100.end());
  ASSERT_NE(aws, a100.end());
  EXPECT_DOUBLE_EQ(azure->price, 27.197);
  EXPECT_DOUBLE_EQ(aws->price, 32.7726);
  EXPECT_LT(azure, aws);
}

TEST(Catalog, GcpA2OfferInTheBuiltinCatalogIsVmPlusGpu) {
  const Catalog& c = Builtin();
  auto it = std::find_if(c.offers().begin(), c.offers().end(), [](const Offer& o) {
    return o.instance_type == "a2-highgpu-8g" && o.zone == "us-central1-a";
  });
  ASSERT_NE(it, c.offers().end());
  EXPECT_DOUBLE_EQ(it->price, 29.38708);
  EXPECT_DOUBLE_EQ(*it->spot_price, 2.36604 + 9.1776);
}

TEST(Catalog, EveryOfferedRegionHasACountryAndContinent) {
  const Catalog& c = Builtin();
  for (const Offer& o : c.offers()) {
    const RegionInfo* info = c.FindRegion(o.provider, o.region);
    ASSERT_NE(info, nullptr) << o.provider << "/" << o.region;
  }
  const RegionInfo* frankfurt = c.FindRegion("aws", "eu-central-1");
  ASSERT_NE(frankfurt, nullptr);
  EXPECT_EQ(frankfurt->country, "DE");
  EXPECT_EQ(frankfurt->continent, "EU");
  EXPECT_EQ(c.FindRegion("gcp", "australia-southeast1")->continent, "OC");
  EXPECT_EQ(c.FindRegion("aws", "nowhere-1"), nullptr);
  EXPECT_EQ(c.FindRegion("gcp", "eu-central-1"), nullptr);
}

TEST(Catalog, EgressCostBetweenPlaces) {
  const Catalog& c = Builtin();
  Location use1{"aws", "us-east-1"};
  EXPECT_EQ(c.EgressCost(use1, use1, 500), 0);
  // Between AWS regions from North America: $0.02/GB.
  EXPECT_NEAR(c.EgressCost(use1, {"aws", "eu-west-1"}, 500), 10.0, 1e-9);
  // From Sydney: $0.098/GB.
  EXPECT_NEAR(c.EgressCost({"aws", "ap-southeast-2"}, use1, 100), 9.8, 1e-9);
  // GCP within a continent $0.01, across $0.05, from Oceania $0.08.
  EXPECT_NEAR(c.EgressCost({"gcp", "us-central1"}, {"gcp", "us-east1"}, 500), 5.0, 1e-9);
  EXPECT_NEAR(c.EgressCost({"gcp", "us-central1"}, {"gcp", "europe-west4"}, 500), 25.0, 1e-9);
  EXPECT_NEAR(c.EgressCost({"gcp", "australia-southeast1"}, {"gcp", "us-east1"}, 500), 40.0, 1e-9);
  // To another provider: the source's internet tiers.
  EXPECT_NEAR(c.EgressCost({"gcp", "us-central1"}, use1, 500), 60.0, 1e-9);
  EXPECT_NEAR(c.EgressCost(use1, {"gcp", "us-central1"}, 15000), 1326.11, 1e-9);
  EXPECT_EQ(c.EgressCost({"lambda", "us-east-1"}, use1, 500), 0);
  // An unknown provider is not guessed at.
  EXPECT_EQ(c.EgressCost({"mystery", "x"}, use1, 500), 0);
}

TEST(Catalog, ClusterOffersAndTheirEgress) {
  Catalog c = Builtin();
  Offer local;
  local.provider = "local";
  local.region = "local";
  local.accelerator = "A100";
  local.accelerator_count = 8;
  local.price = 4.0;
  c.SetClusterOffers("local", {local}, 0.0);
  c.SetClusterOffers("slurm/hpc1", {}, 0.01);
  EXPECT_EQ(Matching(c, "A100", 8)[0].provider, "local");
  EXPECT_EQ(c.EgressCost({"local", ""}, {"aws", "us-east-1"}, 500), 0);
  EXPECT_NEAR(c.EgressCost({"slurm/hpc1", ""}, {"aws", "us-east-1"}, 500), 5.0, 1e-9);
  EXPECT_EQ(c.EgressCost({"slurm/hpc1", ""}, {"slurm/hpc1", ""}, 500), 0);
  // Into a cluster: the source cloud's internet tiers.
  EXPECT_NEAR(c.EgressCost({"aws", "us-east-1"}, {"local", ""}, 100), 8.91, 1e-9);
  // Replacing: the second call's offers replace the first's.
  c.SetClusterOffers("local", {}, 0.0);
  EXPECT_NE(Matching(c, "A100", 8)[0].provider, "local");
}

TEST(Catalog, LaterDirectoryReplacesAProvider) {
  test_support::TempDir dir("catalog-test");
  dir.Write("aws.csv",
            "Region,InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,SpotPrice\n"
            "us-east-1,tiny.box,,,1,2,0.01,\n");
  dir.Write("regions.csv", "provider,region,country,continent\naws,us-east-1,CA,NA\n");
  auto c = Catalog::LoadDirs({BuiltinDir(), dir.path()});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(std::count_if(c->offers().begin(), c->offers().end(),
                          [](const Offer& o) { return o.provider == "aws"; }),
            1);
  EXPECT_EQ(c->FindRegion("aws", "us-east-1")->country, "CA");
  EXPECT_NE(c->FindRegion("aws", "eu-central-1"), nullptr);  // the other regions stay
  EXPECT_GT(std::count_if(c->offers().begin(), c->offers().end(),
                          [](const Offer& o) { return o.provider == "gcp"; }),
            0);
}

TEST(Catalog, ErrorsNameTheFileLineAndColumn) {
  test_support::TempDir dir("catalog-test");
  std::string bad =
      dir.Write("bad/aws.csv",
                "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,SpotPrice,Region\n"
                "m6i.large,,,2,8,0.1,,us-east-1\n"
                "m6i.large,,,2,eight,0.1,,us-east-1\n");
  auto c = Catalog::LoadDir(dir.Sub("bad"));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("aws.csv:3:15: MemoryGiB 'eight' is not a number"), std::string::npos)
      << c.status().message();

  dir.Write("regions/regions.csv", "provider,region,country,continent\naws,us-east-1,USA,NA\n");
  auto r = Catalog::LoadDir(dir.Sub("regions"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("regions.csv:2:15: country 'USA'"), std::string::npos)
      << r.status().message();

  dir.Write("name/AWS Prices.csv", "x\n");
  EXPECT_FALSE(Catalog::LoadDir(dir.Sub("name")).ok());
  auto missing = Catalog::LoadDir(dir.Sub("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace skyrun
