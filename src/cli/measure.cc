#include "cli/measure.h"

#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "cli/client.h"
#include "cli/upload.h"
#include "common/strings.h"
#include "spec/spec_parser.h"

namespace skyrun {
namespace {

using json = nlohmann::json;

constexpr int kExitBadInput = 2;
constexpr int kExitFailed = 1;

struct Target {
  std::string node;
  std::string backend;
  std::string gpu_model;   // "" = no GPU: the benchmark runs on the CPU
  int64_t memory_mib = 0;  // of the first GPU, else the node's
};

struct Measured {
  Target target;
  int64_t job_id = 0;
  double seconds = 0;
  std::string error;
};

// A job name from a node name: a-z0-9 and '-', at most 63 characters.
std::string JobNameFor(const std::string& node) {
  std::string out = "device-bench-";
  for (char c : ToLower(node)) out += (std::isalnum(static_cast<unsigned char>(c)) ? c : '-');
  if (out.size() > 63) out.resize(63);
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out;
}

// YAML single-quoted scalar.
std::string Quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string BenchSpec(const Target& t, const MeasureArgs& args, const std::string& file) {
  std::ostringstream y;
  y << "name: " << JobNameFor(t.node) << "\n";
  y << "resources:\n  cpus: 1\n";
  if (!t.gpu_model.empty()) y << "  accelerators: " << Quoted(t.gpu_model + ":1") << "\n";
  // Double quotes inside the expression; the node name is escaped for it.
  std::string escaped;
  for (char c : t.node) escaped += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
  y << "  requirements: " << Quoted("Name == \"" + escaped + "\"") << "\n";
  y << "  infra: [" << Quoted(t.backend) << "]\n";
  y << "workdir: .\n";  // a directory holding only the benchmark, uploaded with the job
  y << "recovery: {strategy: none}\n";
  y << "run: "
    << Quoted(args.python + " " + file + " --n " + std::to_string(args.n) + " --iters " +
              std::to_string(args.iters))
    << "\n";
  return y.str();
}

// Submits the benchmark job with the script as its upload: the workdir is a
// temporary directory holding only a copy of it.
Result<json> SubmitBench(ApiClient& client, const std::string& spec_yaml,
                         const std::filesystem::path& script) {
  namespace fs = std::filesystem;
  SpecParseResult parsed = ParseJobSpecs(spec_yaml, "device-bench.yaml");
  if (!parsed.ok() || parsed.specs.size() != 1) return Internal("the benchmark spec does not parse");
  std::string tmpl = (fs::temp_directory_path() / "skyrun-measure.XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    return Internal("cannot create a temporary directory for the benchmark");
  std::error_code ec;
  fs::copy_file(script, fs::path(tmpl) / script.filename(), ec);
  Result<json> created =
      ec ? Result<json>(InvalidArgument("cannot copy " + script.string() + ": " + ec.message()))
         : SubmitWithUpload(client, parsed.specs[0], spec_yaml, tmpl, "device-bench.yaml");
  fs::remove_all(tmpl, ec);
  return created;
}

// The benchmark prints one number on stdout: the last line that reads as one.
bool ParseSeconds(const std::string& log, double* seconds) {
  bool found = false;
  for (const std::string& raw : Split(log, '\n')) {
    std::string line = Trim(raw);
    if (line.empty()) continue;
    char* end = nullptr;
    double v = std::strtod(line.c_str(), &end);
    if (end && *end == '\0' && std::isfinite(v) && v > 0) {
      *seconds = v;
      found = true;
    }
  }
  return found;
}

Result<std::vector<Target>> ChooseTargets(ApiClient& client, const MeasureArgs& args) {
  SKYRUN_ASSIGN_OR_RETURN(json nodes, client.Get("/v1/nodes"));
  std::vector<Target> out;
  std::set<std::string> wanted(args.nodes.begin(), args.nodes.end()), seen, models;
  for (const auto& n : nodes.value("nodes", json::array())) {
    Target t;
    t.node = n.value("name", "");
    t.backend = n.value("backend", "");
    seen.insert(t.node);
    if (!wanted.empty() && !wanted.count(t.node)) continue;
    if (wanted.empty() && n.value("state", "UP") != "UP") continue;
    const json& gpus = n.contains("gpus") && n["gpus"].is_array() ? n["gpus"] : json::array();
    if (!gpus.empty()) {
      t.gpu_model = gpus[0].value("model", "");
      t.memory_mib = gpus[0].value("memory_mb", int64_t{0});
    } else {
      t.memory_mib = n.value("memory_mib", int64_t{0});
    }
    if (args.per_model && !models.insert(t.gpu_model.empty() ? "cpu" : t.gpu_model).second) continue;
    out.push_back(t);
  }
  for (const std::string& w : wanted) {
    if (!seen.count(w)) return NotFound("no node named '" + w + "' (see skyrun nodes)");
  }
  if (out.empty()) return NotFound("no node to measure: the server has no node that is up");
  return out;
}

Measured RunOne(ApiClient& client, const Target& t, const MeasureArgs& args, const std::string& script) {
  Measured m{t, 0, 0, ""};
  std::filesystem::path path = std::filesystem::absolute(script).lexically_normal();
  std::string spec = BenchSpec(t, args, path.filename().string());
  auto created = SubmitBench(client, spec, path);
  if (!created.ok()) {
    m.error = created.status().message();
    return m;
  }
  m.job_id = (*created)["id"].get<int64_t>();
  std::string id = std::to_string(m.job_id);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(args.timeout_seconds);
  json job;
  while (true) {
    auto got = client.Get("/v1/jobs/" + id);
    if (!got.ok()) {
      m.error = got.status().message();
      return m;
    }
    job = *got;
    std::string state = job.value("state", "");
    if (state == "SUCCEEDED" || state == "FAILED" || state == "CANCELLED") break;
    if (std::chrono::steady_clock::now() > deadline) {
      (void)client.Post("/v1/jobs/" + id + "/cancel", json::object());
      m.error = "did not finish within " + std::to_string(static_cast<int>(args.timeout_seconds)) +
                " s (state " + state +
                (job.contains("waiting_for") ? ": " + job.value("waiting_for", "") : "") + "); cancelled";
      return m;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::string log;
  Status read = client.Stream("/v1/jobs/" + id + "/logs?prefix=false", [&](const char* d, size_t n) {
    log.append(d, n);
    return true;
  });
  if (job.value("state", "") != "SUCCEEDED") {
    std::string tail = log.size() > 300 ? log.substr(log.size() - 300) : log;
    m.error = "job " + id + " " + job.value("state", "") + ": " + job.value("reason", "") +
              (tail.empty() ? "" : "; its log ends: " + Trim(tail));
    return m;
  }
  if (!read.ok()) {
    m.error = "cannot read the log of job " + id + ": " + read.message();
  } else if (!ParseSeconds(log, &m.seconds)) {
    m.error = "job " + id + " printed no time; its log: " + Trim(log.substr(0, 300));
  }
  return m;
}

}  // namespace

int MeasureDevices(const MeasureArgs& args, const ClientOptions& options, std::ostream& out,
                   std::ostream& err) {
  if (args.output != "csv" && args.output != "json") {
    err << "skyrun partition measure: -o must be csv or json\n";
    return kExitBadInput;
  }
  std::string script = args.script;
  if (script.empty()) script = std::string(SKYRUN_SOURCE_DIR_FOR_CLI) + "/examples/partition/device_bench.py";
  if (!std::filesystem::is_regular_file(script)) {
    err << "skyrun partition measure: the benchmark '" << script
        << "' is not a file; give it with --script\n";
    return kExitBadInput;
  }
  auto client = ApiClient::Create(options);
  if (!client.ok()) {
    err << "error: " << client.status().message() << "\n";
    return kExitFailed;
  }
  auto targets = ChooseTargets(**client, args);
  if (!targets.ok()) {
    err << "skyrun partition measure: " << targets.status().message() << "\n";
    return kExitBadInput;
  }
  std::vector<Measured> results;
  bool all_ok = true;
  for (const Target& t : *targets) {
    err << "measuring " << t.node << (t.gpu_model.empty() ? " (CPU)" : " (" + t.gpu_model + ")") << " ... "
        << std::flush;
    Measured m = RunOne(**client, t, args, script);
    if (m.error.empty()) {
      err << m.seconds << " s (job " << m.job_id << ")\n";
    } else {
      err << "failed: " << m.error << "\n";
      all_ok = false;
    }
    results.push_back(std::move(m));
  }
  double fastest = 0;
  for (const auto& m : results)
    if (m.error.empty() && (fastest == 0 || m.seconds < fastest)) fastest = m.seconds;
  if (args.output == "json") {
    json arr = json::array();
    for (const auto& m : results) {
      json j{{"node", m.target.node},
             {"gpu_model", m.target.gpu_model},
             {"memory_mib", m.target.memory_mib},
             {"job", m.job_id}};
      if (m.error.empty()) {
        j["bench_seconds"] = m.seconds;
        j["slowness"] = m.seconds / fastest;
      } else {
        j["error"] = m.error;
      }
      arr.push_back(j);
    }
    out << json{{"benchmark", {{"n", args.n}, {"iters", args.iters}}}, {"devices", arr}}.dump(2) << "\n";
  } else {
    out << "# measured by skyrun partition measure (device_bench.py --n " << args.n << " --iters "
        << args.iters << ")\nname,bench_seconds,memory_mib\n";
    for (const auto& m : results) {
      if (!m.error.empty()) continue;
      char secs[32];
      std::snprintf(secs, sizeof secs, "%.6f", m.seconds);
      out << m.target.node << "," << secs << "," << m.target.memory_mib << "\n";
    }
  }
  return all_ok ? 0 : kExitFailed;
}

void RegisterMeasureCommand(CLI::App& app, int* exit_code) {
  CLI::App* partition = nullptr;
  try {
    partition = app.get_subcommand("partition");
  } catch (const CLI::OptionNotFound&) {
    return;
  }
  auto* cmd = partition->add_subcommand(
      "measure", "run device_bench.py as a job on each node and print a devices CSV of measured speeds");
  auto args = std::make_shared<MeasureArgs>();
  auto options = std::make_shared<ClientOptions>();
  cmd->add_option("--nodes", args->nodes, "nodes to measure (default: every node that is up)")
      ->delimiter(',');
  cmd->add_flag("--per-model", args->per_model, "measure one node per GPU model (device class)");
  cmd->add_option("--script", args->script, "the benchmark (default examples/partition/device_bench.py)");
  cmd->add_option("--python", args->python, "interpreter with NumPy on the nodes (default /usr/bin/python3)");
  cmd->add_option("--n", args->n, "matrix size (default 2048)")->check(CLI::Range(1, 65536));
  cmd->add_option("--iters", args->iters, "timed products (default 10)")->check(CLI::Range(1, 100000));
  cmd->add_option("--timeout", args->timeout_seconds, "seconds to wait for each job (default 600)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-o,--output", args->output, "csv (a devices file) or json")
      ->check(CLI::IsMember({"csv", "json"}));
  cmd->add_option("--server", options->server,
                  "server URL (default $SKYRUN_SERVER or http://127.0.0.1:8787)");
  cmd->add_option("--token", options->token, "bearer token (default $SKYRUN_TOKEN or STATE_DIR/admin.token)");
  cmd->add_option("--state-dir", options->state_dir,
                  "state directory holding admin.token (default ~/.skyrun)");
  cmd->callback([=] { *exit_code = MeasureDevices(*args, *options, std::cout, std::cerr); });
}

}  // namespace skyrun
