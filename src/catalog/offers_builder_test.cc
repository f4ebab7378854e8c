#include "catalog/offers_builder.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace skyrun::catalog {
namespace {

constexpr const char* kGcpHeader =
    "InstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo,Region,AvailabilityZone,Price,"
    "SpotPrice\n";

std::vector<Offer> Build(const std::string& provider, const std::string& text) {
  auto rows = ParseVmsCsv(text, provider + ".csv");
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  if (!rows.ok()) return {};
  auto offers = BuildOffers(provider, *rows, provider + ".csv");
  EXPECT_TRUE(offers.ok()) << offers.status().ToString();
  return offers.ok() ? *offers : std::vector<Offer>{};
}

const Offer* Find(const std::vector<Offer>& offers, const std::string& type, const std::string& zone,
                  const std::string& gpu, int count) {
  for (const Offer& o : offers)
    if (o.instance_type == type && o.zone == zone && o.accelerator == gpu && o.accelerator_count == count)
      return &o;
  return nullptr;
}

// Rows copied from data/catalog/gcp.csv (lines 66 and 988: us-central1-a).
TEST(OffersBuilder, GcpA2OfferIsVmRowPlusGpuRowOfItsZone) {
  std::string text = std::string(kGcpHeader) +
                     "a2-highgpu-8g,96.0,680.0,,,,us-central1,us-central1-a,5.91582,2.36604\n"
                     "a2-highgpu-8g,96.0,680.0,,,,us-central1,us-central1-b,5.91582,2.36604\n"
                     ",,,A100,8,{'Gpus': [{'MemoryInfo': {'SizeInMiB': 40960}}]},us-central1,us-central1-a,"
                     "23.47126,9.1776\n"
                     ",,,A100,4,{'Gpus': [{'MemoryInfo': {'SizeInMiB': 40960}}]},us-central1,us-central1-b,"
                     "11.73563,4.5888\n";
  std::vector<Offer> offers = Build("gcp", text);
  // us-central1-b has no 8-GPU row: no a2-highgpu-8g offer there, and no bare a2 offer anywhere.
  ASSERT_EQ(offers.size(), 1u);
  const Offer& o = offers[0];
  EXPECT_EQ(o.instance_type, "a2-highgpu-8g");
  EXPECT_EQ(o.zone, "us-central1-a");
  EXPECT_EQ(o.accelerator, "A100");
  EXPECT_EQ(o.accelerator_count, 8);
  EXPECT_EQ(o.gpu_memory_mib, 40960);
  EXPECT_EQ(o.cpus.raw(), 96000);
  EXPECT_DOUBLE_EQ(o.price, 5.91582 + 23.47126);  // 29.38708
  ASSERT_TRUE(o.spot_price.has_value());
  EXPECT_DOUBLE_EQ(*o.spot_price, 2.36604 + 9.1776);  // 11.54364
}

TEST(OffersBuilder, GcpFamiliesGetTheirGpus) {
  std::string text = std::string(kGcpHeader) +
                     "a2-ultragpu-2g,24.0,340.0,,,,r,z,1.0,0.5\n"
                     "a3-highgpu-8g,208.0,1872.0,,,,r,z,10.0,2.0\n"
                     "g2-standard-24,24.0,96.0,,,,r,z,1.5,0.6\n"
                     "n2-standard-8,8.0,32.0,,,,r,z,0.38,0.1\n"
                     ",,,A100-80GB,2,,r,z,10.0,3.0\n"
                     ",,,H100,8,,r,z,80.0,\n"
                     ",,,L4,2,,r,z,1.2,0.4\n"
                     ",,,A100,2,,r,z,5.0,2.0\n";
  std::vector<Offer> offers = Build("gcp", text);
  EXPECT_EQ(offers.size(), 4u);
  const Offer* ultra = Find(offers, "a2-ultragpu-2g", "z", "A100-80GB", 2);
  ASSERT_NE(ultra, nullptr);
  EXPECT_DOUBLE_EQ(ultra->price, 11.0);
  EXPECT_EQ(ultra->gpu_memory_mib, 80 * 1024);  // no GpuInfo: the known size
  const Offer* a3 = Find(offers, "a3-highgpu-8g", "z", "H100", 8);
  ASSERT_NE(a3, nullptr);
  EXPECT_DOUBLE_EQ(a3->price, 90.0);
  EXPECT_FALSE(a3->spot_price.has_value());  // the GPU row lists no spot price
  const Offer* g2 = Find(offers, "g2-standard-24", "z", "L4", 2);
  ASSERT_NE(g2, nullptr);
  EXPECT_DOUBLE_EQ(g2->price, 2.7);
  EXPECT_NE(Find(offers, "n2-standard-8", "z", "", 0), nullptr);
}

TEST(OffersBuilder, GcpN1TakesAttachableGpus) {
  std::string text = std::string(kGcpHeader) +
                     "n1-standard-8,8.0,30.0,,,,r,z,0.38,0.08\n"
                     ",,,T4,1,,r,z,0.35,0.14\n"
                     ",,,T4,4,,r,z,1.40,0.56\n"
                     ",,,V100,8,,r,z,19.84,6.0\n"
                     ",,,L4,1,,r,z,0.7,0.3\n"
                     ",,,T4,1,,r,other,0.35,0.14\n";
  std::vector<Offer> offers = Build("gcp", text);
  // Bare, T4x1, T4x4, V100x8; L4 is not attachable to n1, and "other" is another zone.
  EXPECT_EQ(offers.size(), 4u);
  ASSERT_NE(Find(offers, "n1-standard-8", "z", "", 0), nullptr);
  const Offer* t4 = Find(offers, "n1-standard-8", "z", "T4", 4);
  ASSERT_NE(t4, nullptr);
  EXPECT_DOUBLE_EQ(t4->price, 1.78);
  EXPECT_DOUBLE_EQ(*t4->spot_price, 0.64);
  EXPECT_NE(Find(offers, "n1-standard-8", "z", "V100", 8), nullptr);
}

TEST(OffersBuilder, N1LimitsKeepLargeHostsFromFewGpus) {
  VmRow big;
  big.cpus = MilliCpu(32000);
  big.memory = MemoryMiB(120 * 1024);
  GcpGpuRule rule = GcpGpusFor("n1-standard-32", big);
  auto has = [&](const char* model, int count) {
    return std::any_of(rule.choices.begin(), rule.choices.end(),
                       [&](const GcpGpuChoice& c) { return c.accelerator == model && c.count == count; });
  };
  EXPECT_FALSE(has("V100", 1));  // 1 V100: at most 12 vCPUs
  EXPECT_FALSE(has("V100", 2));  // 24
  EXPECT_TRUE(has("V100", 4));
  EXPECT_TRUE(has("T4", 1));     // 48
  EXPECT_TRUE(has("P100", 2));   // 32 vCPUs, 208 GiB
  EXPECT_FALSE(has("P100", 1));  // 16
}

TEST(OffersBuilder, RowWithoutPriceIsNoOfferAndWithoutSpotHasNoSpot) {
  std::vector<Offer> offers = Build("azure",
                                    "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,"
                                    "Price,SpotPrice,Region,Generation\n"
                                    "Standard_NC8ads_A10_v4,,,8.0,100,,,,eastus,\"V1,V2\"\n"
                                    "Standard_NC12_Promo,K80,2,12.0,112,K80,0.36,,westus2,V1\n");
  ASSERT_EQ(offers.size(), 1u);
  EXPECT_EQ(offers[0].instance_type, "Standard_NC12_Promo");
  EXPECT_FALSE(offers[0].spot_price.has_value());
  EXPECT_EQ(offers[0].zone, "");
}

TEST(OffersBuilder, VmRowWithoutCpusIsAnError) {
  auto rows = ParseVmsCsv(std::string(kGcpHeader) + "n2-standard-8,,32.0,,,,r,z,0.38,0.1\n", "gcp.csv");
  ASSERT_TRUE(rows.ok());
  auto offers = BuildOffers("gcp", *rows, "gcp.csv");
  ASSERT_FALSE(offers.ok());
  EXPECT_NE(offers.status().message().find("gcp.csv:2: instance type 'n2-standard-8' has no vCPUs"),
            std::string::npos)
      << offers.status().message();
}

}  // namespace
}  // namespace skyrun::catalog
