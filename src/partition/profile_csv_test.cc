// CSV profiles: the formats, and errors that say where and what to do.
#include "partition/profile_csv.h"

#include <gtest/gtest.h>

namespace skyrun::partition {
namespace {

TEST(PartitionCsvTest, ModelWithDefaults) {
  auto m = ParseModelCsv(
      "# a comment\n"
      "name,fwd_flops,bwd_flops,param_bytes,act_bytes\n"
      "embed, 100, 200, 1000, 50\n"
      "\n"
      "\"block, 1\",3.5e3,7000,0,10\n",
      "layers.csv");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->units.size(), 2u);
  EXPECT_EQ(m->units[0].name, "embed");
  EXPECT_EQ(m->units[0].mem_bytes, 4 * 1000 + 50);
  EXPECT_EQ(m->units[0].out_bytes, 50);
  EXPECT_EQ(m->units[1].name, "block, 1");
  EXPECT_EQ(m->units[1].fwd_flops, 3500);
}

TEST(PartitionCsvTest, ModelOptionalColumns) {
  auto m = ParseModelCsv(
      "name,fwd_flops,bwd_flops,param_bytes,act_bytes,out_bytes,mem_bytes\nx,1,2,3,4,5,6\n", "m");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->units[0].out_bytes, 5);
  EXPECT_EQ(m->units[0].mem_bytes, 6);
}

TEST(PartitionCsvTest, ModelErrorsSayWhere) {
  auto bad =
      ParseModelCsv("name,fwd_flops,bwd_flops,param_bytes,act_bytes\nx,1,2,3,4\ny,1,abc,3,4\n", "l.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("l.csv:3: column bwd_flops: 'abc'"), std::string::npos)
      << bad.status().message();
  auto typo = ParseModelCsv("name,fwd_flop,bwd_flops,param_bytes,act_bytes\n", "l.csv");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("did you mean 'fwd_flops'"), std::string::npos);
  auto fields = ParseModelCsv("name,fwd_flops,bwd_flops,param_bytes,act_bytes\nx,1,2\n", "l.csv");
  ASSERT_FALSE(fields.ok());
  EXPECT_NE(fields.status().message().find("l.csv:2: 3 fields"), std::string::npos);
  auto negative = ParseModelCsv("name,fwd_flops,bwd_flops,param_bytes,act_bytes\nx,-1,2,3,4\n", "l.csv");
  EXPECT_FALSE(negative.ok());
  EXPECT_FALSE(ParseModelCsv("name,fwd_flops,bwd_flops,param_bytes,act_bytes\n", "l.csv").ok());
}

TEST(PartitionCsvTest, DevicesBySlowness) {
  auto d = ParseDevicesCsv("name,slowness,memory_mib\na,1,16384\nb,2.5,16GiB\n", "devices.csv");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->devices.size(), 2u);
  EXPECT_EQ(d->devices[0].slowness_milli, 1000);
  EXPECT_EQ(d->devices[1].slowness_milli, 2500);
  EXPECT_EQ(d->devices[1].memory_mib, 16384);
  EXPECT_EQ(d->ref_flops_per_second, kDefaultRefFlopsPerSecond);
  EXPECT_FALSE(d->HasLinks());
}

TEST(PartitionCsvTest, DevicesByBenchmarkSeconds) {
  auto d = ParseDevicesCsv("name,bench_seconds,memory_mib\nfast,0.5,100\nslow,1.75,100\n", "devices.csv");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->devices[0].slowness_milli, 1000);
  EXPECT_EQ(d->devices[1].slowness_milli, 3500);
  EXPECT_EQ(d->ref_flops_per_second, kDeviceBenchFlops * 2);
  auto overridden = ParseDevicesCsv("name,bench_seconds,memory_mib\nfast,0.5,100\n", "d", 123);
  ASSERT_TRUE(overridden.ok());
  EXPECT_EQ(overridden->ref_flops_per_second, 123);
}

TEST(PartitionCsvTest, DevicesErrors) {
  EXPECT_FALSE(ParseDevicesCsv("name,memory_mib\na,1\n", "d").ok());  // no speed column
  EXPECT_FALSE(ParseDevicesCsv("name,slowness,bench_seconds,memory_mib\na,1,1,1\n", "d").ok());
  auto dup = ParseDevicesCsv("name,slowness,memory_mib\na,1,1\na,2,1\n", "d");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("appears twice"), std::string::npos);
  auto zero = ParseDevicesCsv("name,slowness,memory_mib\na,0,1\n", "d.csv");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("d.csv:2: column slowness"), std::string::npos);
  EXPECT_FALSE(ParseDevicesCsv("name,slowness,memory_mib\na,1,lots\n", "d").ok());
}

TEST(PartitionCsvTest, LinksPerDeviceAndExplicit) {
  auto d = ParseDevicesCsv(
      "name,slowness,memory_mib,bandwidth_gbps,latency_us\na,1,10,100,5\nb,1,10,25,10\nc,1,10,10,1\n", "d");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(d->HasLinks());
  auto ab = d->LinkBetween(0, 1);
  ASSERT_TRUE(ab.has_value());
  EXPECT_EQ(ab->bandwidth_bps, 25'000'000'000);
  EXPECT_EQ(ab->latency_ns, 15'000);
  Status s = ParseLinksCsv("from,to,bandwidth_gbps,latency_us\na,c,400,2\n", "links.csv", &*d);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(d->LinkBetween(0, 2)->bandwidth_bps, 400'000'000'000);
  EXPECT_EQ(d->LinkBetween(2, 0)->bandwidth_bps, 400'000'000'000);  // symmetric unless given both ways
  Status typo = ParseLinksCsv("from,to,bandwidth_gbps\na,bb,1\n", "links.csv", &*d);
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.message().find("did you mean 'b'"), std::string::npos) << typo.message();
}

TEST(PartitionCsvTest, Item7_BytesThatAreNotUtf8AreALocatedError) {
  // A unit name with such a byte made the API answer 500 (its JSON could not be written).
  auto m = ParseModelCsv("name,fwd_flops,bwd_flops,param_bytes,act_bytes\nemb\xff,1,1,1,1\n", "layers.csv");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().message(), "layers.csv:2:4: not valid UTF-8 (byte 0xff); save the file as UTF-8");
  auto d = ParseDevicesCsv("# caf\xe9\nname,tflops,memory_gb\n", "devices.csv", std::nullopt);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "devices.csv:1:6: not valid UTF-8 (byte 0xe9); save the file as UTF-8");
}

}  // namespace
}  // namespace skyrun::partition
