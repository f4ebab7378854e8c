// S3rver: a real S3-compatible server (s3rver from the npm registry, pinned
// in scripts/install-deps.sh --test, installed under /opt/skyrun-test-tools)
// started on 127.0.0.1 with a fresh data directory for one test, stopped and
// removed when the object goes. It checks Signature Version 4 with its fixed
// credentials (kAccessKey / kSecretKey), so a wrong key is refused as S3 does.
// Thread-safety: one owner; not shared between threads.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace skyrun::test_support {

class S3rver {
 public:
  static constexpr const char* kAccessKey = "S3RVER";
  static constexpr const char* kSecretKey = "S3RVER";

  // Where s3rver's entry point is expected (SKYRUN_S3RVER overrides).
  static std::string Binary();
  // Whether it is installed; tests skip with the install command otherwise.
  static bool Available();

  // Starts it with `buckets` created; fails the test if it does not answer.
  explicit S3rver(const std::vector<std::string>& buckets);
  ~S3rver();
  S3rver(const S3rver&) = delete;
  S3rver& operator=(const S3rver&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  // Stops it (a later request fails to connect).
  void Stop();

 private:
  TempDir dir_{"skyrun-s3rver"};
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace skyrun::test_support
