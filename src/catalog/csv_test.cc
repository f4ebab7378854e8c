#include "catalog/csv.h"

#include <gtest/gtest.h>

namespace skyrun::catalog {
namespace {

TEST(CatalogCsv, QuotedFieldsKeepCommasAndDoubledQuotes) {
  auto doc = ParseCsv("a,b,c\n1,\"{'x': 1, 'y': 2}\",\"say \"\"hi\"\"\"\n", "t.csv");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ASSERT_EQ(doc->records.size(), 1u);
  EXPECT_EQ(doc->records[0].fields[1].text, "{'x': 1, 'y': 2}");
  EXPECT_EQ(doc->records[0].fields[2].text, "say \"hi\"");
  EXPECT_EQ(doc->records[0].fields[2].column, 22);
}

TEST(CatalogCsv, CrlfLineEndingsAndTrailingEmptyField) {
  auto doc = ParseCsv("a,b\r\n1,\r\n\r\n2,x\r\n", "t.csv");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ASSERT_EQ(doc->records.size(), 2u);
  EXPECT_EQ(doc->records[0].fields[1].text, "");
  EXPECT_EQ(doc->records[1].fields[1].text, "x");
  EXPECT_EQ(doc->records[1].line, 4);
}

TEST(CatalogCsv, LastLineWithoutNewline) {
  auto doc = ParseCsv("a,b\n1,2", "t.csv");
  ASSERT_TRUE(doc.ok());
  EXPECT_EQ(doc->records[0].fields[1].text, "2");
}

TEST(CatalogCsv, UnclosedQuoteNamesTheOpeningQuote) {
  auto doc = ParseCsv("a,b\n1,\"oops\n", "t.csv");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("t.csv:2:3: a quoted field is not closed"), std::string::npos)
      << doc.status().message();
}

TEST(CatalogCsv, QuoteInsideUnquotedField) {
  auto doc = ParseCsv("a,b\n1,ab\"c\n", "t.csv");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("t.csv:2:5:"), std::string::npos) << doc.status().message();
}

TEST(CatalogCsv, TextAfterClosingQuote) {
  auto doc = ParseCsv("a,b\n\"x\"y,2\n", "t.csv");
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("t.csv:2:4: unexpected text after a closing quote"),
            std::string::npos)
      << doc.status().message();
}

TEST(CatalogCsv, WrongFieldCountsSayWhere) {
  auto extra = ParseCsv("a,b\n1,2,3\n", "t.csv");
  ASSERT_FALSE(extra.ok());
  EXPECT_NE(extra.status().message().find("t.csv:2:5: 3 fields where the header has 2"), std::string::npos)
      << extra.status().message();
  auto missing = ParseCsv("a,b,c\n1,22\n", "t.csv");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("t.csv:2:5: 2 fields where the header has 3 (missing 'c')"),
            std::string::npos)
      << missing.status().message();
}

TEST(CatalogCsv, BadHeaders) {
  EXPECT_FALSE(ParseCsv("", "t.csv").ok());
  EXPECT_FALSE(ParseCsv("\n\r\n", "t.csv").ok());
  auto dup = ParseCsv("a,b,a\n", "t.csv");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.status().message().find("t.csv:1:5: column 'a' appears twice"), std::string::npos);
  auto empty = ParseCsv("a,,b\n", "t.csv");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("t.csv:1:3: empty column name"), std::string::npos);
}

TEST(CatalogCsv, ByteOrderMarkIsNotPartOfTheFirstName) {
  auto doc = ParseCsv("\xEF\xBB\xBFInstanceType,b\nx,y\n", "t.csv");
  ASSERT_TRUE(doc.ok());
  EXPECT_TRUE(doc->Column("InstanceType").has_value());
}

TEST(CatalogCsv, QuotedFieldMaySpanLines) {
  auto doc = ParseCsv("a,b\n\"1\n2\",x\n3,y\n", "t.csv");
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  ASSERT_EQ(doc->records.size(), 2u);
  EXPECT_EQ(doc->records[0].fields[0].text, "1\n2");
  EXPECT_EQ(doc->records[1].line, 4);
}

}  // namespace
}  // namespace skyrun::catalog
