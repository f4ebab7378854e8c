// Scenario files for the scheduler (tests/scenarios/*.yaml): a fleet, the
// tenants, and steps (submit, finish, fail, node-down, node-up); after each
// step the controller runs a few cycles and the transcript lists what every
// job did: placed where, waiting for what, refused why. The transcript is
// compared with the golden file beside the scenario.
//
// File format:
//   nodes: [...]        # as the server config's local.nodes (name, cpus, memory, gpus, attributes)
//   backends:           # more backends besides "local", each with its own nodes
//     slurm/hpc: {gpu_granularity_milli: 1000, nodes: [...]}
//   tenants: [a, b]     # created before the first step
//   config:             # optional: the server config's scheduler: and queues: sections
//     scheduler: {default_time_limit: 2h, profile: {reservations: 1}}
//     queues: {short: {default_time_limit: 30m}}
//   steps:
//     - submit: {tenant: a, spec: {name: x, run: y, ...}}   # a job spec, as in a spec file
//     - finish: x       # every task of x exits 0
//     - fail: x         # every task of x exits 1
//     - node-down: n    # n stops answering; its tasks are lost (NODE_FAIL)
//     - node-up: n
//     - advance: 30m    # the simulated clock moves on; the line shows the new time
//
// Every step also lets four simulated seconds pass (the controller's cycles).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "controller/controller.h"
#include "server/config.h"
#include "spec/spec_parser.h"
#include "support/fake_driver.h"
#include "support/temp_dir.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;

fs::path ScenarioDir() {
  return fs::path(SKYRUN_SOURCE_DIR_DEFAULT) / "tests" / "scenarios";
}

using test_support::FakeDriver;

// A backend that runs nothing: tasks are RUNNING until the scenario ends them.
std::unique_ptr<FakeDriver> Backend(const std::string& name, std::vector<Node> nodes,
                                    BackendCapabilities caps = {}) {
  FakeDriver::Options o;
  o.name = name;
  o.capabilities = caps;
  return std::make_unique<FakeDriver>(o, std::move(nodes));
}

Node NodeFromDecl(const LocalNodeDecl& d, const std::string& backend) {
  Node n;
  n.name = d.name;
  n.backend = backend;
  n.cpus_milli = MilliCpu(d.cpus_milli);
  n.memory_mib = MemoryMiB(d.memory_mib);
  int index = 0;
  for (const GpuDecl& g : d.gpus)
    for (int k = 0; k < g.count; ++k) n.gpus.push_back({index++, g.model, MemoryMiB(g.memory_mb)});
  n.attributes = d.attributes;
  n.address = d.address;
  return n;
}

std::string Emit(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return out.c_str();
}

class Scenario {
 public:
  explicit Scenario(const fs::path& file) : file_(file) {}

  // Replays the scenario; returns the transcript (or a line saying why it could not).
  std::string Run() {
    YAML::Node doc = YAML::LoadFile(file_.string());
    auto nodes = ParseNodes(doc["nodes"], "local");
    if (!nodes.ok()) return "bad nodes: " + nodes.status().message() + "\n";
    drivers_.push_back(Backend("local", std::move(nodes).value()));
    for (const auto& b : doc["backends"]) {
      std::string name = b.first.as<std::string>();
      BackendCapabilities caps;
      if (b.second["gpu_granularity_milli"])
        caps.gpu_granularity_milli = b.second["gpu_granularity_milli"].as<int64_t>();
      auto more = ParseNodes(b.second["nodes"], name);
      if (!more.ok()) return "bad nodes: " + more.status().message() + "\n";
      drivers_.push_back(Backend(name, std::move(more).value(), caps));
    }

    auto store = Store::Open(dir_.path(), &clock_);
    if (!store.ok()) return "store: " + store.status().message() + "\n";
    store_ = std::move(store).value();
    for (const auto& t : doc["tenants"]) {
      auto rec = store_->CreateTenant(t.as<std::string>());
      if (!rec.ok()) return "tenant: " + rec.status().message() + "\n";
      tenants_[rec->name] = rec->id;
    }
    ControllerOptions options;
    if (doc["config"]) {
      auto cfg = ParseServerConfig(Emit(doc["config"]), file_.filename().string());
      if (!cfg.ok()) return "bad config: " + cfg.status().message() + "\n";
      options.scheduler_profile = cfg->scheduler.profile;
      options.default_time_limit_seconds = cfg->scheduler.default_time_limit_seconds;
      for (const auto& [name, q] : cfg->queues)
        if (q.default_time_limit_seconds) options.queue_time_limits[name] = *q.default_time_limit_seconds;
    }
    options.state_dir = dir_.path();
    options.inventory_interval = kMicrosPerSecond;  // node-down is seen within a second
    std::vector<Driver*> drivers;
    for (auto& d : drivers_) drivers.push_back(d.get());
    controller_ = std::make_unique<Controller>(store_.get(), drivers, &clock_, DecodeStoredJobSpec, options);
    // Asks for the inventory, then reads it (Start would, with a loop thread).
    controller_->RunOnce();
    if (!controller_->WaitForBackends(60 * kMicrosPerSecond)) return "the driver did not answer\n";
    controller_->RunOnce();
    int n = 0;
    for (const auto& step : doc["steps"]) {
      ++n;
      out_ << "step " << n << ": ";
      Step(step);
      Settle();
      Report();
    }
    controller_.reset();
    store_.reset();
    return out_.str();
  }

 private:
  Result<std::vector<Node>> ParseNodes(const YAML::Node& decls, const std::string& backend) {
    YAML::Node config;
    config["local"]["nodes"] = decls;
    auto cfg = ParseServerConfig(Emit(config), file_.filename().string());
    if (!cfg.ok()) return cfg.status();
    std::vector<Node> nodes;
    for (const auto& d : cfg->local.nodes) nodes.push_back(NodeFromDecl(d, backend));
    return nodes;
  }

  void Step(const YAML::Node& step) {
    if (step["submit"]) {
      const YAML::Node& s = step["submit"];
      std::string tenant = s["tenant"] ? s["tenant"].as<std::string>() : tenants_.begin()->first;
      std::string yaml = Emit(s["spec"]);
      SpecParseResult parsed = ParseJobSpecs(yaml, "job.yaml");
      if (!parsed.ok()) {
        out_ << "submit: bad spec: " << parsed.problems.front().ToString() << "\n";
        return;
      }
      JobRecord rec;
      rec.tenant = tenants_.at(tenant);
      rec.tenant_name = tenant;
      rec.spec = parsed.specs.front();
      rec.name = rec.spec.name;
      rec.queue = rec.spec.queue;
      rec.priority = rec.spec.priority;
      rec.spec_yaml = yaml;
      rec.spec_file = "job.yaml";
      out_ << "submit " << rec.name << " (" << tenant << ")\n";
      Status ok = controller_->CheckSubmission(rec.spec, tenant);
      if (!ok.ok()) {
        out_ << "  " << rec.name << ": refused: " << ok.message() << "\n";
        return;
      }
      auto id = store_->CreateJob(rec);
      if (!id.ok()) {
        out_ << "  store: " << id.status().message() << "\n";
        return;
      }
      ids_[rec.name] = *id;
      order_.push_back(rec.name);
      controller_->NotifySubmitted(*id);
    } else if (step["finish"] || step["fail"]) {
      bool ok = static_cast<bool>(step["finish"]);
      std::string job = (ok ? step["finish"] : step["fail"]).as<std::string>();
      out_ << (ok ? "finish " : "fail ") << job << "\n";
      for (auto& d : drivers_) d->FinishJob(job, ok ? 0 : 1);
    } else if (step["node-down"] || step["node-up"]) {
      bool down = static_cast<bool>(step["node-down"]);
      std::string node = (down ? step["node-down"] : step["node-up"]).as<std::string>();
      out_ << (down ? "node-down " : "node-up ") << node << "\n";
      for (auto& d : drivers_) {
        if (down) {
          d->FailNode(node);
        } else {
          d->RestoreNode(node);
        }
      }
    } else if (step["advance"]) {
      std::string text = step["advance"].as<std::string>();
      auto seconds = ParseDurationSeconds(text);
      if (!seconds.ok()) {
        out_ << "advance: " << seconds.status().message() << "\n";
        return;
      }
      clock_.Advance(*seconds * kMicrosPerSecond);
      out_ << "advance " << text << ": now " << FormatTimestamp(clock_.Now()) << "\n";
    } else {
      out_ << "unknown step: " << Emit(step) << "\n";
    }
  }

  // Enough cycles, a simulated second apart, for every consequence to land.
  void Settle() {
    for (int i = 0; i < 4; ++i) {
      controller_->RunOnce();
      // The driver's answers (launches, polls, inventories) are read at the next cycle.
      if (!controller_->WaitForBackends(60 * kMicrosPerSecond)) out_ << "the driver did not answer\n";
      clock_.Advance(kMicrosPerSecond);
    }
  }

  // Every job whose state, placement or wait reason changed since the last step.
  void Report() {
    for (const std::string& name : order_) {
      auto rec = store_->GetJob(ids_[name]);
      if (!rec.ok()) continue;
      std::string line = std::string(JobStateName(rec->state));
      if (rec->state == JobState::kQueued || rec->state == JobState::kRecovering) {
        std::string why = controller_->PendingReason(rec->id);
        if (!why.empty()) line += ", waiting: " + why;
      } else if (rec->state == JobState::kRunning || rec->state == JobState::kScheduled) {
        line += " on " + rec->placement;
      } else {
        line += ": " + rec->reason;
      }
      if (rec->attempt_no > 1) line += " [attempt " + std::to_string(rec->attempt_no) + "]";
      if (last_[name] == line) continue;
      last_[name] = line;
      out_ << "  " << name << ": " << line << "\n";
    }
  }

  fs::path file_;
  test_support::TempDir dir_{"skyrun-scenario"};
  SimulatedClock clock_{1'800'000'000LL * kMicrosPerSecond};
  std::unique_ptr<Store> store_;
  std::vector<std::unique_ptr<FakeDriver>> drivers_;
  std::unique_ptr<Controller> controller_;
  std::map<std::string, TenantId> tenants_;
  std::map<std::string, JobId> ids_;
  std::vector<std::string> order_;
  std::map<std::string, std::string> last_;
  std::ostringstream out_;
};

std::vector<std::string> ScenarioNames() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(ScenarioDir()))
    if (e.path().extension() == ".yaml") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

class ScenarioTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioTest, TranscriptMatchesGolden) {
  fs::path file = ScenarioDir() / (GetParam() + ".yaml");
  std::string actual = Scenario(file).Run();
  fs::path golden = file.string() + ".golden";
  if (std::getenv("SKYRUN_UPDATE_GOLDEN")) {
    std::ofstream(golden, std::ios::binary) << actual;
    return;
  }
  ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; run with SKYRUN_UPDATE_GOLDEN=1 and review it";
  std::ifstream in(golden, std::ios::binary);
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(expected.str(), actual) << "golden file: " << golden;
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ScenarioTest, ::testing::ValuesIn(ScenarioNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace skyrun
