#include "common/log.h"

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/dist_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <mutex>

namespace skyrun {

namespace {

spdlog::level::level_enum ToSpd(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return spdlog::level::debug;
    case LogLevel::kInfo: return spdlog::level::info;
    case LogLevel::kWarn: return spdlog::level::warn;
    case LogLevel::kError: return spdlog::level::err;
  }
  return spdlog::level::info;
}

// Keeps formatted lines in memory (Logger::StartCapture).
class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> Lines() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    std::string line(buf.data(), buf.size());
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    lines_.push_back(std::move(line));
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

}  // namespace

std::optional<LogLevel> ParseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn" || name == "warning") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return std::nullopt;
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

struct Logger::Impl {
  std::shared_ptr<spdlog::sinks::dist_sink_mt> sinks = std::make_shared<spdlog::sinks::dist_sink_mt>();
  std::shared_ptr<spdlog::logger> logger;
  std::atomic<LogLevel> level{LogLevel::kInfo};
  std::mutex capture_mu;
  std::shared_ptr<CaptureSink> capture;
};

Logger::Logger(std::string name, Output output, LogLevel level) : impl_(std::make_unique<Impl>()) {
  if (output == Output::kStderr) {
    auto err = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    // The server's log: UTC timestamps, as the API reports times.
    err->set_formatter(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%eZ %n %l %v",
                                                                   spdlog::pattern_time_type::utc));
    impl_->sinks->add_sink(err);
  }
  // Not registered with spdlog's global registry: each Logger stands alone.
  impl_->logger = std::make_shared<spdlog::logger>(std::move(name), impl_->sinks);
  impl_->logger->flush_on(spdlog::level::warn);
  SetLevel(level);
}

Logger::~Logger() = default;

void Logger::SetLevel(LogLevel level) {
  impl_->level = level;
  impl_->logger->set_level(ToSpd(level));
}

LogLevel Logger::Level() const {
  return impl_->level;
}

void Logger::Log(LogLevel level, std::string_view message) {
  if (!Enabled(level)) return;
  impl_->logger->log(ToSpd(level), "{}", message);
}

void Logger::StartCapture() {
  std::lock_guard<std::mutex> lock(impl_->capture_mu);
  if (impl_->capture) return;
  impl_->capture = std::make_shared<CaptureSink>();
  impl_->capture->set_formatter(std::make_unique<spdlog::pattern_formatter>("%l %v"));
  impl_->sinks->add_sink(impl_->capture);
}

std::vector<std::string> Logger::Captured() const {
  std::lock_guard<std::mutex> lock(impl_->capture_mu);
  return impl_->capture ? impl_->capture->Lines() : std::vector<std::string>{};
}

Logger* NullLogger() {
  static Logger* const kNull = new Logger("null", Logger::Output::kNone, LogLevel::kError);
  return kNull;
}

}  // namespace skyrun
