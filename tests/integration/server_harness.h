// Test harness for integration tests: runs the real `skyrun` binary as a
// server process on loopback with its own state directory, talks to it over
// HTTP, and runs CLI commands. Servers are stopped (and their tasks' process
// groups killed) when the harness is destroyed.
#pragma once

#include <sys/types.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace skyrun::testing {

struct HttpResult {
  int status = 0;  // 0 = transport error
  std::string body;
  nlohmann::json Json() const;
};

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

class ServerHarness {
 public:
  // config_yaml: the server config file's content ("" = defaults).
  explicit ServerHarness(std::string config_yaml = "");
  ~ServerHarness();

  void Start();  // starts and waits for /healthz (fails the test otherwise)
  void Stop();   // SIGTERM, wait
  void Kill9();  // SIGKILL, as a crash
  bool running() const { return pid_ > 0; }

  const std::string& state_dir() const { return state_dir_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string admin_token() const;

  HttpResult Get(const std::string& path, const std::string& token) const;
  HttpResult Post(const std::string& path, const nlohmann::json& body, const std::string& token) const;

  HttpResult Put(const std::string& path, const std::string& bytes, const std::string& token) const;
  HttpResult Head(const std::string& path, const std::string& token) const;

  // Submits a spec's text as the admin tenant; returns the job id (or -1).
  // `file` is only the name shown in messages; a spec that names files needs
  // SubmitFrom.
  int64_t Submit(const std::string& spec_yaml, const std::string& file, const std::string& token = "") const;
  // Submits as a client would from `spec_dir`: packs what the spec names
  // there, uploads it (PUT /v1/uploads/<sha256>) and posts the job with it.
  HttpResult SubmitFrom(const std::string& spec_yaml, const std::string& spec_dir,
                        const std::string& token = "") const;
  nlohmann::json Job(int64_t id) const;
  // Waits until the job is in one of `states` or the timeout passes.
  std::string WaitForState(int64_t id, const std::vector<std::string>& states, double timeout_s) const;

  // Runs `skyrun ARGS...` against this server with its admin token (from
  // `cwd` when given).
  CommandResult Cli(const std::vector<std::string>& args, double timeout_s = 120,
                    const std::string& cwd = "") const;

  static std::string SkyrunBinary();
  static std::string SourceDir();

 private:
  std::string config_yaml_;
  test_support::TempDir state_tmp_{"skyrun-it"};
  std::string state_dir_ = state_tmp_.path();
  int port_ = 0;
  pid_t pid_ = -1;
  std::string log_path_;
};

// Runs a command with a timeout, capturing stdout+stderr.
CommandResult RunCommand(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                         double timeout_s);

}  // namespace skyrun::testing
