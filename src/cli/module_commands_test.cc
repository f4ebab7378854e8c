// The registrations of the commands whose work is done by library modules:
// the arguments reach the module's Run* function and its exit status reaches
// *exit_code. (The Run* functions themselves are tested beside their modules.)
#include "cli/module_commands.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "support/golden.h"
#include "support/temp_dir.h"

namespace skyrun {
namespace {

using test_support::SourceDir;
using test_support::TempDir;

// CLI11 takes the arguments reversed when given a vector.
void Parse(CLI::App& app, std::vector<std::string> argv) {
  std::vector<std::string> reversed(argv.rbegin(), argv.rend());
  app.parse(reversed);
}

std::string SpecPath(const std::string& kind, const std::string& name) {
  return (SourceDir() / "tests" / "specs" / kind / name).string();
}

TEST(ModuleCommandsTest, PartitionWithABuiltinModel) {
  TempDir dir("skyrun-cli-partition");
  const std::string devices =
      dir.Write("devices.csv", "name,slowness,memory_mib\ng0,1,40000\ng1,2,40000\ng2,3,40000\ng3,7,40000\n");
  CLI::App app;
  int exit_code = -1;
  RegisterPartitionCommands(app, &exit_code);
  ::testing::internal::CaptureStdout();
  Parse(app, {"partition", "--model", "bert-large", "--layers", "40", "--devices", devices, "--algo",
              "even,exact", "--summary"});
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(exit_code, 0);
  EXPECT_NE(out.find("123 units on 4 devices"), std::string::npos) << out;
  EXPECT_NE(out.find("\nexact "), std::string::npos) << out;
  EXPECT_EQ(out.find("\nheuristic "), std::string::npos) << out;
}

TEST(ModuleCommandsTest, PlanPassesItsOptionsAndSetsTheExitCode) {
  TempDir dir("skyrun-cli-plan");
  const std::string job = dir.Write("job.yaml", "resources: {accelerators: A100:8}\nrun: x\n");
  const std::string catalog = (SourceDir() / "data" / "catalog").string();
  CLI::App app;
  int exit_code = -1;
  RegisterPlanCommands(app, &exit_code);
  ::testing::internal::CaptureStdout();
  Parse(app, {"plan", job, "--catalog", catalog, "-o", "json", "--hours", "2", "--max-plans", "1"});
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(exit_code, 0);
  EXPECT_NE(out.find("\"est_cost\": 20.64"), std::string::npos) << out;  // lambda's $10.32 x 2 h
  EXPECT_EQ(out.find("\"rank\": 2"), std::string::npos) << out;
  CLI::App bad;
  RegisterPlanCommands(bad, &exit_code);
  EXPECT_THROW(Parse(bad, {"plan", job, "--hours", "0"}), CLI::ValidationError);
}

TEST(ModuleCommandsTest, ValidateSetsTheExitCodeAndChecksItsOptions) {
  CLI::App app;
  int exit_code = -1;
  RegisterSpecCommands(app, &exit_code);
  ::testing::internal::CaptureStderr();
  Parse(app, {"validate", SpecPath("bad", "service.yaml")});
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(exit_code, 2);
  EXPECT_NE(err.find("mode: service is on the roadmap and not available yet"), std::string::npos) << err;

  CLI::App app2;
  RegisterSpecCommands(app2, &exit_code);
  EXPECT_THROW(Parse(app2, {"validate", SpecPath("good", "minimal.yaml"), "-o", "yaml"}),
               CLI::ValidationError);  // -o takes text or json only
}

TEST(ModuleCommandsTest, ExprEvalAndCheck) {
  CLI::App app;
  int exit_code = -1;
  RegisterExprCommands(app, &exit_code);
  ::testing::internal::CaptureStdout();
  Parse(app, {"expr", "eval", "regexp(\"a100\", \"NVIDIA A100\", \"i\")"});
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(exit_code, 0);
  EXPECT_EQ(out, "true\n");

  CLI::App app2;
  RegisterExprCommands(app2, &exit_code);
  ::testing::internal::CaptureStderr();
  Parse(app2, {"expr", "check", "regexp(\"(a)\\\\1\", GpuModel)", "--as", "requirements"});
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(exit_code, 2);
  EXPECT_NE(err.find("back-reference"), std::string::npos) << err;
}

TEST(ModuleCommandsTest, SuperviseIsHiddenAndNeedsATaskDir) {
  CLI::App app;
  int exit_code = -1;
  RegisterSupervisorCommand(app, &exit_code);
  RegisterServerCommands(app, &exit_code);
  CLI::App* supervise = app.get_subcommand("supervise");
  ASSERT_NE(supervise, nullptr);
  EXPECT_EQ(supervise->get_group(), "");  // not listed in --help
  EXPECT_THROW(Parse(app, {"supervise"}), CLI::RequiredError);
  EXPECT_EQ(exit_code, -1);
  CLI::App* server = app.get_subcommand("server");
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->get_option("--state-dir"), nullptr);
}

TEST(ModuleCommandsTest, OffersReadsTheGivenCatalog) {
  CLI::App app;
  int exit_code = -1;
  RegisterOffersCommand(app, &exit_code);
  const std::string catalog = (SourceDir() / "data" / "catalog").string();
  ::testing::internal::CaptureStdout();
  // The positional after --cloud and --catalog is the accelerator, not a second value of theirs.
  Parse(app, {"offers", "--cloud", "aws,gcp", "--region", "us-central1", "--spot", "-o", "json", "--catalog",
              catalog, "A100:8", "--limit", "1"});
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(exit_code, 0);
  // gcp.csv lines 66 and 988: a2-highgpu-8g spot 2.36604 + 8 A100 spot 9.1776.
  EXPECT_NE(out.find("\"a2-highgpu-8g\""), std::string::npos) << out;
  EXPECT_NE(out.find("11.54364"), std::string::npos) << out;
}

}  // namespace
}  // namespace skyrun
