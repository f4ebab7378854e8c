#include "cli/commands.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/client.h"
#include "cli/client_flags.h"
#include "cli/follow.h"
#include "cli/interrupt.h"
#include "cli/launch_flags.h"
#include "cli/tokens.h"
#include "cli/upload.h"
#include "common/clock.h"
#include "common/strings.h"
#include "common/text_table.h"
#include "spec/spec_overrides.h"
#include "spec/spec_parser.h"

namespace skyrun {

namespace {

using nlohmann::json;

using Common = ClientFlags;

void AddCommonFlags(CLI::App* cmd, Common* c, bool with_output = true) {
  AddClientFlags(cmd, c, with_output);
}
int Fail(const Status& s, const ApiClient* client = nullptr) {
  return FailWith(s, client);
}
std::string Str(const json& j, const char* key) {
  return FieldText(j, key);
}

// Seconds between two RFC 3339 stamps of the API ("" -> now is not known: "").
std::string Elapsed(const std::string& from, const std::string& to) {
  if (from.empty()) return "";
  auto parse = [](const std::string& s) -> double {
    struct tm tm {};
    int ms = 0;
    if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec, &ms) < 6)
      return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return static_cast<double>(timegm(&tm)) + ms / 1000.0;
  };
  double a = parse(from);
  double b = to.empty() ? static_cast<double>(std::time(nullptr)) : parse(to);
  if (a <= 0 || b < a) return "";
  return FormatDuration(static_cast<Micros>((b - a) * kMicrosPerSecond));
}

bool IsTerminalName(const std::string& s) {
  return s == "SUCCEEDED" || s == "FAILED" || s == "CANCELLED";
}

// Seconds as "1.25s" (the API gives a double).
std::string Seconds(const json& a, const char* key) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2fs", a.value(key, 0.0));
  return text;
}

// The data each attempt's task moved, for the attempts that moved any:
// bytes exactly (what came from the node's cache counted apart).
void PrintDataMoved(const json& attempts, std::ostream& out) {
  Table t({"ATTEMPT", "RANK", "STAGED IN", "FROM CACHE", "IN TIME", "UPLOADED", "UP TIME", "IMAGE PULLED",
           "PULL TIME"});
  bool any = false;
  for (const auto& a : attempts) {
    const int64_t in = a.value("staged_in_bytes", int64_t{0}),
                  cached = a.value("staged_in_cached_bytes", int64_t{0});
    const int64_t up = a.value("uploaded_bytes", int64_t{0}),
                  image = a.value("image_pulled_bytes", int64_t{0});
    const double secs = a.value("staged_in_seconds", 0.0) + a.value("uploaded_seconds", 0.0) +
                        a.value("image_pull_seconds", 0.0);
    if (in == 0 && cached == 0 && up == 0 && image == 0 && secs == 0) continue;
    any = true;
    t.AddRow({Str(a, "attempt"), Str(a, "rank"), std::to_string(in) + " B", std::to_string(cached) + " B",
              Seconds(a, "staged_in_seconds"), std::to_string(up) + " B", Seconds(a, "uploaded_seconds"),
              std::to_string(image) + " B", Seconds(a, "image_pull_seconds")});
  }
  if (!any) return;
  out << "\nData moved:\n";
  t.Print(out);
}

void PrintJobRecord(const json& j, std::ostream& out) {
  out << "Job " << j["id"] << " (" << Str(j, "name") << ")  " << Str(j, "state") << "\n";
  out << "  tenant/queue:  " << Str(j, "tenant") << " / " << Str(j, "queue") << "   priority "
      << j["priority"] << "   mode " << Str(j, "mode") << " x" << j["num_tasks"] << "\n";
  out << "  reason:        " << Str(j, "reason") << "\n";
  if (!Str(j, "waiting_for").empty()) out << "  waiting for:   " << Str(j, "waiting_for") << "\n";
  if (!Str(j, "placement").empty()) out << "  placement:     " << Str(j, "placement") << "\n";
  out << "  submitted:     " << Str(j, "submitted_at") << "\n";
  if (!Str(j, "started_at").empty()) out << "  started:       " << Str(j, "started_at") << "\n";
  if (!Str(j, "finished_at").empty()) {
    out << "  finished:      " << Str(j, "finished_at") << "  (ran "
        << Elapsed(Str(j, "started_at"), Str(j, "finished_at")) << ")\n";
  }
  out << "  attempts:      " << j["attempt"] << " (restarts used: " << j["restarts"] << ")\n";
  out << "  cost:          " << Money(j.value("cost_usd", 0.0)) << "\n";
  if (j.contains("attempts") && !j["attempts"].empty()) {
    out << "\nAttempts:\n";
    Table t(
        {"ATTEMPT", "RANK", "STATE", "NODE", "GPUS", "STARTED", "DURATION", "EXIT", "$/H", "COST", "REASON"});
    for (const auto& a : j["attempts"]) {
      char price[32];
      std::snprintf(price, sizeof price, "%.4f", a.value("hourly_price_usd", 0.0));
      t.AddRow({Str(a, "attempt"), Str(a, "rank"), Str(a, "state"), Str(a, "backend") + ":" + Str(a, "node"),
                Str(a, "gpus"), Str(a, "started_at"), Elapsed(Str(a, "started_at"), Str(a, "ended_at")),
                Str(a, "exit_code"), price, Money(a.value("cost_usd", 0.0)), Str(a, "reason")});
    }
    t.Print(out);
    PrintDataMoved(j["attempts"], out);
  }
  if (j.contains("provision_tries") && !j["provision_tries"].empty()) {
    out << "\nProvisioning (the broker's tries):\n";
    Table t({"TIME", "ATTEMPT", "WHERE", "INSTANCE", "SPOT", "$/H", "OUTCOME", "BLOCKED", "DETAIL"});
    for (const auto& p : j["provision_tries"]) {
      char price[32];
      std::snprintf(price, sizeof price, "%.4f", p.value("hourly_price", 0.0));
      std::string where = Str(p, "provider");
      if (!Str(p, "region").empty() && Str(p, "region") != where) where += "/" + Str(p, "region");
      if (!Str(p, "zone").empty()) where += "/" + Str(p, "zone");
      std::string instance = Str(p, "instance_type");
      if (p.value("count", 0) > 1) instance += " x" + std::to_string(p.value("count", 0));
      t.AddRow({Str(p, "time"), Str(p, "attempt"), where, instance, p.value("use_spot", false) ? "yes" : "no",
                price, Str(p, "outcome"), Str(p, "blocked"), Str(p, "detail")});
    }
    t.Print(out);
  }
  if (j.contains("events") && !j["events"].empty()) {
    out << "\nEvents:\n";
    Table t({"TIME", "FROM", "TO", "ATTEMPT", "REASON"});
    for (const auto& e : j["events"]) {
      t.AddRow({Str(e, "time"), Str(e, "from"), Str(e, "to"), Str(e, "attempt"), Str(e, "reason")});
    }
    t.Print(out);
  }
}

// Streams logs of a job until it ends, riding out server restarts (cli/follow.h).
Status FollowLogs(ApiClient& client, int64_t id, const std::string& query) {
  SKYRUN_ASSIGN_OR_RETURN(RetryPolicy policy, RetryPolicy::FromEnvironment());
  return FollowJobLogs(client, id, query, policy, std::cout, std::cerr);
}

// The flags a hint must repeat so that its commands reach the same server
// (never the token: a hint is no place for a secret).
std::string HintFlags(const Common& c, const ApiClient& client) {
  std::string flags;
  if (!c.client.server.empty()) flags += " --server " + client.server();
  if (!c.client.state_dir.empty()) flags += " --state-dir " + c.client.state_dir;
  return flags;
}

int Launch(const std::string& file, bool detach, const LaunchOverrides& overrides, const Common& c) {
  std::string spec_text;
  SpecParseResult parsed = ParseJobSpecFileWithOverrides(file, overrides, &spec_text);
  if (!parsed.ok()) {
    for (const auto& p : parsed.problems) std::cerr << p.ToString() << "\n";
    return kExitBadInput;
  }
  auto client = ApiClient::Create(c.client);
  if (!client.ok()) return Fail(client.status());
  auto retry = RetryPolicy::FromEnvironment();
  if (!retry.ok()) return Fail(retry.status());
  // A Ctrl-C from here on leaves the job running and says so (cli/interrupt.h).
  if (!detach) CatchInterrupts();
  // The server never reads our paths: what the spec names here travels in an upload.
  std::filesystem::path abs = std::filesystem::absolute(file).lexically_normal();
  auto created = SubmitWithUpload(**client, parsed.specs[0], spec_text, abs.parent_path().string(),
                                  abs.filename().string());
  if (!created.ok()) return Fail(created.status(), client->get());
  int64_t id = (*created)["id"].get<int64_t>();
  bool json_out = c.output == "json";
  if (created->contains("array")) {
    // A job array (sbatch --array): one job per index; nothing single to follow.
    const json& a = (*created)["array"];
    if (json_out) {
      std::cout << a.dump(2) << "\n";
    } else {
      std::cout << "Job array " << id << " (" << parsed.specs[0].name << "_[...], " << a["jobs"].size()
                << " jobs: " << a["jobs"].front().get<int64_t>() << "-" << a["jobs"].back().get<int64_t>();
      if (a.value("limit", 0) > 0) std::cout << ", at most " << a.value("limit", 0) << " at once";
      std::cout << ") submitted to " << (*client)->server() << "\n";
      std::cout << "See them with: skyrun queue --all" << HintFlags(c, **client) << std::endl;
    }
    return 0;
  }
  // Said at once and flushed, even into a pipe: a Ctrl-C or a crash of the
  // client must never leave a running job whose id nobody saw. With -o json
  // the id goes to stderr, so that stdout stays one JSON document.
  if (!json_out) {
    std::cout << "Job " << id << " (" << parsed.specs[0].name << ") submitted to " << (*client)->server()
              << std::endl;
  } else if (!detach) {
    std::cerr << "job " << id << " submitted" << std::endl;
  }
  if (!detach) ArmInterruptHint(id, HintFlags(c, **client));
  if (detach) {
    if (json_out) std::cout << (*created)["job"].dump(2) << "\n";
    return 0;
  }
  // Wait for placement, with a progress line, then follow the logs to the end.
  bool tty = ::isatty(STDERR_FILENO);
  auto start = std::chrono::steady_clock::now();
  std::string last_state;
  json job;
  while (true) {
    auto got = GetWithRetry(**client, "/v1/jobs/" + std::to_string(id), *retry, std::cerr);
    if (!got.ok()) return Fail(got.status(), client->get());
    job = *got;
    std::string state = Str(job, "state");
    if (state != "SUBMITTED" && state != "QUEUED" && state != "RECOVERING") break;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string line =
        "[" + state + " " + std::to_string(static_cast<int>(secs)) + "s] " +
        (Str(job, "waiting_for").empty() ? "waiting for a placement" : Str(job, "waiting_for"));
    if (tty) {
      std::cerr << "\r\033[K" << line.substr(0, 160) << std::flush;
    } else if (state != last_state) {
      std::cerr << line << "\n";
    }
    last_state = state;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  if (tty && !last_state.empty()) std::cerr << "\r\033[K";
  if (!json_out) std::cout << "Placed: " << Str(job, "placement") << std::endl;
  Status streamed = FollowLogs(**client, id, "");
  if (!streamed.ok()) return Fail(streamed, client->get());
  DisarmInterruptHint();  // the job has ended
  // The stream ends when the job ends; read the final record.
  for (int i = 0; i < 50; ++i) {
    auto got = GetWithRetry(**client, "/v1/jobs/" + std::to_string(id), *retry, std::cerr);
    if (!got.ok()) return Fail(got.status(), client->get());
    job = *got;
    if (IsTerminalName(Str(job, "state"))) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string state = Str(job, "state");
  if (json_out) {
    std::cout << job.dump(2) << "\n";
  } else {
    std::cout << "Job " << id << " " << state << ": " << Str(job, "reason") << "\n";
    std::cout << "  ran on:   " << Str(job, "placement") << "\n";
    std::cout << "  took:     " << Elapsed(Str(job, "started_at"), Str(job, "finished_at")) << " over "
              << job["attempt"] << " attempt(s)\n";
    std::cout << "  cost:     " << Money(job.value("cost_usd", 0.0)) << "\n";
  }
  return state == "SUCCEEDED" ? 0 : kExitFailed;
}

int Queue(bool all, const std::string& state, int limit, const Common& c) {
  auto client = ApiClient::Create(c.client);
  if (!client.ok()) return Fail(client.status());
  std::string q = "/v1/jobs?limit=" + std::to_string(limit);
  if (!all) q += "&live=true";
  if (!state.empty()) q += "&state=" + state;
  auto got = (*client)->Get(q);
  if (!got.ok()) return Fail(got.status(), client->get());
  if (c.output == "json") {
    std::cout << (*got)["jobs"].dump(2) << "\n";
    return 0;
  }
  Table t(
      {"ID", "NAME", "STATE", "QUEUE", "TASKS", "ATTEMPT", "SUBMITTED", "DURATION", "COST", "WHERE / WHY"});
  for (const auto& j : (*got)["jobs"]) {
    std::string where = Str(j, "placement");
    if (!Str(j, "waiting_for").empty()) where = Str(j, "waiting_for");
    if (IsTerminalName(Str(j, "state")) && Str(j, "state") != "SUCCEEDED") where = Str(j, "reason");
    t.AddRow({Str(j, "id"), Str(j, "name"), Str(j, "state"), Str(j, "queue"), Str(j, "num_tasks"),
              Str(j, "attempt"), Str(j, "submitted_at"), Elapsed(Str(j, "started_at"), Str(j, "finished_at")),
              Money(j.value("cost_usd", 0.0)), where.substr(0, 80)});
  }
  t.Print(std::cout);
  return 0;
}

int StatusCmd(int64_t id, const Common& c) {
  auto client = ApiClient::Create(c.client);
  if (!client.ok()) return Fail(client.status());
  auto got = (*client)->Get("/v1/jobs/" + std::to_string(id));
  if (!got.ok()) return Fail(got.status(), client->get());
  if (c.output == "json") {
    std::cout << got->dump(2) << "\n";
  } else {
    PrintJobRecord(*got, std::cout);
  }
  return 0;
}

struct LogsFlags {
  bool follow = false;
  int attempt = 0;
  int rank = -1;
  int64_t tail = -1;   // last N lines of each rank (-1: all)
  std::string offset;  // bytes of each rank's log to skip: "B" or "R:B,R:B"
};

int Logs(int64_t id, const LogsFlags& f, const Common& c) {
  auto client = ApiClient::Create(c.client);
  if (!client.ok()) return Fail(client.status());
  const bool follow = f.follow;
  std::string q;
  if (f.attempt > 0) q += "&attempt=" + std::to_string(f.attempt);
  if (f.rank >= 0) q += "&rank=" + std::to_string(f.rank);
  if (f.tail >= 0) q += "&tail=" + std::to_string(f.tail);
  if (!f.offset.empty()) q += "&offset=" + f.offset;
  if (follow) {
    Status s = FollowLogs(**client, id, q);
    return s.ok() ? 0 : Fail(s, client->get());
  }
  Status s = (*client)->Stream("/v1/jobs/" + std::to_string(id) + "/logs?follow=false" + q,
                               [](const char* d, size_t n) {
                                 std::cout.write(d, static_cast<std::streamsize>(n));
                                 return true;
                               });
  return s.ok() ? 0 : Fail(s, client->get());
}

int Cancel(int64_t id, const Common& c) {
  auto client = ApiClient::Create(c.client);
  if (!client.ok()) return Fail(client.status());
  auto got = (*client)->Post("/v1/jobs/" + std::to_string(id) + "/cancel", json::object());
  if (!got.ok()) return Fail(got.status(), client->get());
  if (c.output == "json") {
    std::cout << got->dump(2) << "\n";
  } else {
    std::cout << "Job " << id << ": " << Str(*got, "message") << "\n";
  }
  return 0;
}

int NodesCmd(const Common& c) {
  auto client = ApiClient::Create(c.client);
  if (!client.ok()) return Fail(client.status());
  auto got = (*client)->Get("/v1/nodes");
  if (!got.ok()) return Fail(got.status(), client->get());
  if (c.output == "json") {
    std::cout << (*got)["nodes"].dump(2) << "\n";
    return 0;
  }
  Table t({"NODE", "BACKEND", "STATE", "CPUS (USED)", "MEMORY MiB (USED)", "GPUS (USED milli)", "$/GPU-H",
           "LIMITS"});
  for (const auto& n : (*got)["nodes"]) {
    std::string gpus;
    for (const auto& g : n["gpus"]) {
      if (!gpus.empty()) gpus += " ";
      gpus += std::to_string(g["index"].get<int>()) + ":" + g["model"].get<std::string>() + "(" +
              std::to_string(g["used_milli"].get<int64_t>()) + ")";
    }
    char price[32];
    std::snprintf(price, sizeof price, "%.2f", n.value("price_per_gpu_hour", 0.0));
    t.AddRow({Str(n, "name"), Str(n, "backend"), Str(n, "state"),
              Str(n, "cpus") + " (" + Str(n, "cpus_used") + ")",
              Str(n, "memory_mib") + " (" + Str(n, "memory_used_mib") + ")", gpus.empty() ? "-" : gpus, price,
              n.value("limits_enforced", false) ? "cgroup v2" : "not enforced"});
  }
  t.Print(std::cout);
  for (const auto& n : (*got)["nodes"]) {
    if (!n.value("limits_enforced", false) && !Str(n, "limits_note").empty()) {
      std::cout << "note (" << Str(n, "name") << "): " << Str(n, "limits_note") << "\n";
    }
  }
  return 0;
}

}  // namespace

void RegisterClientCommands(CLI::App& app, int* exit_code) {
  // launch
  {
    auto* cmd = app.add_subcommand("launch", "submit a job spec, then follow it to the end");
    auto c = std::make_shared<Common>();
    auto file = std::make_shared<std::string>();
    auto detach = std::make_shared<bool>(false);
    auto flags = std::make_shared<LaunchFlags>();
    cmd->add_option("file", *file, "job spec (YAML, or a SkyPilot task YAML)")->required();
    cmd->add_flag("-d,--detach", *detach, "return once the job is submitted");
    AddLaunchFlags(cmd, flags.get());
    AddCommonFlags(cmd, c.get());
    cmd->callback([=] {
      auto overrides = flags->Overrides();
      if (!overrides.ok()) {
        std::cerr << overrides.status().message() << "\n";
        *exit_code = kExitBadInput;
        return;
      }
      *exit_code = Launch(*file, *detach, *overrides, *c);
    });
  }
  // queue
  {
    auto* cmd = app.add_subcommand("queue", "list jobs (live ones unless --all)");
    auto c = std::make_shared<Common>();
    auto all = std::make_shared<bool>(false);
    auto state = std::make_shared<std::string>();
    auto limit = std::make_shared<int>(200);
    cmd->add_flag("-a,--all", *all, "include finished jobs");
    cmd->add_option("--state", *state, "only these states (comma-separated)");
    cmd->add_option("--limit", *limit, "at most this many jobs, newest first");
    AddCommonFlags(cmd, c.get());
    cmd->callback([=] { *exit_code = Queue(*all, *state, *limit, *c); });
  }
  // status
  {
    auto* cmd = app.add_subcommand("status", "a job's state, attempts, events and cost");
    auto c = std::make_shared<Common>();
    auto id = std::make_shared<int64_t>(0);
    cmd->add_option("id", *id, "job id")->required();
    AddCommonFlags(cmd, c.get());
    cmd->callback([=] { *exit_code = StatusCmd(*id, *c); });
  }
  // logs
  {
    auto* cmd = app.add_subcommand("logs", "a job's output, each line prefixed by its rank");
    auto c = std::make_shared<Common>();
    auto id = std::make_shared<int64_t>(0);
    auto f = std::make_shared<LogsFlags>();
    cmd->add_option("id", *id, "job id")->required();
    cmd->add_flag("-f,--follow", f->follow, "keep following until the job ends");
    cmd->add_option("--attempt", f->attempt, "attempt number (default: the current one)");
    cmd->add_option("--rank", f->rank, "only this rank");
    cmd->add_option("--tail", f->tail, "start at the last N lines of each rank")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--offset", f->offset,
                    "skip the first B bytes of each rank's log (B, or RANK:B,RANK:B); the API's "
                    "X-Skyrun-Next-Offset header says where a read ended")
        ->excludes("--tail");
    AddCommonFlags(cmd, c.get(), false);
    cmd->callback([=] { *exit_code = Logs(*id, *f, *c); });
  }
  // cancel
  {
    auto* cmd = app.add_subcommand("cancel", "cancel a job (SIGTERM, then SIGKILL after the grace period)");
    auto c = std::make_shared<Common>();
    auto id = std::make_shared<int64_t>(0);
    cmd->add_option("id", *id, "job id")->required();
    AddCommonFlags(cmd, c.get());
    cmd->callback([=] { *exit_code = Cancel(*id, *c); });
  }
  // nodes
  {
    auto* cmd = app.add_subcommand("nodes", "the nodes of every backend and what is in use");
    auto c = std::make_shared<Common>();
    AddCommonFlags(cmd, c.get());
    cmd->callback([=] { *exit_code = NodesCmd(*c); });
  }
  RegisterCostReportCommand(app, exit_code);
  RegisterBudgetsCommand(app, exit_code);
  RegisterImageCommand(app, exit_code);
  RegisterVolumeCommand(app, exit_code);
  // admin
  {
    auto* admin = app.add_subcommand("admin", "tenants and tokens (admins only)");
    admin->require_subcommand(1);
    auto* tenant = admin->add_subcommand("tenant", "manage tenants");
    tenant->require_subcommand(1);
    {
      auto* create = tenant->add_subcommand("create", "create a tenant");
      auto c = std::make_shared<Common>();
      auto name = std::make_shared<std::string>();
      create->add_option("name", *name, "tenant name")->required();
      AddCommonFlags(create, c.get());
      create->callback([=] {
        auto client = ApiClient::Create(c->client);
        if (!client.ok()) {
          *exit_code = Fail(client.status());
          return;
        }
        auto got = (*client)->Post("/v1/admin/tenants", {{"name", *name}});
        if (!got.ok()) {
          *exit_code = Fail(got.status(), client->get());
          return;
        }
        if (c->output == "json")
          std::cout << got->dump(2) << "\n";
        else
          std::cout << "Tenant " << Str(*got, "name") << " created (id " << (*got)["id"] << ")\n";
      });
    }
    {
      auto* list = tenant->add_subcommand("list", "list tenants");
      auto c = std::make_shared<Common>();
      AddCommonFlags(list, c.get());
      list->callback([=] {
        auto client = ApiClient::Create(c->client);
        if (!client.ok()) {
          *exit_code = Fail(client.status());
          return;
        }
        auto got = (*client)->Get("/v1/admin/tenants");
        if (!got.ok()) {
          *exit_code = Fail(got.status(), client->get());
          return;
        }
        if (c->output == "json") {
          std::cout << (*got)["tenants"].dump(2) << "\n";
          return;
        }
        Table t({"ID", "NAME"});
        for (const auto& x : (*got)["tenants"]) t.AddRow({Str(x, "id"), Str(x, "name")});
        t.Print(std::cout);
      });
    }
    auto* token = admin->add_subcommand("token", "manage tokens");
    token->require_subcommand(1);
    RegisterTokenCommands(token, exit_code);  // create, list, revoke: cli/tokens.cc
  }
}

}  // namespace skyrun
