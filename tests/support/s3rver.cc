#include "support/s3rver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace skyrun::test_support {
namespace {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool Answers(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::string S3rver::Binary() {
  if (const char* env = std::getenv("SKYRUN_S3RVER")) return env;
  return "/opt/skyrun-test-tools/node_modules/s3rver/bin/s3rver.js";
}

bool S3rver::Available() {
  return ::access(Binary().c_str(), R_OK) == 0 && ::access("/usr/bin/node", X_OK) == 0;
}

S3rver::S3rver(const std::vector<std::string>& buckets) {
  port_ = FreePort();
  // --openssl-legacy-provider: s3rver enciphers its ListObjectsV2
  // continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
  std::vector<std::string> argv = {"/usr/bin/node",
                                   "--openssl-legacy-provider",
                                   Binary(),
                                   "-d",
                                   dir_.Sub("data"),
                                   "-a",
                                   "127.0.0.1",
                                   "-p",
                                   std::to_string(port_),
                                   "-s"};
  for (const std::string& b : buckets) argv.insert(argv.end(), {"--configure-bucket", b});
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::execv(cargv[0], cargv.data());
    ::_exit(127);
  }
  for (int i = 0; i < 300; ++i) {
    if (Answers(port_)) return;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      ADD_FAILURE() << "s3rver exited at start (status " << status << ")";
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ADD_FAILURE() << "s3rver did not answer on 127.0.0.1:" << port_ << " within 30 s";
}

void S3rver::Stop() {
  if (pid_ <= 0) return;
  ::kill(-pid_, SIGTERM);
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

S3rver::~S3rver() {
  Stop();
}

}  // namespace skyrun::test_support
