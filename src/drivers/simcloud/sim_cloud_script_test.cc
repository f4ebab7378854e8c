// Data-driven SimCloud cases: each tests/simcloud/<case>.txt holds a simcloud
// config entry, then "---", then a script of commands run against it on a
// simulated clock; the transcript must equal <case>.golden, so a new case is
// a new pair of text files. SKYRUN_UPDATE_GOLDEN=1 rewrites the goldens
// (review the diff).
//
// Commands (one a line, '#' starts a comment):
//   provision type=T [zone=Z] [region=R] [provider=P] [count=N] [spot] [job=J]
//   advance SECONDS          terminate ID
//   instances                events            billing            offers
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "drivers/simcloud/sim_cloud.h"

namespace skyrun {
namespace {

namespace fs = std::filesystem;

constexpr Micros kStart = 1'800'000'000 * kMicrosPerSecond;

std::string Seconds(Micros t) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(t - kStart) / kMicrosPerSecond);
  return buf;
}

std::string Usd(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6f", v);
  return buf;
}

std::string Describe(const ProvisionOutcome& got) {
  if (!got.ok()) {
    const ProvisionError& e = *got.error;
    return std::string("  refused: ") + ProvisionErrorKindName(e.kind) + " error, " +
           FailureScopeName(e.scope) + " scope (provider=" + e.provider + " region=" + e.region +
           " zone=" + e.zone + "): " + e.message + "\n";
  }
  std::string out;
  for (const Instance& in : got.instances) {
    out += "  " + in.id + " " + in.offer.instance_type + " " + in.offer.zone +
           (in.spot ? " spot" : " on-demand") + " ready at " + Seconds(in.ready_at) + "\n";
  }
  return out;
}

std::string Run(SimCloud& cloud, SimulatedClock& clock, const std::string& line) {
  std::vector<std::string> words;
  std::istringstream split(line);
  for (std::string w; split >> w;) words.push_back(w);
  const std::string& cmd = words[0];
  if (cmd == "advance" && words.size() == 2) {
    clock.Advance(static_cast<Micros>(std::stod(words[1]) * kMicrosPerSecond));
    return "";
  }
  if (cmd == "terminate" && words.size() == 2) {
    Status st = cloud.Terminate(words[1]);
    return st.ok() ? "" : "  " + st.ToString() + "\n";
  }
  if (cmd == "provision") {
    ProvisionRequest r;
    for (size_t i = 1; i < words.size(); ++i) {
      const std::string& w = words[i];
      size_t eq = w.find('=');
      std::string key = w.substr(0, eq), value = eq == std::string::npos ? "" : w.substr(eq + 1);
      if (key == "type")
        r.instance_type = value;
      else if (key == "zone")
        r.zone = value;
      else if (key == "region")
        r.region = value;
      else if (key == "provider")
        r.provider = value;
      else if (key == "count")
        r.count = std::stoi(value);
      else if (key == "job")
        r.job_id = JobId(std::stoll(value));
      else if (key == "spot")
        r.spot = true;
      else
        return "  bad argument " + w + "\n";
    }
    return Describe(cloud.Provision(r));
  }
  if (cmd == "instances") {
    std::string out;
    for (const Instance& in : cloud.Instances()) {
      out += "  " + in.id + " " + InstanceStateName(in.state) + " " + in.offer.zone +
             " job=" + in.job_id.ToString();
      if (in.preempt_at > 0) out += " notice=" + Seconds(in.notice_at) + " preempt=" + Seconds(in.preempt_at);
      if (in.ended_at > 0) out += " ended=" + Seconds(in.ended_at);
      out += "\n";
    }
    return out;
  }
  if (cmd == "events") {
    std::string out;
    for (const CapacityEvent& e : cloud.EventsSince(0)) {
      out += "  #" + std::to_string(e.seq) + " " + Seconds(e.time) + " " + CapacityEventKindName(e.kind) +
             " " + (e.instance_id.empty() ? "-" : e.instance_id) + ": " + e.detail + "\n";
    }
    return out;
  }
  if (cmd == "billing") {
    std::string out;
    double total = 0;
    for (const BillingRecord& b : cloud.Billing()) {
      out += "  " + b.instance_id + " " + b.instance_type + (b.spot ? " spot" : " on-demand") + " " +
             Seconds(b.start) + ".." + Seconds(b.end) + (b.open ? " (open)" : "") + " $" + Usd(b.cost_usd) +
             "\n";
      for (const BillingInterval& iv : b.intervals) {
        out += "    " + Seconds(iv.start) + ".." + Seconds(iv.end) + " at $" + Usd(iv.hourly_price) +
               "/h = $" + Usd(iv.cost_usd) + "\n";
      }
      total += b.cost_usd;
    }
    return out + "  total $" + Usd(total) + "\n";
  }
  if (cmd == "offers") {
    std::string out;
    for (const Offer& o : cloud.Offers()) {
      out += "  " + o.provider + " " + o.zone + " " + o.instance_type + " $" + Usd(o.price) +
             (o.spot_price ? " spot $" + Usd(*o.spot_price) : " no spot") + "\n";
    }
    return out;
  }
  return "  unknown command\n";
}

std::string Transcript(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  size_t sep = text.find("\n---\n");
  if (sep == std::string::npos) return "no '---' between the config and the script\n";
  auto config = ParseSimCloudConfig(YAML::Load(text.substr(0, sep)), file.filename().string(), "simcloud[0]");
  if (!config.ok()) return "config: " + config.status().ToString() + "\n";
  SimulatedClock clock(kStart);
  auto cloud = SimCloud::Create(*config, clock);
  if (!cloud.ok()) return "create: " + cloud.status().ToString() + "\n";
  std::string out;
  std::istringstream script(text.substr(sep + 5));
  std::string line;
  while (std::getline(script, line)) {
    line = Trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    out += "> " + line + "\n" + Run(**cloud, clock, line);
  }
  return out;
}

TEST(SimCloudScriptTest, EveryCaseMatchesItsGolden) {
  const fs::path dir = fs::path(SKYRUN_SIMCLOUD_TESTDATA);
  const bool update = std::getenv("SKYRUN_UPDATE_GOLDEN") != nullptr;
  int cases = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".txt") continue;
    ++cases;
    const std::string got = Transcript(entry.path());
    fs::path golden = entry.path();
    golden.replace_extension(".golden");
    if (update) {
      std::ofstream(golden) << got;
      continue;
    }
    std::ifstream in(golden);
    std::stringstream want;
    want << in.rdbuf();
    EXPECT_EQ(got, want.str()) << entry.path()
                               << " differs from its golden (SKYRUN_UPDATE_GOLDEN=1 rewrites it)";
  }
  EXPECT_GE(cases, 3);
}

}  // namespace
}  // namespace skyrun
