// Logger: the server's diagnostic log, with levels (debug, info, warn, error),
// spdlog behind it. The controller writes one info line per job state change
// and a warning or an error wherever an operation failed and was not returned
// to a caller, naming what failed and for which job.
//
// A Logger is handed to whoever logs (ControllerOptions::logger); the server
// makes one that writes to stderr (its log). Tests make their own and read
// what was written through StartCapture()/Captured(), so no test depends on a
// process-wide logger.
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace skyrun {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// "debug", "info", "warn" (or "warning"), "error"; nullopt for anything else.
std::optional<LogLevel> ParseLogLevel(std::string_view name);
const char* LogLevelName(LogLevel level);

class Logger {
 public:
  enum class Output { kStderr, kNone };
  // Lines at `level` and above go to `output` (and to the capture, if started).
  explicit Logger(std::string name, Output output = Output::kStderr, LogLevel level = LogLevel::kInfo);
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  void SetLevel(LogLevel level);
  LogLevel Level() const;
  bool Enabled(LogLevel level) const { return level >= Level(); }

  void Log(LogLevel level, std::string_view message);
  void Debug(std::string_view message) { Log(LogLevel::kDebug, message); }
  void Info(std::string_view message) { Log(LogLevel::kInfo, message); }
  void Warn(std::string_view message) { Log(LogLevel::kWarn, message); }
  void Error(std::string_view message) { Log(LogLevel::kError, message); }

  // Keeps every line logged from now on in memory, as "LEVEL message"
  // ("warning job 7: ..."), for tests and diagnostics to read back.
  void StartCapture();
  std::vector<std::string> Captured() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A logger that writes nowhere: for callers that were handed none.
Logger* NullLogger();

}  // namespace skyrun
