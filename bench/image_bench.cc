// image_bench: time from submit to RUNNING on the local backend for a job
// whose image must be pulled cold (~500 MB of random, incompressible layers
// from a docker-registry on loopback) and for the same image once cached,
// and the image cache's disk use. Runs the real server (tests/integration's
// harness) and registry (tests/support/oci_registry.h).
//   build/bench/image_bench [MiB, default 500] [layers, default 4]
// The image's base layer is the tests' Python root file system
// (build/test-cache/rootfs-py.tar, made by tests/image/make_python_rootfs.sh).
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include "server_harness.h"
#include "support/oci_registry.h"

namespace fs = std::filesystem;
using skyrun::test_support::LayerBuilder;
using skyrun::test_support::LoopbackRegistry;
using skyrun::test_support::PushedLayer;
using skyrun::testing::ServerHarness;

namespace {

std::string RandomBytes(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (size_t i = 0; i + 8 <= n; i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(&out[i], &x, 8);
  }
  return out;
}

int64_t DiskUse(const std::string& dir) {
  int64_t total = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    struct stat st;
    if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += st.st_blocks * 512;
  }
  return total;
}

// Seconds from submit until the job is RUNNING (or -1).
double SubmitToRunning(ServerHarness& server, const std::string& image, const std::string& name) {
  auto start = std::chrono::steady_clock::now();
  int64_t id = server.Submit("name: " + name + "\nimage: " + image + "\nresources: {cpus: 1}\nrun: sleep 2\n",
                             "bench.yaml");
  if (id <= 0) return -1;
  std::string state = server.WaitForState(id, {"RUNNING", "SUCCEEDED", "FAILED", "LOST"}, 600);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (state != "RUNNING" && state != "SUCCEEDED") {
    std::cerr << "job " << id << " ended " << state << ": " << server.Job(id).dump() << "\n";
    return -1;
  }
  server.WaitForState(id, {"SUCCEEDED", "FAILED", "LOST"}, 60);
  return secs;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t mib = argc > 1 ? std::stoll(argv[1]) : 500;
  const int layers = argc > 2 ? std::stoi(argv[2]) : 4;
  std::string tar = std::string(SKYRUN_TEST_CACHE_DIR) + "/rootfs-py.tar";
  if (!fs::exists(tar)) {
    std::string cmd = "sh " + ServerHarness::SourceDir() + "/tests/image/make_python_rootfs.sh " + tar;
    if (std::system(cmd.c_str()) != 0) {
      std::cerr << "cannot build " << tar << "\n";
      return 1;
    }
  }
  LoopbackRegistry registry;
  std::string why;
  if (!registry.Start(&why)) {
    std::cerr << why << "\n";
    return 1;
  }
  std::ifstream in(tar, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<PushedLayer> pushed = {{ss.str(), false}};
  int64_t random_bytes = 0;
  for (int i = 0; i < layers; ++i) {
    std::string data = RandomBytes(static_cast<size_t>(mib << 20) / layers, i + 1);
    random_bytes += static_cast<int64_t>(data.size());
    pushed.push_back({LayerBuilder().File("data/blob" + std::to_string(i), data).Build(false), false});
  }
  int64_t image_bytes = 0;
  for (const auto& l : pushed) image_bytes += static_cast<int64_t>(l.bytes.size());
  registry.Push("bench/big", "1", pushed);
  pushed.clear();
  const std::string image = registry.host() + "/bench/big:1";

  ServerHarness server("local:\n  nodes:\n    - {name: box, cpus: 4, memory: 8GiB}\n");
  server.Start();
  // The server's own overhead without an image, for reference.
  auto start = std::chrono::steady_clock::now();
  int64_t plain = server.Submit("name: plain\nresources: {cpus: 1}\nrun: sleep 2\n", "bench.yaml");
  server.WaitForState(plain, {"RUNNING", "SUCCEEDED"}, 60);
  double no_image = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cold = SubmitToRunning(server, image, "cold");
  double warm = SubmitToRunning(server, image, "warm");
  double warm2 = SubmitToRunning(server, image, "warm2");
  const std::string images = server.state_dir() + "/images";
  std::printf("image: %lld layers, %.1f MiB (random %.1f MiB + Python base %.1f MiB), uncompressed tar\n",
              static_cast<long long>(layers + 1), image_bytes / 1048576.0, random_bytes / 1048576.0,
              (image_bytes - random_bytes) / 1048576.0);
  std::printf("submit -> RUNNING, no image:      %7.3f s\n", no_image);
  std::printf("submit -> RUNNING, cold pull:     %7.3f s\n", cold);
  std::printf("submit -> RUNNING, cached image:  %7.3f s, %7.3f s\n", warm, warm2);
  std::printf("cache disk use: blobs %.1f MiB, unpacked trees %.1f MiB, total %.1f MiB\n",
              DiskUse(images + "/blobs") / 1048576.0, DiskUse(images + "/rootfs") / 1048576.0,
              DiskUse(images) / 1048576.0);
  return cold > 0 && warm > 0 ? 0 : 1;
}
