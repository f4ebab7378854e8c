// The CLI as people use it, through the real server and the real binary:
// Ctrl-C during launch (item 13), a server restart during a follow (item 13),
// unknown commands and bad server URLs (item 14), token administration
// (item 15).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "server_harness.h"

namespace skyrun::testing {
namespace {

const char* kPoolConfig = R"(
local:
  kill_grace_seconds: 2
  nodes:
    - name: box
      cpus: 4
      memory: 8GiB
)";

// `skyrun ARGS...` as a child with its stdout and stderr on two pipes (a
// pipe, not a terminal: the case where unflushed output used to be lost).
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::map<std::string, std::string>& env) {
    int out[2];
    int err[2];
    EXPECT_EQ(::pipe(out), 0);
    EXPECT_EQ(::pipe(err), 0);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      ::close(out[0]);
      ::close(out[1]);
      ::close(err[0]);
      ::close(err[1]);
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
      signal(SIGINT, SIG_DFL);
      std::vector<std::string> copy = args;
      copy.insert(copy.begin(), ServerHarness::SkyrunBinary());
      std::vector<char*> argv;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    ::fcntl(out_fd_, F_SETFL, O_NONBLOCK);
    ::fcntl(err_fd_, F_SETFL, O_NONBLOCK);
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int st;
      ::waitpid(pid_, &st, 0);
    }
    ::close(out_fd_);
    ::close(err_fd_);
  }

  // Reads what is there; true once `done(stdout, stderr)` holds.
  bool WaitFor(const std::function<bool()>& done, double timeout_s) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
      Drain();
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Drain();
    return done();
  }
  void Signal(int sig) { ::kill(pid_, sig); }
  // The exit code (128 + signal when killed), or -1 after the timeout.
  int Wait(double timeout_s) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
      Drain();
      int st;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        Drain();
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  void Drain() {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out_fd_, buf, sizeof buf)) > 0) out_.append(buf, static_cast<size_t>(n));
    while ((n = ::read(err_fd_, buf, sizeof buf)) > 0) err_.append(buf, static_cast<size_t>(n));
  }
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
};

std::map<std::string, std::string> ClientEnv(const ServerHarness& server) {
  return {{"SKYRUN_SERVER", server.url()}, {"SKYRUN_TOKEN", server.admin_token()}};
}

std::string WriteSpec(const ServerHarness& server, const std::string& name, const std::string& yaml) {
  std::string path = server.state_dir() + "/../" +
                     std::filesystem::path(server.state_dir()).filename().string() + "-" + name + ".yaml";
  std::ofstream(path) << yaml;
  return path;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// ---------------------------------------------------------------- item 13

void ExpectInterruptHint(const Child& child, int64_t id) {
  std::string ids = std::to_string(id);
  EXPECT_NE(child.err().find("job " + ids + " goes on running"), std::string::npos) << child.err();
  EXPECT_NE(child.err().find("skyrun logs " + ids + " -f"), std::string::npos) << child.err();
  EXPECT_NE(child.err().find("skyrun cancel " + ids), std::string::npos) << child.err();
}

int64_t SubmittedId(const std::string& out) {
  size_t at = out.find("Job ");
  if (at == std::string::npos) return -1;
  return std::stoll(out.substr(at + 4));
}

TEST(CliTest, Item13_CtrlCWhileRunningPrintsTheIdAndHowToFollowOrCancel) {
  ServerHarness server(kPoolConfig);
  server.Start();
  std::string spec = WriteSpec(server, "long", "name: long\nrun: echo started; sleep 300\n");
  Child launch({"launch", spec}, ClientEnv(server));
  ASSERT_TRUE(launch.WaitFor([&] { return launch.out().find("started") != std::string::npos; }, 60))
      << launch.out() << launch.err();
  int64_t id = SubmittedId(launch.out());
  ASSERT_GT(id, 0) << "the job id must be on stdout, even into a pipe: " << launch.out();
  launch.Signal(SIGINT);
  EXPECT_EQ(launch.Wait(30), 130) << launch.out() << launch.err();
  ExpectInterruptHint(launch, id);
  // The client went away; the job did not.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(server.Job(id)["state"], "RUNNING") << server.Job(id).dump(2);
  EXPECT_EQ(server.Cli({"cancel", std::to_string(id)}).exit_code, 0);
}

TEST(CliTest, Item13_CtrlCWhileQueuedStillShowsTheIdWrittenIntoAPipe) {
  ServerHarness server(kPoolConfig);
  server.Start();
  // The pool is full: the job waits in the queue.
  int64_t blocker =
      server.Submit("name: blocker\nresources: {cpus: 4}\nrun: sleep 300\n", "/tmp/blocker.yaml");
  ASSERT_EQ(server.WaitForState(blocker, {"RUNNING"}, 30), "RUNNING");
  std::string spec = WriteSpec(server, "waiting", "name: waiting\nresources: {cpus: 1}\nrun: 'true'\n");
  Child launch({"launch", spec}, ClientEnv(server));
  // The progress line goes to stderr; the id must already be on stdout.
  ASSERT_TRUE(launch.WaitFor([&] { return launch.err().find("QUEUED") != std::string::npos; }, 60))
      << launch.out() << launch.err();
  launch.Signal(SIGINT);
  EXPECT_EQ(launch.Wait(30), 130) << launch.out() << launch.err();
  int64_t id = SubmittedId(launch.out());
  ASSERT_GT(id, 0) << "stdout: " << launch.out() << "\nstderr: " << launch.err();
  ExpectInterruptHint(launch, id);
  EXPECT_EQ(server.Job(id)["state"], "QUEUED");
}

TEST(CliTest, Item13_LogsFollowRidesOutAServerRestart) {
  ServerHarness server(kPoolConfig);
  server.Start();
  int64_t id = server.Submit(
      "name: steady\nrun: for i in $(seq 1 40); do echo line-$i; sleep 0.25; done; echo all-done\n",
      "/tmp/steady.yaml");
  ASSERT_GT(id, 0);
  auto env = ClientEnv(server);
  Child follow({"logs", std::to_string(id), "-f"}, env);
  ASSERT_TRUE(follow.WaitFor([&] { return follow.out().find("line-4\n") != std::string::npos; }, 60))
      << follow.out() << follow.err();
  server.Kill9();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  server.Start();
  EXPECT_EQ(follow.Wait(90), 0) << follow.out() << follow.err();
  EXPECT_NE(follow.err().find("lost the server"), std::string::npos) << follow.err();
  EXPECT_NE(follow.err().find("retrying"), std::string::npos) << follow.err();
  EXPECT_NE(follow.out().find("all-done"), std::string::npos) << follow.out();
  // Every line once: nothing lost, nothing printed twice after the resume.
  for (int i = 1; i <= 40; ++i) {
    EXPECT_EQ(Count(follow.out(), "line-" + std::to_string(i) + "\n"), 1u) << i << "\n" << follow.out();
  }
  EXPECT_EQ(server.Job(id)["state"], "SUCCEEDED");
}

TEST(CliTest, Item13_LogsFollowGivesUpAfterTheRetryTimeWithAClearMessage) {
  ServerHarness server(kPoolConfig);
  server.Start();
  int64_t id = server.Submit("name: quiet\nrun: sleep 300\n", "/tmp/quiet.yaml");
  ASSERT_EQ(server.WaitForState(id, {"RUNNING"}, 30), "RUNNING");
  auto env = ClientEnv(server);
  env["SKYRUN_RETRY_SECONDS"] = "2";
  Child follow({"logs", std::to_string(id), "-f"}, env);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  server.Kill9();
  EXPECT_EQ(follow.Wait(30), 1) << follow.out() << follow.err();
  EXPECT_NE(follow.err().find("retrying for up to 2 s"), std::string::npos) << follow.err();
  EXPECT_NE(follow.err().find("gave up after 2 s"), std::string::npos) << follow.err();
  EXPECT_NE(follow.err().find("may still be running: follow it again with `skyrun logs " +
                              std::to_string(id) + " -f`"),
            std::string::npos)
      << follow.err();
}

// ---------------------------------------------------------------- item 14

CommandResult Skyrun(const std::vector<std::string>& args, std::map<std::string, std::string> env = {}) {
  std::vector<std::string> argv = {ServerHarness::SkyrunBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  env.emplace("SKYRUN_TOKEN", "skyrun_unused");
  return RunCommand(argv, env, 30);
}

TEST(CliTest, Item14_UnknownCommandIsNamedWithTheCloseOnes) {
  // ("plan" was the example here until `skyrun plan` became a command.)
  auto deploy = Skyrun({"deploy"});
  EXPECT_EQ(deploy.exit_code, 2) << deploy.output;
  EXPECT_NE(deploy.output.find("unknown command \"deploy\" for \"skyrun\""), std::string::npos)
      << deploy.output;
  EXPECT_EQ(deploy.output.find("A subcommand is required"), std::string::npos) << deploy.output;
  EXPECT_NE(deploy.output.find("launch"), std::string::npos) << "lists the commands: " << deploy.output;

  auto typo = Skyrun({"lanch", "job.yaml"});
  EXPECT_EQ(typo.exit_code, 2) << typo.output;
  EXPECT_NE(typo.output.find("Did you mean launch"), std::string::npos) << "closest first: " << typo.output;

  auto nested = Skyrun({"admin", "tokn", "list"});
  EXPECT_EQ(nested.exit_code, 2) << nested.output;
  EXPECT_NE(nested.output.find("unknown command \"tokn\" for \"skyrun admin\""), std::string::npos)
      << nested.output;
  EXPECT_NE(nested.output.find("Did you mean token?"), std::string::npos) << nested.output;

  // An option's value is not taken for a command.
  auto valued = Skyrun({"queue", "--server", "http://127.0.0.1:1", "--limit", "x"});
  EXPECT_EQ(valued.output.find("unknown command"), std::string::npos) << valued.output;
}

TEST(CliTest, Item14_BadServerUrlsAreRefusedBeforeAnyRequest) {
  auto ftp = Skyrun({"queue", "--server", "ftp://h:1"});
  EXPECT_EQ(ftp.exit_code, 2) << ftp.output;
  EXPECT_NE(ftp.output.find("--server \"ftp://h:1\""), std::string::npos) << ftp.output;
  EXPECT_NE(ftp.output.find("http or https"), std::string::npos) << ftp.output;
  EXPECT_EQ(ftp.output.find("http://ftp://"), std::string::npos) << ftp.output;
  EXPECT_EQ(ftp.output.find("cannot reach"), std::string::npos) << ftp.output;

  auto port = Skyrun({"status", "1"}, {{"SKYRUN_SERVER", "127.0.0.1:70000"}});
  EXPECT_EQ(port.exit_code, 2) << port.output;
  EXPECT_NE(port.output.find("SKYRUN_SERVER \"127.0.0.1:70000\""), std::string::npos) << port.output;
  EXPECT_NE(port.output.find("from 1 to 65535"), std::string::npos) << port.output;

  auto host = Skyrun({"nodes", "--server", "http://:8787"});
  EXPECT_EQ(host.exit_code, 2) << host.output;
  EXPECT_NE(host.output.find("the host is empty"), std::string::npos) << host.output;
}

// ---------------------------------------------------------------- item 15

CommandResult CliAs(const ServerHarness& server, const std::string& token,
                    const std::vector<std::string>& args) {
  std::vector<std::string> argv = {ServerHarness::SkyrunBinary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, {{"SKYRUN_SERVER", server.url()}, {"SKYRUN_TOKEN", token}}, 60);
}

nlohmann::json MakeToken(const ServerHarness& server, const std::string& tenant, const std::string& role,
                         const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"admin",  "token", "create", "--tenant", tenant,
                                   "--role", role,    "-o",     "json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = server.Cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

nlohmann::json ListTokens(const ServerHarness& server, const std::string& token) {
  auto r = CliAs(server, token, {"admin", "token", "list", "-o", "json"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output, nullptr, false);
  return j.is_discarded() ? nlohmann::json::array() : j;
}

nlohmann::json Find(const nlohmann::json& tokens, int64_t id) {
  for (const auto& t : tokens)
    if (t["id"] == id) return t;
  return nlohmann::json();
}

TEST(CliTest, Item15_AdminListsTokensByPrefixAndRevokesOne) {
  ServerHarness server(kPoolConfig);
  server.Start();
  ASSERT_EQ(server.Cli({"admin", "tenant", "create", "vision"}).exit_code, 0);
  auto member = MakeToken(server, "vision", "member", {"--description", "ci bot"});
  std::string secret = member["token"];
  int64_t id = member["id"];
  EXPECT_EQ(member["prefix"], secret.substr(0, 15));
  ASSERT_EQ(server.Get("/v1/jobs", secret).status, 200);

  auto listed = server.Cli({"admin", "token", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find(secret.substr(0, 15)), std::string::npos) << listed.output;
  EXPECT_EQ(listed.output.find(secret), std::string::npos) << "the secret is never listed: " << listed.output;
  EXPECT_NE(listed.output.find("ci bot"), std::string::npos) << listed.output;
  auto row = Find(ListTokens(server, server.admin_token()), id);
  EXPECT_EQ(row["tenant"], "vision");
  EXPECT_EQ(row["role"], "member");
  EXPECT_EQ(row["state"], "active");
  EXPECT_EQ(row["expires_at"], "");
  EXPECT_NE(row["created_at"], "");
  EXPECT_NE(row["last_used_at"], "") << "the first use is recorded: " << row.dump();
  EXPECT_FALSE(row.contains("hash")) << row.dump();

  auto revoked = server.Cli({"admin", "token", "revoke", secret.substr(0, 15)});
  EXPECT_EQ(revoked.exit_code, 0) << revoked.output;
  auto refused = server.Get("/v1/jobs", secret);
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.body.find("revoked"), std::string::npos) << refused.body;
  EXPECT_EQ(Find(ListTokens(server, server.admin_token()), id)["state"], "revoked");
  // The CLI says so too.
  auto cli = CliAs(server, secret, {"queue"});
  EXPECT_EQ(cli.exit_code, 1) << cli.output;
  EXPECT_NE(cli.output.find("the token was revoked at"), std::string::npos) << cli.output;
}

TEST(CliTest, Item15_OnlyAdminsListAndRevokeAndATenantAdminOnlyItsOwn) {
  ServerHarness server(kPoolConfig);
  server.Start();
  ASSERT_EQ(server.Cli({"admin", "tenant", "create", "vision"}).exit_code, 0);
  ASSERT_EQ(server.Cli({"admin", "tenant", "create", "speech"}).exit_code, 0);
  std::string member = MakeToken(server, "vision", "member")["token"];
  std::string viewer = MakeToken(server, "vision", "viewer")["token"];
  std::string vision_admin = MakeToken(server, "vision", "admin")["token"];
  int64_t speech_id = MakeToken(server, "speech", "member")["id"];
  int64_t system_admin_id = ListTokens(server, server.admin_token())[0]["id"];

  for (const std::string& weak : {member, viewer}) {
    EXPECT_EQ(server.Get("/v1/admin/tokens", weak).status, 403);
    EXPECT_EQ(
        server
            .Post("/v1/admin/tokens/" + std::to_string(speech_id) + "/revoke", nlohmann::json::object(), weak)
            .status,
        403);
  }
  // The tenant admin sees its tenant's three tokens, nothing of speech or default.
  auto own = ListTokens(server, vision_admin);
  EXPECT_EQ(own.size(), 3u) << own.dump(2);
  for (const auto& t : own) EXPECT_EQ(t["tenant"], "vision") << own.dump(2);
  EXPECT_EQ(server.Get("/v1/admin/tokens?tenant=speech", vision_admin).status, 403);
  // Another tenant's token is "not found" to it, exactly like a token that does not exist.
  auto other = server.Post("/v1/admin/tokens/" + std::to_string(speech_id) + "/revoke",
                           nlohmann::json::object(), vision_admin);
  auto none = server.Post("/v1/admin/tokens/99999/revoke", nlohmann::json::object(), vision_admin);
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(server
                .Post("/v1/admin/tokens/" + std::to_string(system_admin_id) + "/revoke",
                      nlohmann::json::object(), vision_admin)
                .status,
            404);
  EXPECT_EQ(Find(ListTokens(server, server.admin_token()), speech_id)["state"], "active");
  // Its own member's token it may revoke.
  int64_t member_id = 0;
  for (const auto& t : own)
    if (t["role"] == "member") member_id = t["id"];
  auto r = CliAs(server, vision_admin, {"admin", "token", "revoke", std::to_string(member_id)});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(server.Get("/v1/jobs", member).status, 401);
}

TEST(CliTest, Item15_ExpiredTokensAreRefusedAndSayWhy) {
  ServerHarness server(kPoolConfig);
  server.Start();
  auto made = MakeToken(server, "default", "member", {"--expires", "4s"});
  std::string secret = made["token"];
  EXPECT_NE(made["expires_at"], "");
  std::this_thread::sleep_for(std::chrono::milliseconds(5500));
  auto refused = server.Get("/v1/jobs", secret);
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.body.find("the token expired at"), std::string::npos) << refused.body;
  EXPECT_EQ(Find(ListTokens(server, server.admin_token()), made["id"].get<int64_t>())["state"], "expired");
  // Bad lifetimes are refused before anything is made.
  for (const char* bad : {"0s", "soon", "3651d"}) {
    auto r = server.Cli({"admin", "token", "create", "--tenant", "default", "--expires", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.output;
    EXPECT_NE(r.output.find("expires_in"), std::string::npos) << r.output;
  }
  EXPECT_EQ(ListTokens(server, server.admin_token()).size(), 2u);
}

TEST(CliTest, Item15_TheLastSystemAdminTokenCannotBeRevokedButAnyOtherCan) {
  ServerHarness server(kPoolConfig);
  server.Start();
  std::string first = server.admin_token();
  int64_t first_id = ListTokens(server, first)[0]["id"];
  auto refused = server.Cli({"admin", "token", "revoke", std::to_string(first_id)});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("last live admin token of tenant \"default\""), std::string::npos)
      << refused.output;
  EXPECT_EQ(server.Get("/v1/jobs", first).status, 200);
  // With a second admin token the first may go, even revoked with itself.
  std::string second = MakeToken(server, "default", "admin")["token"];
  auto own = CliAs(server, first, {"admin", "token", "revoke", first.substr(0, 15)});
  EXPECT_EQ(own.exit_code, 0) << own.output;
  EXPECT_EQ(server.Get("/v1/jobs", first).status, 401);
  EXPECT_EQ(server.Get("/v1/jobs", second).status, 200);
  // Prefixes that name nothing, or are too short, say so.
  auto unknown = CliAs(server, second, {"admin", "token", "revoke", "skyrun_ffffffff"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  EXPECT_NE(unknown.output.find("no token you can see"), std::string::npos) << unknown.output;
  auto short_prefix = CliAs(server, second, {"admin", "token", "revoke", "ab"});
  EXPECT_EQ(short_prefix.exit_code, 2) << short_prefix.output;
}

}  // namespace
}  // namespace skyrun::testing
