#include "support/oci_registry.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

namespace skyrun::test_support {
namespace {

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

std::string DigestOf(const std::string& bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

LayerBuilder& LayerBuilder::Dir(const std::string& path, int mode) {
  entries_.push_back({'d', path, "", mode});
  return *this;
}
LayerBuilder& LayerBuilder::File(const std::string& path, const std::string& content, int mode) {
  entries_.push_back({'f', path, content, mode});
  return *this;
}
LayerBuilder& LayerBuilder::Symlink(const std::string& path, const std::string& target) {
  entries_.push_back({'l', path, target, 0777});
  return *this;
}
LayerBuilder& LayerBuilder::Hardlink(const std::string& path, const std::string& target) {
  entries_.push_back({'h', path, target, 0644});
  return *this;
}
LayerBuilder& LayerBuilder::CharDevice(const std::string& path) {
  entries_.push_back({'c', path, "", 0666});
  return *this;
}

std::string LayerBuilder::Build(bool gzip) const {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (gzip) archive_write_add_filter_gzip(a);
  archive_write_open(
      a, &out, nullptr,
      [](struct archive*, void* client, const void* buf, size_t n) -> la_ssize_t {
        static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr);
  for (const Entry& e : entries_) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_perm(entry, static_cast<mode_t>(e.mode));
    archive_entry_set_mtime(entry, 1700000000, 0);
    switch (e.kind) {
      case 'd': archive_entry_set_filetype(entry, AE_IFDIR); break;
      case 'f':
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
        break;
      case 'l':
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, e.content.c_str());
        break;
      case 'h':
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_hardlink(entry, e.content.c_str());
        break;
      case 'c':
        archive_entry_set_filetype(entry, AE_IFCHR);
        archive_entry_set_rdevmajor(entry, 1);
        archive_entry_set_rdevminor(entry, 3);
        break;
    }
    archive_write_header(a, entry);
    if (e.kind == 'f' && !e.content.empty()) archive_write_data(a, e.content.data(), e.content.size());
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

LoopbackRegistry::LoopbackRegistry() = default;

LoopbackRegistry::~LoopbackRegistry() {
  Stop();
}

bool LoopbackRegistry::Start(std::string* why) {
  if (::access("/usr/bin/docker-registry", X_OK) != 0) {
    *why = "/usr/bin/docker-registry is not installed (scripts/install-deps.sh --test)";
    return false;
  }
  port_ = FreePort();
  std::string config = dir_.Write("config.yml",
                                  "version: 0.1\nlog:\n  level: info\n  formatter: text\n"
                                  "storage:\n  filesystem:\n    rootdirectory: " +
                                      dir_.Sub("storage") +
                                      "\n  delete:\n    enabled: true\n"
                                      "http:\n  addr: 127.0.0.1:" +
                                      std::to_string(port_) + "\n");
  std::string log = dir_.Sub("registry.log");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    ::execl("/usr/bin/docker-registry", "docker-registry", "serve", config.c_str(), nullptr);
    ::_exit(127);
  }
  httplib::Client c("127.0.0.1", port_);
  for (int i = 0; i < 200; ++i) {
    auto res = c.Get("/v2/");
    if (res && res->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *why = "docker-registry did not answer /v2/ within 10 s (see " + log + ")";
  Stop();
  return false;
}

void LoopbackRegistry::Stop() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }
}

std::string LoopbackRegistry::PushBlob(const std::string& repo, const std::string& bytes) {
  std::string digest = DigestOf(bytes);
  httplib::Client c("127.0.0.1", port_);
  c.set_read_timeout(300, 0);
  c.set_write_timeout(300, 0);
  auto head = c.Head(("/v2/" + repo + "/blobs/" + digest).c_str());
  if (head && head->status == 200) return digest;
  auto start = c.Post(("/v2/" + repo + "/blobs/uploads/").c_str());
  EXPECT_TRUE(start && start->status == 202) << (start ? start->body : "no answer");
  if (!start) return digest;
  std::string location = start->get_header_value("Location");
  size_t path_at = location.find("/v2/");
  location = location.substr(path_at);
  location += (location.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + digest;
  auto put = c.Put(location.c_str(), bytes, "application/octet-stream");
  EXPECT_TRUE(put && put->status == 201) << (put ? put->body : "no answer");
  return digest;
}

std::string LoopbackRegistry::PushManifest(const std::string& repo, const std::string& tag,
                                           const std::string& body, const std::string& media_type) {
  httplib::Client c("127.0.0.1", port_);
  auto put = c.Put(("/v2/" + repo + "/manifests/" + tag).c_str(), body, media_type.c_str());
  EXPECT_TRUE(put && put->status == 201) << (put ? put->body : "no answer");
  return DigestOf(body);
}

std::string LoopbackRegistry::Push(const std::string& repo, const std::string& tag,
                                   const std::vector<PushedLayer>& layers,
                                   const std::string& config_object_json) {
  nlohmann::json diff_ids = nlohmann::json::array();
  nlohmann::json layer_descs = nlohmann::json::array();
  for (const PushedLayer& l : layers) {
    std::string digest = PushBlob(repo, l.bytes);
    diff_ids.push_back(digest);  // not the uncompressed digest for gzip layers; skyrun does not read it
    layer_descs.push_back({{"mediaType", l.gzip ? "application/vnd.oci.image.layer.v1.tar+gzip"
                                                : "application/vnd.oci.image.layer.v1.tar"},
                           {"digest", digest},
                           {"size", l.bytes.size()}});
  }
  nlohmann::json config = {{"architecture", "amd64"},
                           {"os", "linux"},
                           {"config", nlohmann::json::parse(config_object_json)},
                           {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  std::string config_bytes = config.dump();
  std::string config_digest = PushBlob(repo, config_bytes);
  nlohmann::json manifest = {{"schemaVersion", 2},
                             {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                             {"config",
                              {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                               {"digest", config_digest},
                               {"size", config_bytes.size()}}},
                             {"layers", layer_descs}};
  return PushManifest(repo, tag, manifest.dump(), "application/vnd.oci.image.manifest.v1+json");
}

int LoopbackRegistry::BlobGets(const std::string& digest) const {
  std::ifstream in(dir_.Sub("registry.log"));
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.find("\"GET /v2/") != std::string::npos && line.find("/blobs/" + digest) != std::string::npos)
      ++n;
  }
  return n;
}

}  // namespace skyrun::test_support
