#include "catalog/vms_csv.h"

#include <gtest/gtest.h>

namespace skyrun::catalog {
namespace {

constexpr const char* kAwsHeader =
    "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,"
    "AvailabilityZone\n";

TEST(VmsCsv, ReadsAnAwsRowWithItsGpuInfo) {
  std::string text =
      std::string(kAwsHeader) +
      "p4d.24xlarge,A100,8.0,96.0,1152.0,\"{'Gpus': [{'Name': 'A100', 'Manufacturer': 'NVIDIA', "
      "'Count': 8, 'MemoryInfo': {'SizeInMiB': 40960}}], 'TotalGpuMemoryInMiB': 327680}\","
      "32.7726,6.791500,us-east-1,use1-az1\n";
  auto rows = ParseVmsCsv(text, "aws.csv");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  const VmRow& r = (*rows)[0];
  EXPECT_EQ(r.instance_type, "p4d.24xlarge");
  EXPECT_EQ(r.accelerator, "A100");
  EXPECT_EQ(r.accelerator_count, 8);
  EXPECT_EQ(r.cpus->raw(), 96000);
  EXPECT_EQ(r.memory->raw(), 1152 * 1024);
  EXPECT_EQ(r.gpu_memory_mib, 40960);
  EXPECT_DOUBLE_EQ(*r.price, 32.7726);
  EXPECT_DOUBLE_EQ(*r.spot_price, 6.7915);
  EXPECT_EQ(r.region, "us-east-1");
  EXPECT_EQ(r.zone, "use1-az1");
}

TEST(VmsCsv, ColumnOrderDoesNotMatter) {
  // Lambda's order (Price before Region, GpuInfo after it), CRLF endings.
  auto lambda = ParseVmsCsv(
      "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,Region,GpuInfo,SpotPrice\r\n"
      "gpu_1x_a10,A10,1.0,30.0,200.0,0.75,us-east-1,\"{'Gpus': [{'MemoryInfo': {'SizeInMiB': "
      "24576}}]}\",\r\n",
      "lambda.csv");
  // GCP's order.
  auto gcp = ParseVmsCsv(
      "InstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo,Region,AvailabilityZone,Price,"
      "SpotPrice\n"
      "gpu_1x_a10,30.0,200.0,A10,1,,us-east-1,,0.75,\n",
      "gcp.csv");
  ASSERT_TRUE(lambda.ok()) << lambda.status().ToString();
  ASSERT_TRUE(gcp.ok()) << gcp.status().ToString();
  for (const auto* rows : {&*lambda, &*gcp}) {
    const VmRow& r = (*rows)[0];
    EXPECT_EQ(r.instance_type, "gpu_1x_a10");
    EXPECT_EQ(r.accelerator_count, 1);
    EXPECT_EQ(r.cpus->raw(), 30000);
    EXPECT_DOUBLE_EQ(*r.price, 0.75);
    EXPECT_FALSE(r.spot_price.has_value());
    EXPECT_EQ(r.region, "us-east-1");
    EXPECT_EQ(r.zone, "");
    EXPECT_EQ(r.gpu_memory_mib, 24576);  // GpuInfo, or the known A10 size where GpuInfo is empty
  }
}

TEST(VmsCsv, AzureGenerationColumnIsIgnoredAndEmptyPriceIsAbsent) {
  auto rows = ParseVmsCsv(
      "InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,GpuInfo,Price,SpotPrice,Region,"
      "Generation\n"
      "Standard_NC8ads_A10_v4,,,8.0,100,,,,eastus,\"V1,V2\"\n"
      "Standard_NC6s_v3,V100,1,6.0,112,V100,3.06,0.3978,eastus,\"V1,V2\"\n",
      "azure.csv");
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_FALSE((*rows)[0].price.has_value());
  EXPECT_EQ((*rows)[1].gpu_memory_mib, 16 * 1024);  // from the known-model table
}

TEST(VmsCsv, BadValuesNameLineAndColumn) {
  std::string head = kAwsHeader;
  auto bad_price = ParseVmsCsv(head + "m6i.large,,,2.0,8.0,,0.1x,,us-east-1,use1-az1\n", "aws.csv");
  ASSERT_FALSE(bad_price.ok());
  EXPECT_NE(bad_price.status().message().find("aws.csv:2:22: Price '0.1x' is not a number"),
            std::string::npos)
      << bad_price.status().message();
  auto negative = ParseVmsCsv(head + "m6i.large,,,-2,8.0,,0.1,,us-east-1,use1-az1\n", "aws.csv");
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("aws.csv:2:13: vCPUs -2 is out of range"), std::string::npos)
      << negative.status().message();
  auto fraction = ParseVmsCsv(head + "x,T4,1.5,2,8,,0.1,,us-east-1,z\n", "aws.csv");
  ASSERT_FALSE(fraction.ok());
  EXPECT_NE(fraction.status().message().find("aws.csv:2:6: AcceleratorCount 1.5 is not a whole number"),
            std::string::npos)
      << fraction.status().message();
  auto nan = ParseVmsCsv(head + "x,,,nan,8,,0.1,,us-east-1,z\n", "aws.csv");
  ASSERT_FALSE(nan.ok());
  auto no_region = ParseVmsCsv(head + "x,,,2,8,,0.1,,,z\n", "aws.csv");
  ASSERT_FALSE(no_region.ok());
  EXPECT_NE(no_region.status().message().find("aws.csv:2:15: Region is empty"), std::string::npos)
      << no_region.status().message();
  auto missing = ParseVmsCsv("InstanceType,Price\nx,1\n", "aws.csv");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("aws.csv:1: the header has no 'AcceleratorName' column"),
            std::string::npos)
      << missing.status().message();
}

TEST(VmsCsv, GpuMemoryFromInfo) {
  EXPECT_EQ(GpuMemoryFromInfo("{'Gpus': [{'MemoryInfo': {'SizeInMiB': 40960}}]}"), 40960);
  EXPECT_EQ(GpuMemoryFromInfo("K80"), 0);
  EXPECT_EQ(GpuMemoryFromInfo("'SizeInMiB': -5"), 0);
  EXPECT_EQ(GpuMemoryFromInfo("'SizeInMiB':"), 0);
  EXPECT_EQ(GpuMemoryFromInfo("'SizeInMiB': 99999999999999999999999"), 0);
}

}  // namespace
}  // namespace skyrun::catalog
