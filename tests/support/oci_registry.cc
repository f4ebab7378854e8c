#include "support/oci_registry.h"

#include <archive.h>
#include <archive_entry.h>
#include <crypt.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
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

std::string ZstdCompress(const std::string& bytes) {
  TempDir dir("zstd");
  const std::string in = dir.Write("in", bytes);
  const std::string cmd = "zstd -q -f -19 '" + in + "' -o '" + in + ".zst'";
  if (std::system(cmd.c_str()) != 0) {
    ADD_FAILURE() << cmd << " failed: is the zstd package installed (scripts/install-deps.sh --test)?";
    return "";
  }
  std::ifstream f(in + ".zst", std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

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

namespace {

// Base64 (url-safe without padding for JWTs; standard with padding for Basic auth).
std::string Base64(const unsigned char* data, size_t n, bool url) {
  const char* alphabet = url ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                             : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = static_cast<uint32_t>(data[i]) << 16;
    if (i + 1 < n) v |= static_cast<uint32_t>(data[i + 1]) << 8;
    if (i + 2 < n) v |= data[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
    out += i + 2 < n ? alphabet[v & 63] : '=';
  }
  if (url) {
    while (!out.empty() && out.back() == '=') out.pop_back();
  }
  return out;
}

std::string Base64Url(const std::string& s) {
  return Base64(reinterpret_cast<const unsigned char*>(s.data()), s.size(), true);
}

std::string Base64Std(const std::string& s) {
  return Base64(reinterpret_cast<const unsigned char*>(s.data()), s.size(), false);
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

// The token server of token auth: GET /token?service=S&scope=repository:R:pull
// with the right Basic credentials answers {"token": JWT}; wrong or missing
// ones get 401. Its key and self-signed certificate are made by `openssl req`.
class TokenServer {
 public:
  TokenServer(const TempDir& dir, std::string user, std::string password)
      : user_(std::move(user)), password_(std::move(password)) {
    key_path_ = dir.Sub("token.key");
    cert_path_ = dir.Sub("token.crt");
    const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key_path_ + " -out " +
                            cert_path_ + " -days 2 -subj /CN=skyrun-test-token-issuer >" +
                            dir.Sub("openssl.log") + " 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << Slurp(dir.Sub("openssl.log"));
    // The certificate's DER, base64 (the PEM body), for the JWT's x5c.
    std::string pem = Slurp(cert_path_), body;
    std::istringstream lines(pem);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("-----", 0) != 0) body += line;
    }
    cert_der_b64_ = body;
    FILE* f = std::fopen(key_path_.c_str(), "r");
    EXPECT_NE(f, nullptr);
    if (f != nullptr) {
      key_ = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
      std::fclose(f);
    }
    EXPECT_NE(key_, nullptr);
    server_.Get("/token", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string expected = "Basic " + Base64Std(user_ + ":" + password_);
      if (req.get_header_value("Authorization") != expected) {
        ++refused_;
        res.status = 401;
        res.set_content(R"({"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]})",
                        "application/json");
        return;
      }
      // scope=repository:NAME:pull[,push]
      std::string scope = req.get_param_value("scope"), repo;
      std::vector<std::string> actions;
      if (scope.rfind("repository:", 0) == 0) {
        size_t last = scope.rfind(':');
        repo = scope.substr(11, last - 11);
        std::string acts = scope.substr(last + 1);
        for (size_t at = 0; at <= acts.size();) {
          size_t comma = acts.find(',', at);
          if (comma == std::string::npos) comma = acts.size();
          actions.push_back(acts.substr(at, comma - at));
          at = comma + 1;
        }
      }
      ++issued_;
      nlohmann::json answer = {{"token", Issue(repo, actions)}, {"expires_in", 600}};
      res.set_content(answer.dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    EXPECT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~TokenServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
    EVP_PKEY_free(key_);
  }
  std::string realm() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }
  const std::string& cert_path() const { return cert_path_; }
  int issued() const { return issued_; }
  int refused() const { return refused_; }

  // An RS256 JWT granting `actions` on repository `repo`.
  std::string Issue(const std::string& repo, const std::vector<std::string>& actions) const {
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    nlohmann::json header = {{"typ", "JWT"}, {"alg", "RS256"}, {"x5c", {cert_der_b64_}}};
    nlohmann::json claims = {{"iss", kIssuer},
                             {"sub", user_},
                             {"aud", kService},
                             {"exp", now + 600},
                             {"nbf", now - 60},
                             {"iat", now},
                             {"jti", std::to_string(now) + "-" + std::to_string(++serial_)},
                             {"access", nlohmann::json::array()}};
    if (!repo.empty()) {
      claims["access"].push_back({{"type", "repository"}, {"name", repo}, {"actions", actions}});
    }
    const std::string signing_input = Base64Url(header.dump()) + "." + Base64Url(claims.dump());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    std::string sig;
    if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_) == 1 &&
        EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(signing_input.data()),
                       signing_input.size()) == 1) {
      sig.resize(len);
      if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                         reinterpret_cast<const unsigned char*>(signing_input.data()),
                         signing_input.size()) != 1) {
        sig.clear();
      }
      sig.resize(len);
    }
    EVP_MD_CTX_free(ctx);
    EXPECT_FALSE(sig.empty()) << "signing the token failed";
    return signing_input + "." + Base64Url(sig);
  }

  static constexpr const char* kIssuer = "skyrun-test-issuer";
  static constexpr const char* kService = "skyrun-test-registry";

 private:
  std::string user_, password_;
  std::string key_path_, cert_path_, cert_der_b64_;
  EVP_PKEY* key_ = nullptr;
  int port_ = 0;
  httplib::Server server_;
  std::thread thread_;
  std::atomic<int> issued_{0}, refused_{0};
  mutable std::atomic<int> serial_{0};
};

LoopbackRegistry::LoopbackRegistry() = default;

LoopbackRegistry::~LoopbackRegistry() {
  Stop();
}

void LoopbackRegistry::RequireBasicAuth(const std::string& user, const std::string& password) {
  auth_ = Auth::kBasic;
  user_ = user;
  password_ = password;
}

void LoopbackRegistry::RequireTokenAuth(const std::string& user, const std::string& password) {
  auth_ = Auth::kToken;
  user_ = user;
  password_ = password;
}

int LoopbackRegistry::TokensIssued() const {
  return tokens_ ? tokens_->issued() : 0;
}

int LoopbackRegistry::TokensRefused() const {
  return tokens_ ? tokens_->refused() : 0;
}

void LoopbackRegistry::Authorize(httplib::Client& client, const std::string& repo) const {
  if (auth_ == Auth::kBasic) client.set_basic_auth(user_, password_);
  if (auth_ == Auth::kToken) client.set_bearer_token_auth(tokens_->Issue(repo, {"pull", "push"}));
}

bool LoopbackRegistry::Start(std::string* why) {
  if (::access("/usr/bin/docker-registry", X_OK) != 0) {
    *why = "/usr/bin/docker-registry is not installed (scripts/install-deps.sh --test)";
    return false;
  }
  port_ = FreePort();
  std::string auth;
  if (auth_ == Auth::kBasic) {
    // bcrypt, as docker-registry's htpasswd requires.
    char salt[CRYPT_GENSALT_OUTPUT_SIZE];
    if (crypt_gensalt_rn("$2b$", 10, nullptr, 0, salt, sizeof salt) == nullptr) {
      *why = "libcrypt cannot make a bcrypt salt";
      return false;
    }
    crypt_data data{};
    const char* hash = crypt_r(password_.c_str(), salt, &data);
    if (hash == nullptr || hash[0] != '$') {
      *why = "libcrypt cannot hash with bcrypt";
      return false;
    }
    std::string htpasswd = dir_.Write("htpasswd", user_ + ":" + hash + "\n");
    auth = "auth:\n  htpasswd:\n    realm: skyrun-test\n    path: " + htpasswd + "\n";
  } else if (auth_ == Auth::kToken) {
    tokens_ = std::make_unique<TokenServer>(dir_, user_, password_);
    auth = "auth:\n  token:\n    realm: " + tokens_->realm() + "\n    service: " + TokenServer::kService +
           "\n    issuer: " + TokenServer::kIssuer + "\n    rootcertbundle: " + tokens_->cert_path() + "\n";
  }
  std::string config = dir_.Write("config.yml",
                                  "version: 0.1\nlog:\n  level: info\n  formatter: text\n"
                                  "storage:\n  filesystem:\n    rootdirectory: " +
                                      dir_.Sub("storage") +
                                      "\n  delete:\n    enabled: true\n"
                                      "http:\n  addr: 127.0.0.1:" +
                                      std::to_string(port_) + "\n" + auth);
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
    // With auth, an anonymous /v2/ is answered 401: the registry is up.
    if (res && (res->status == 200 || (auth_ != Auth::kNone && res->status == 401))) return true;
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
  Authorize(c, repo);
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
  Authorize(c, repo);
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
    std::string media_type = !l.media_type.empty() ? l.media_type
                             : l.gzip              ? "application/vnd.oci.image.layer.v1.tar+gzip"
                                                   : "application/vnd.oci.image.layer.v1.tar";
    layer_descs.push_back({{"mediaType", media_type}, {"digest", digest}, {"size", l.bytes.size()}});
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
