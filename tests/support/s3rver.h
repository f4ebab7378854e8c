// S3rver: a real S3-compatible server (s3rver from the npm registry, pinned
// in scripts/install-deps.sh --test, installed under /opt/skyrun-test-tools)
// started on 127.0.0.1 with a fresh data directory for one test, stopped and
// removed when the object goes. Of a Signature Version 4 request it checks
// the access key (kAccessKey; an unknown one is refused with S3's
// InvalidAccessKeyId), not the signature: its V4 verification is
// unimplemented, so the signer is checked against AWS's published examples.
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
