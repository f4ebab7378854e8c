#include "drivers/kubernetes/kube_quantity.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

TEST(KubeQuantityTest, CpuInMilli) {
  EXPECT_EQ(*ParseKubeQuantityMilli("4"), 4000);
  EXPECT_EQ(*ParseKubeQuantityMilli("3920m"), 3920);
  EXPECT_EQ(*ParseKubeQuantityMilli("0.5"), 500);
  EXPECT_EQ(*ParseKubeQuantityMilli("1.25"), 1250);
  EXPECT_EQ(*ParseKubeQuantityMilli("1500u"), 1);  // 1.5 milli, rounded down
  EXPECT_EQ(*ParseKubeQuantityMilli("2k"), 2000000);
  EXPECT_EQ(*ParseKubeQuantityMilli("1e3"), 1000000);
  EXPECT_EQ(*ParseKubeQuantityMilli("+7"), 7000);
}

TEST(KubeQuantityTest, MemoryInMiB) {
  EXPECT_EQ(*ParseKubeQuantityMiB("16Gi"), 16384);
  EXPECT_EQ(*ParseKubeQuantityMiB("512Mi"), 512);
  EXPECT_EQ(*ParseKubeQuantityMiB("8174332Ki"), 7982);  // 7982.746... rounded down
  EXPECT_EQ(*ParseKubeQuantityMiB("1G"), 953);          // 10^9 bytes
  EXPECT_EQ(*ParseKubeQuantityMiB("1Ti"), 1024 * 1024);
  EXPECT_EQ(*ParseKubeQuantityMiB("16000000000"), 15258);  // plain bytes
  EXPECT_EQ(*ParseKubeQuantityMiB("1.5Gi"), 1536);
  EXPECT_EQ(*ParseKubeQuantityMiB("128974848"), 123);
  EXPECT_EQ(*ParseKubeQuantityMiB("129e6"), 123);
}

TEST(KubeQuantityTest, Counts) {
  EXPECT_EQ(*ParseKubeQuantityCount("8"), 8);
  EXPECT_EQ(*ParseKubeQuantityCount("0"), 0);
}

TEST(KubeQuantityTest, RejectsWhatIsNotAQuantity) {
  for (const char* bad :
       {"", "abc", "-1", "4 cores", "1Qi", "1.2.3", "1e", "99999999999999999999999999999Ei"}) {
    EXPECT_FALSE(ParseKubeQuantityMilli(bad).ok()) << bad;
  }
  auto st = ParseKubeQuantityMiB("12Zi").status();
  EXPECT_NE(st.message().find("12Zi"), std::string::npos) << "the message names the input";
}

TEST(KubeQuantityTest, Formats) {
  EXPECT_EQ(FormatKubeCpu(8000), "8");
  EXPECT_EQ(FormatKubeCpu(2500), "2500m");
  EXPECT_EQ(FormatKubeCpu(0), "0");
  EXPECT_EQ(FormatKubeMemoryMiB(16384), "16384Mi");
  // What the renderer writes, the inventory reads back.
  EXPECT_EQ(*ParseKubeQuantityMilli(FormatKubeCpu(2500)), 2500);
  EXPECT_EQ(*ParseKubeQuantityMiB(FormatKubeMemoryMiB(777)), 777);
}

TEST(KubeQuantityTest, Rfc3339) {
  EXPECT_EQ(*ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseRfc3339("1970-01-02T00:00:01Z"), (86400 + 1) * kMicrosPerSecond);
  // 2026-01-10T12:00:05Z = 20463 days after the epoch.
  Micros t = *ParseRfc3339("2026-01-10T12:00:05Z");
  EXPECT_EQ(t, (20463LL * 86400 + 12 * 3600 + 5) * kMicrosPerSecond);
  EXPECT_EQ(*ParseRfc3339("2026-01-10T13:00:05+01:00"), t);
  EXPECT_EQ(*ParseRfc3339("2026-01-10T12:00:05.25Z"), t + 250000);
  EXPECT_EQ(*ParseRfc3339("2024-02-29T00:00:00Z") - *ParseRfc3339("2024-02-28T00:00:00Z"),
            86400 * kMicrosPerSecond);
  for (const char* bad : {"", "2026-01-10", "2026-01-10T12:00:05", "2026-13-10T12:00:05Z",
                          "2026-01-10T12:00:05Zjunk", "2026-01-10T12:00:05."}) {
    EXPECT_FALSE(ParseRfc3339(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace skyrun
