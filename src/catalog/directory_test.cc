#include "catalog/directory.h"

#include <gtest/gtest.h>

namespace skyrun::catalog {
namespace {

TEST(Directory, ParsesAnUpdate) {
  auto e = ParseDirectoryUpdate(
      R"({"zone": "us-east-1a", "instance_type": "p4d.24xlarge", "availability": 3, "load": 0.4,
          "price": 32.77, "spot_price": 9.8, "preemption_rate": 0.05})",
      "aws", "us-east-1");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->provider, "aws");
  EXPECT_EQ(e->zone, "us-east-1a");
  EXPECT_EQ(*e->availability, 3);
  EXPECT_DOUBLE_EQ(*e->preemption_rate, 0.05);
  auto round = DirectoryEntryFromJson(DirectoryEntryToJson(*e));
  ASSERT_TRUE(round.ok()) << round.status().ToString();
  EXPECT_EQ(DirectoryEntryToJson(*round), DirectoryEntryToJson(*e));
}

TEST(Directory, RefusesBadBodies) {
  struct Case {
    const char* body;
    const char* says;
  };
  const Case cases[] = {
      {"", "not valid JSON"},
      {"[1]", "JSON object"},
      {"{}", "at least one of"},
      {R"({"price": "cheap"})", "'price' must be a number"},
      {R"({"price": -1})", "'price' must be in [0, 1e+06]"},
      {R"({"price": 1e300})", "'price' must be in"},
      {R"({"load": 1.5})", "'load' must be in [0, 1]"},
      {R"({"preemption_rate": 2})", "'preemption_rate' must be in [0, 1]"},
      {R"({"availability": 1.5})", "'availability' must be a whole number"},
      {R"({"availability": 18446744073709551615})", "'availability' must be a whole number"},
      {R"({"availability": -1})", "'availability' must be a whole number"},
      {R"({"zone": "a b", "price": 1})", "'zone' must be"},
      {R"({"zone": 5, "price": 1})", "'zone' must be a string"},
      {R"({"prise": 1})", "unknown field 'prise'"},
  };
  for (const Case& c : cases) {
    auto e = ParseDirectoryUpdate(c.body, "aws", "us-east-1");
    ASSERT_FALSE(e.ok()) << c.body;
    EXPECT_NE(e.status().message().find(c.says), std::string::npos) << c.body << ": " << e.status().message();
  }
  std::string huge = R"({"price": 1, "zone": ")" + std::string(200, 'a') + "\"}";
  EXPECT_FALSE(ParseDirectoryUpdate(huge, "aws", "us-east-1").ok());
  EXPECT_FALSE(ParseDirectoryUpdate(std::string(70000, ' '), "aws", "us-east-1").ok());
  EXPECT_FALSE(ParseDirectoryUpdate(R"({"price": 1})", "AWS", "us-east-1").ok());
  EXPECT_FALSE(ParseDirectoryUpdate(R"({"price": 1})", "aws", "../etc").ok());
}

DirectoryEntry Entry(const std::string& zone, const std::string& type, double rate, Micros at) {
  DirectoryEntry e;
  e.provider = "aws";
  e.region = "us-east-1";
  e.zone = zone;
  e.instance_type = type;
  e.preemption_rate = rate;
  e.updated_at = at;
  return e;
}

TEST(Directory, FindsTheMostSpecificLatestEntry) {
  Directory d;
  ASSERT_TRUE(d.Put(Entry("", "", 0.10, 1)).ok());
  ASSERT_TRUE(d.Put(Entry("use1-az1", "", 0.20, 2)).ok());
  ASSERT_TRUE(d.Put(Entry("", "p4d.24xlarge", 0.30, 3)).ok());
  EXPECT_EQ(*d.Find("aws", "us-east-1", "use1-az2", "m6i.large")->preemption_rate, 0.10);
  EXPECT_EQ(*d.Find("aws", "us-east-1", "use1-az1", "m6i.large")->preemption_rate, 0.20);
  EXPECT_EQ(*d.Find("aws", "us-east-1", "use1-az1", "p4d.24xlarge")->preemption_rate, 0.30);
  ASSERT_TRUE(d.Put(Entry("use1-az1", "p4d.24xlarge", 0.40, 4)).ok());
  EXPECT_EQ(*d.Find("aws", "us-east-1", "use1-az1", "p4d.24xlarge")->preemption_rate, 0.40);
  // A later report replaces the earlier one of its key.
  ASSERT_TRUE(d.Put(Entry("", "", 0.05, 5)).ok());
  auto latest = d.Find("aws", "us-east-1", "use1-az9", "x");
  EXPECT_EQ(*latest->preemption_rate, 0.05);
  EXPECT_EQ(latest->updated_at, 5);
  EXPECT_FALSE(d.Find("gcp", "us-east-1", "", "").has_value());
  EXPECT_EQ(d.size(), 4u);
}

TEST(Directory, IsBounded) {
  Directory d(2);
  ASSERT_TRUE(d.Put(Entry("a", "", 0.1, 1)).ok());
  ASSERT_TRUE(d.Put(Entry("b", "", 0.1, 1)).ok());
  EXPECT_EQ(d.CheckRoom(Entry("c", "", 0.1, 1)).code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(d.CheckRoom(Entry("a", "", 0.1, 1)).ok());
  Status full = d.Put(Entry("c", "", 0.1, 1));
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(d.Put(Entry("a", "", 0.2, 2)).ok());  // an existing key still updates
}

}  // namespace
}  // namespace skyrun::catalog
