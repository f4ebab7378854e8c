// Submission benchmark: durable job submissions per second over loopback HTTP
// (with p50/p99 latency), and submit-to-RUNNING latency on the local pool;
// then the same two figures for a real single-machine Slurm (sbatch), and
// the ratios. Starts everything it measures, on loopback, and stops it.
//
//   build/bench/submit_bench [--seconds S] [--threads N] [--no-slurm]
//
// The skyrun server is the real binary (SKYRUN_BINARY or build/apps/skyrun/skyrun)
// with a fresh state directory; Slurm is started by tests/slurm/slurm_cluster.sh.
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/net.h"

namespace {

using Clock = std::chrono::steady_clock;

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

std::string Run(const std::string& cmd) {
  std::string out;
  FILE* f = ::popen(cmd.c_str(), "r");
  if (!f) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  ::pclose(f);
  return out;
}

struct Figures {
  double submits_per_s = 0, p50_ms = 0, p99_ms = 0, running_p50_ms = 0, running_p99_ms = 0;
  int submitted = 0;
};

struct Server {
  pid_t pid = -1;
  std::string state, url;
  httplib::Headers auth;
};

Server StartServer(const std::string& binary, const std::string& config_yaml) {
  Server s;
  char tmpl[] = "/tmp/skyrun-bench-XXXXXX";
  s.state = ::mkdtemp(tmpl);
  int port = skyrun::PickFreeTcpPort().value();
  std::ofstream(s.state + "/server.yaml") << config_yaml;
  s.pid = ::fork();
  if (s.pid == 0) {
    int fd = ::open((s.state + "/server.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    ::execl(binary.c_str(), binary.c_str(), "server", "--state-dir", s.state.c_str(), "--listen",
            ("127.0.0.1:" + std::to_string(port)).c_str(), "--config", (s.state + "/server.yaml").c_str(),
            nullptr);
    ::_exit(127);
  }
  s.url = "http://127.0.0.1:" + std::to_string(port);
  for (int i = 0; i < 200; ++i) {
    httplib::Client c(s.url);
    if (auto r = c.Get("/healthz"); r && r->status == 200) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::string token;
  std::ifstream(s.state + "/admin.token") >> token;
  s.auth = {{"Authorization", "Bearer " + token}};
  return s;
}

void StopServer(const Server& s) {
  ::kill(s.pid, SIGTERM);
  int st;
  ::waitpid(s.pid, &st, 0);
  Run("pkill -KILL -f " + s.state + " 2>/dev/null");
  std::filesystem::remove_all(s.state);
}

std::string SpecBody(const std::string& yaml) {
  return nlohmann::json{{"spec", yaml}, {"file", "/tmp/bench.yaml"}}.dump();
}

Figures BenchSkyrun(const std::string& binary, double seconds, int threads) {
  Figures f;
  // Phase 1, durable submissions: the pool's one GPU is held by a long job, so
  // every submitted job is stored, admitted and queued, and none is started:
  // the figure is the submission path (HTTP, auth, parse, feasibility, commit).
  Server s = StartServer(binary,
                         "local:\n  nodes:\n    - {name: bench, cpus: 64, memory: 64GiB, "
                         "gpus: {model: T4, count: 1, memory_mb: 16384}}\n");
  {
    httplib::Client c(s.url);
    c.Post("/v1/jobs", s.auth, SpecBody("name: blocker\nresources: {accelerators: T4:1}\nrun: sleep 600\n"),
           "application/json");
  }
  std::string body = SpecBody("name: b\nresources: {accelerators: T4:1, cpus: 0.01}\nrun: 'true'\n");
  std::vector<double> lat;
  std::mutex mu;
  std::atomic<bool> stop{false};
  std::atomic<int> ok{0};
  std::vector<std::thread> workers;
  auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      httplib::Client c(s.url);
      c.set_keep_alive(true);
      c.set_tcp_nodelay(true);
      std::vector<double> mine;
      while (!stop) {
        auto t0 = Clock::now();
        auto r = c.Post("/v1/jobs", s.auth, body, "application/json");
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (r && r->status == 201) {
          mine.push_back(ms);
          ok++;
        }
      }
      std::lock_guard<std::mutex> lock(mu);
      lat.insert(lat.end(), mine.begin(), mine.end());
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  f.submitted = ok;
  f.submits_per_s = ok / elapsed;
  f.p50_ms = Percentile(lat, 0.50);
  f.p99_ms = Percentile(lat, 0.99);
  StopServer(s);

  // Phase 2, submit-to-RUNNING on an idle pool, one job at a time.
  Server r = StartServer(binary, "local:\n  nodes:\n    - {name: bench, cpus: 64, memory: 64GiB}\n");
  std::string sleeper = SpecBody("name: s\nresources: {cpus: 0.01}\nrun: sleep 2\n");
  std::vector<double> to_running;
  httplib::Client c(r.url);
  c.set_tcp_nodelay(true);
  for (int i = 0; i < 40; ++i) {
    auto t0 = Clock::now();
    auto resp = c.Post("/v1/jobs", r.auth, sleeper, "application/json");
    if (!resp || resp->status != 201) continue;
    std::string path = "/v1/jobs/" + std::to_string(nlohmann::json::parse(resp->body)["id"].get<int64_t>());
    while (true) {
      auto g = c.Get(path.c_str(), r.auth);
      if (g && nlohmann::json::parse(g->body)["state"] == "RUNNING") break;
      if (std::chrono::duration<double>(Clock::now() - t0).count() > 10) break;
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
    to_running.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  f.running_p50_ms = Percentile(to_running, 0.5);
  f.running_p99_ms = Percentile(to_running, 0.99);
  StopServer(r);
  return f;
}

Figures BenchSlurm(const std::string& source_dir, double seconds) {
  Figures f;
  std::string script = source_dir + "/tests/slurm/slurm_submit_bench.sh";
  if (!std::filesystem::exists(script)) {
    std::printf("slurm: %s not found; skipped\n", script.c_str());
    return f;
  }
  std::string out =
      Run("bash " + script + " --start -n " + std::to_string(static_cast<int>(seconds * 40)) + " 2>&1");
  std::printf("%s", out.c_str());
  // The script prints key=value lines: sbatch_submissions_per_s, submit_to_running_p50_ms.
  auto value = [&](const std::string& key) {
    size_t pos = out.find(key + "=");
    return pos == std::string::npos ? 0.0 : std::atof(out.c_str() + pos + key.size() + 1);
  };
  f.submits_per_s = value("sbatch_submissions_per_s");
  f.running_p50_ms = value("submit_to_running_p50_ms");
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  int threads = 16;
  bool slurm = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc)
      seconds = std::atof(argv[++i]);
    else if (a == "--threads" && i + 1 < argc)
      threads = std::atoi(argv[++i]);
    else if (a == "--no-slurm")
      slurm = false;
  }
  const char* bin = std::getenv("SKYRUN_BINARY");
  std::string binary = bin ? bin : SKYRUN_DEFAULT_BINARY;
  std::string source = SKYRUN_SOURCE_DIR_DEFAULT;

  Figures s = BenchSkyrun(binary, seconds, threads);
  std::printf("skyrun: %d durable submissions in %.1f s from %d threads: %.0f/s, p50 %.2f ms, p99 %.2f ms\n",
              s.submitted, seconds, threads, s.submits_per_s, s.p50_ms, s.p99_ms);
  std::printf("skyrun: submit-to-RUNNING on the local pool: p50 %.1f ms, p99 %.1f ms\n", s.running_p50_ms,
              s.running_p99_ms);
  if (!slurm) return 0;
  Figures r = BenchSlurm(source, seconds);
  if (r.submits_per_s > 0) {
    std::printf("slurm:  sbatch %.0f/s (sequential); submit-to-RUNNING p50 %.1f ms\n", r.submits_per_s,
                r.running_p50_ms);
    std::printf("ratio:  submissions/s skyrun/slurm = %.1fx; submit-to-RUNNING p50 slurm/skyrun = %.1fx\n",
                s.submits_per_s / r.submits_per_s,
                s.running_p50_ms > 0 ? r.running_p50_ms / s.running_p50_ms : 0.0);
  }
  return 0;
}
