#include "common/log.h"

#include <gtest/gtest.h>

namespace skyrun {
namespace {

TEST(LogTest, LevelsFilterAndTheCaptureReadsBackWhatWasWritten) {
  Logger log("test", Logger::Output::kNone, LogLevel::kInfo);
  log.Debug("not shown");
  log.StartCapture();
  log.Debug("hidden at info");
  log.Info("job 1: QUEUED -> SCHEDULED");
  log.Warn("store write failed");
  log.SetLevel(LogLevel::kDebug);
  log.Debug("now shown");
  log.SetLevel(LogLevel::kError);
  log.Warn("hidden at error");
  log.Error("broken");
  EXPECT_EQ(log.Captured(),
            (std::vector<std::string>{"info job 1: QUEUED -> SCHEDULED", "warning store write failed",
                                      "debug now shown", "error broken"}));
}

TEST(LogTest, ParsesLevelNames) {
  EXPECT_EQ(ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("warn"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("error"), LogLevel::kError);
  EXPECT_FALSE(ParseLogLevel("loud"));
  EXPECT_STREQ(LogLevelName(LogLevel::kWarn), "warn");
}

TEST(LogTest, AMessageWithBracesIsWrittenAsIs) {
  Logger log("test", Logger::Output::kNone);
  log.StartCapture();
  log.Info("spec {a: 1} {}");
  EXPECT_EQ(log.Captured(), (std::vector<std::string>{"info spec {a: 1} {}"}));
}

}  // namespace
}  // namespace skyrun
