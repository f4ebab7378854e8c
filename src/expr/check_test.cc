#include "expr/check.h"

#include <gtest/gtest.h>

namespace skyrun::expr {
namespace {

std::string Problems(Status s) {
  return s.ok() ? "" : s.message();
}

TEST(CheckTest, GoodExpressionsPass) {
  EXPECT_TRUE(CheckRequirements("GpuMemoryMB >= 40000 && member(Country, {\"US\",\"DE\"})").ok());
  EXPECT_TRUE(CheckRequirements("").ok());
  EXPECT_TRUE(CheckRequirements("  \n").ok());
  EXPECT_TRUE(CheckRequirements("regexp(\"A100|H100\", GpuModel, \"i\") && !Spot").ok());
  EXPECT_TRUE(CheckRequirements("Rack == 3 && Owner == \"x\"").ok());  // free-form attributes: anything goes
  EXPECT_TRUE(CheckRequirements("ifThenElse(Spot, SpotPrice, HourlyPrice) < MY.MaxHourlyCost").ok());
  EXPECT_TRUE(CheckRequirements("UNDEFINED || Gpus > 0").ok());
  EXPECT_TRUE(CheckRank("-HourlyPrice").ok());
  EXPECT_TRUE(CheckRank("Gpus * 10 + (NVLink ? 5 : 0)").ok());
  EXPECT_TRUE(CheckPolicy("TARGET.JobClass == \"training\" && !member(TARGET.Tenant, {\"rival\"})").ok());
  EXPECT_TRUE(CheckPolicy("size(intersect(MY.RunningTenants, {\"rival\"})) == 0").ok());
}

TEST(CheckTest, RequirementsThatCanNeverBeBooleanAreRefused) {
  EXPECT_EQ(Problems(CheckRequirements("Cpus + 1")),
            "requirements: requirements must be a boolean condition, but this is an integer at 1:1\n"
            "  Cpus + 1\n"
            "  ^");
  EXPECT_NE(Problems(CheckRequirements("GpuModel")).find("but this is a string"), std::string::npos);
  EXPECT_NE(Problems(CheckRequirements("UNDEFINED")).find("always UNDEFINED never match"), std::string::npos);
  EXPECT_NE(Problems(CheckRank("GpuModel")).find("rank must be a number"), std::string::npos);
  EXPECT_NE(Problems(CheckRank("Gpus > 2")).find("rank must be a number"), std::string::npos);
  EXPECT_NE(Problems(CheckPolicy("TARGET.Queue")).find("a node policy must be a boolean"), std::string::npos);
}

TEST(CheckTest, TypeErrorsPointAtTheOperand) {
  EXPECT_EQ(
      Problems(CheckRequirements("Gpus > 0 && \"GPU\" + 1 > 2")),
      "requirements: arithmetic '+' needs numbers (use strcat() to join strings), but \"GPU\" is a string "
      "at 1:13\n"
      "  Gpus > 0 && \"GPU\" + 1 > 2\n"
      "              ^");
  EXPECT_NE(
      Problems(CheckRequirements("GpuModel > 5"))
          .find("'>' compares GpuModel (a string) with 5 (an integer); that is ERROR on every ad at 1:10"),
      std::string::npos);
  EXPECT_NE(Problems(CheckRequirements("Cpus && true")).find("'&&' needs booleans, but Cpus is an integer"),
            std::string::npos);
  EXPECT_NE(Problems(CheckRequirements("member(Country, \"US\")")).find("member() needs a list"),
            std::string::npos);
  EXPECT_NE(Problems(CheckRequirements("Cpus / 0 > 1")).find("division by zero at 1:6"), std::string::npos);
  EXPECT_NE(Problems(CheckRequirements("Labels == {\"a\"}")).find("cannot compare lists"), std::string::npos);
  EXPECT_NE(Problems(CheckRequirements("-Country == 1")).find("'-' needs a number"), std::string::npos);
  EXPECT_NE(Problems(CheckRequirements("substr(Country, \"1\") == \"S\"")).find("an integer offset"),
            std::string::npos);
  EXPECT_NE(Problems(CheckRequirements("HourlyPrice % 2 == 1")).find("'%' needs integers"),
            std::string::npos);
  EXPECT_TRUE(CheckRequirements("Cpus % 2 == 0").ok());
  // Functions that convert their arguments as ClassAds does accept any scalar.
  EXPECT_TRUE(CheckRequirements("toLower(Cpus) == \"8\" && floor(\"3.5\") == 3").ok());
  EXPECT_TRUE(CheckPolicy("time() - 7200 < relTime(\"3h\") + Cpus").ok());
  // MY. in requirements is the job's side: MY.Queue is a string there.
  EXPECT_NE(Problems(CheckRequirements("MY.Queue > 3")).find("MY.Queue (a string)"), std::string::npos);
}

TEST(CheckTest, ConstantRegexpsAreCompiledAtSubmission) {
  EXPECT_EQ(
      Problems(CheckRequirements("regexp(\"A100|(H100\", GpuModel)")),
      "requirements: invalid regular expression: missing ')' for the '(' at offset 5 of the pattern at 1:8\n"
      "  regexp(\"A100|(H100\", GpuModel)\n"
      "         ^");
  EXPECT_NE(Problems(CheckRequirements("regexp(\"a\", GpuModel, \"z\")")).find("unknown regexp option 'z'"),
            std::string::npos);
}

TEST(CheckTest, EveryProblemIsListed) {
  std::string p = Problems(CheckRequirements("\"a\" + 1 > 0 && GpuModel < 3 && Cpus / 0 > 1"));
  EXPECT_NE(p.find("arithmetic '+'"), std::string::npos);
  EXPECT_NE(p.find("'<' compares GpuModel"), std::string::npos);
  EXPECT_NE(p.find("division by zero"), std::string::npos);
}

TEST(CheckTest, SyntaxErrorsPassThroughWithTheirCaret) {
  EXPECT_EQ(Problems(CheckRequirements("Cpus >= (8")),
            "requirements: expected ')', found the end of the expression (to close the '(' at 1:9) at 1:11\n"
            "  Cpus >= (8\n"
            "            ^");
}

TEST(CheckTest, LikelyTyposOfPublishedNamesAreWarnings) {
  auto r = CheckText("Contry == \"US\" && Rack == 3", ExprRole::kRequirements);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->ok());
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("'Contry' is not a published node attribute; did you mean 'Country'?"),
            std::string::npos);
}

}  // namespace
}  // namespace skyrun::expr
