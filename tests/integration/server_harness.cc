#include "server_harness.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/net.h"
#include "spec/spec_parser.h"
#include "support/golden.h"
#include "uploads/pack.h"

namespace skyrun::testing {

nlohmann::json HttpResult::Json() const {
  auto j = nlohmann::json::parse(body, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

std::string ServerHarness::SkyrunBinary() {
  const char* b = std::getenv("SKYRUN_BINARY");
  return b ? b : SKYRUN_DEFAULT_BINARY;
}

std::string ServerHarness::SourceDir() {
  return test_support::SourceDir().string();
}

ServerHarness::ServerHarness(std::string config_yaml) : config_yaml_(std::move(config_yaml)) {
  auto port = PickFreeTcpPort();
  port_ = port.ok() ? *port : 18787;
}

ServerHarness::~ServerHarness() {
  if (pid_ > 0) Stop();
  // Stop any supervisor or task still running under this state dir: tests
  // must not leak processes. Supervisors name their task dir in argv; tasks
  // run with their cwd inside it.
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::error_code ec;
    std::string cwd = std::filesystem::read_symlink(entry.path() / "cwd", ec).string();
    std::string cmdline;
    std::ifstream(entry.path() / "cmdline") >> cmdline;
    if ((!ec && cwd.rfind(state_dir_, 0) == 0) || cmdline.find(state_dir_) != std::string::npos) {
      pid_t pid = static_cast<pid_t>(std::stol(name));
      if (pid != ::getpid()) ::kill(pid, SIGKILL);
    }
  }
  // state_tmp_ removes the directory (or keeps it under SKYRUN_KEEP_TEST_STATE).
}

void ServerHarness::Start() {
  std::vector<std::string> args = {SkyrunBinary(), "server",   "--state-dir",
                                   state_dir_,     "--listen", "127.0.0.1:" + std::to_string(port_)};
  if (!config_yaml_.empty()) {
    std::string cfg = state_dir_ + "/server.yaml";
    std::ofstream(cfg) << config_yaml_;
    args.push_back("--config");
    args.push_back(cfg);
  }
  log_path_ = state_dir_ + "/server.log";
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    httplib::Client cli(url());
    cli.set_connection_timeout(0, 200000);
    if (auto r = cli.Get("/healthz"); r && r->status == 200) return;
    int st;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream in(log_path_);
      std::stringstream ss;
      ss << in.rdbuf();
      FAIL() << "server exited at start:\n" << ss.str();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL() << "server did not answer /healthz within 10 s";
}

void ServerHarness::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    int st;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Kill9();
}

void ServerHarness::Kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int st;
  ::waitpid(pid_, &st, 0);
  pid_ = -1;
}

std::string ServerHarness::admin_token() const {
  std::ifstream in(state_dir_ + "/admin.token");
  std::string t;
  std::getline(in, t);
  return t;
}

HttpResult ServerHarness::Get(const std::string& path, const std::string& token) const {
  httplib::Client cli(url());
  cli.set_read_timeout(30, 0);
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  auto r = cli.Get(path.c_str(), h);
  if (!r) return {};
  return {r->status, r->body};
}

HttpResult ServerHarness::Post(const std::string& path, const nlohmann::json& body,
                               const std::string& token) const {
  httplib::Client cli(url());
  cli.set_read_timeout(30, 0);
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  auto r = cli.Post(path.c_str(), h, body.dump(), "application/json");
  if (!r) return {};
  return {r->status, r->body};
}

int64_t ServerHarness::Submit(const std::string& spec_yaml, const std::string& file,
                              const std::string& token) const {
  auto r = Post("/v1/jobs", {{"spec", spec_yaml}, {"file", file}}, token.empty() ? admin_token() : token);
  if (r.status != 201) {
    ADD_FAILURE() << "submit failed: HTTP " << r.status << " " << r.body;
    return -1;
  }
  return r.Json()["id"].get<int64_t>();
}

HttpResult ServerHarness::Put(const std::string& path, const std::string& bytes,
                              const std::string& token) const {
  httplib::Client cli(url());
  cli.set_read_timeout(60, 0);
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  auto r = cli.Put(path.c_str(), h, bytes, "application/octet-stream");
  if (!r) return {};
  return {r->status, r->body};
}

HttpResult ServerHarness::Head(const std::string& path, const std::string& token) const {
  httplib::Client cli(url());
  httplib::Headers h;
  if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
  auto r = cli.Head(path.c_str(), h);
  if (!r) return {};
  return {r->status, r->body};
}

HttpResult ServerHarness::SubmitFrom(const std::string& spec_yaml, const std::string& spec_dir,
                                     const std::string& token) const {
  const std::string who = token.empty() ? admin_token() : token;
  SpecParseResult parsed = ParseJobSpecs(spec_yaml, "job.yaml");
  if (!parsed.ok() || parsed.specs.size() != 1) {
    ADD_FAILURE() << "the test's spec does not parse";
    return {};
  }
  auto packed = uploads::PackSpecInputs(parsed.specs[0], spec_dir);
  if (!packed.ok()) return {400, packed.status().message()};  // what the CLI would refuse
  nlohmann::json body = {{"spec", spec_yaml}, {"file", "job.yaml"}};
  if (!packed->archive.empty()) {
    HttpResult put = Put("/v1/uploads/" + packed->sha256, packed->archive, who);
    if (put.status != 200 && put.status != 201) return put;
    body["upload"] = packed->sha256;
  }
  return Post("/v1/jobs", body, who);
}

nlohmann::json ServerHarness::Job(int64_t id) const {
  return Get("/v1/jobs/" + std::to_string(id), admin_token()).Json();
}

std::string ServerHarness::WaitForState(int64_t id, const std::vector<std::string>& states,
                                        double timeout_s) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  std::string state;
  while (std::chrono::steady_clock::now() < deadline) {
    auto j = Job(id);
    if (j.contains("state")) {
      state = j["state"].get<std::string>();
      for (const auto& s : states)
        if (s == state) return state;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return state;
}

CommandResult ServerHarness::Cli(const std::vector<std::string>& args, double timeout_s,
                                 const std::string& cwd) const {
  std::vector<std::string> argv = {SkyrunBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!cwd.empty()) {
    std::string line = "cd \"$0\" && exec \"$@\"";
    argv.insert(argv.begin(), {"/bin/sh", "-c", line, cwd});
  }
  return RunCommand(argv, {{"SKYRUN_SERVER", url()}, {"SKYRUN_TOKEN", admin_token()}}, timeout_s);
}

CommandResult RunCommand(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                         double timeout_s) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  CommandResult result;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n > 0) {
      result.output.append(buf, static_cast<size_t>(n));
      continue;
    }
    int st;
    pid_t w = ::waitpid(pid, &st, WNOHANG);
    if (w == pid) {
      while ((n = ::read(fds[0], buf, sizeof buf)) > 0) result.output.append(buf, static_cast<size_t>(n));
      result.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      result.exit_code = -1;
      result.output += "\n[timed out]";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::close(fds[0]);
  return result;
}

}  // namespace skyrun::testing
