// Seeded randomness, injected: the simulator and tests replay exactly.
// Thread-safety: not thread-safe; give each user its own Rng.
#pragma once

#include <cstdint>
#include <random>

namespace skyrun {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  uint64_t Next() { return engine_(); }
  // Uniform integer in [lo, hi].
  int64_t UniformInt(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(engine_);
  }
  // Uniform real in [0, 1).
  double Uniform01() { return std::uniform_real_distribution<double>(0.0, 1.0)(engine_); }
  std::mt19937_64& engine() { return engine_; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace skyrun
