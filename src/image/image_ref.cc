#include "image/image_ref.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <regex>

#include "common/strings.h"

namespace skyrun::image {
namespace {

constexpr const char* kDockerHub = "registry-1.docker.io";

Status Bad(std::string_view text, const std::string& why) {
  return InvalidArgument("image reference '" + std::string(text) + "': " + why +
                         " (expected host[:port]/repo[:tag] or host[:port]/repo@sha256:<64 hex>)");
}

bool ValidHost(const std::string& host) {
  static const std::regex kHost(
      R"(^([A-Za-z0-9]([A-Za-z0-9-]{0,62})?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62})?)*(:[0-9]{1,5})?$)");
  static const std::regex kIpv6(R"(^\[[0-9a-fA-F:]+\](:[0-9]{1,5})?$)");
  if (host.size() > 255) return false;
  if (!std::regex_match(host, kHost) && !std::regex_match(host, kIpv6)) return false;
  size_t colon = host.rfind(':');
  size_t bracket = host.rfind(']');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    std::optional<int64_t> port = ParseInt64(host.substr(colon + 1));
    if (!port || *port < 1 || *port > 65535) return false;
  }
  return true;
}

}  // namespace

std::string ImageRef::ToString() const {
  std::string out = registry + "/" + repository;
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

bool ImageRef::IsLoopback() const {
  std::string host = registry;
  if (!host.empty() && host[0] == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string::npos) {
    host = host.substr(0, colon);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Result<ImageRef> ParseImageRef(std::string_view text) {
  if (text.empty()) return Bad(text, "it is empty");
  if (text.size() > 512) return Bad(text.substr(0, 64), "it is longer than 512 characters");
  for (char c : text) {
    if (c <= ' ' || c >= 127) return Bad(text, "it contains a space, control or non-ASCII character");
  }
  ImageRef ref;
  std::string rest(text);
  if (size_t at = rest.find('@'); at != std::string::npos) {
    ref.digest = rest.substr(at + 1);
    rest = rest.substr(0, at);
    if (!IsSha256Digest(ref.digest)) {
      return Bad(text, "the digest '" + ref.digest + "' is not sha256: followed by 64 lowercase hex digits");
    }
  }
  // A ':' after the last '/' starts the tag (one before it is a port).
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    ref.tag = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    static const std::regex kTag(R"(^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$)");
    if (!std::regex_match(ref.tag, kTag)) {
      return Bad(text, "the tag '" + ref.tag + "' is not 1-128 of [A-Za-z0-9_.-] starting with [A-Za-z0-9_]");
    }
  }
  std::vector<std::string> parts = Split(rest, '/');
  if (parts.size() > 1 && (parts[0].find_first_of(".:") != std::string::npos || parts[0] == "localhost" ||
                           (!parts[0].empty() && parts[0][0] == '['))) {
    ref.registry = parts[0];
    parts.erase(parts.begin());
    if (!ValidHost(ref.registry)) return Bad(text, "the registry host '" + ref.registry + "' is malformed");
  } else {
    ref.registry = kDockerHub;
    if (parts.size() == 1) parts.insert(parts.begin(), "library");
  }
  if (ref.registry == "docker.io" || ref.registry == "index.docker.io") ref.registry = kDockerHub;
  static const std::regex kComponent(R"(^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$)");
  for (size_t i = 0; i < parts.size(); ++i) {
    if (!std::regex_match(parts[i], kComponent)) {
      return Bad(text, "repository component " + std::to_string(i + 1) + " '" + parts[i] +
                           "' is not lowercase letters and digits separated by '.', '_', '__' or '-'");
    }
  }
  if (parts.empty()) return Bad(text, "it names no repository");
  ref.repository = Join(parts, "/");
  if (ref.repository.size() > 255) return Bad(text, "the repository name is longer than 255 characters");
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = "latest";
  return ref;
}

bool IsSha256Digest(std::string_view digest) {
  if (digest.size() != 71 || digest.substr(0, 7) != "sha256:") return false;
  for (char c : digest.substr(7)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string DigestHex(std::string_view digest) {
  return std::string(digest.substr(7));
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}

Sha256::~Sha256() {
  EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

void Sha256::Update(const void* data, size_t size) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data, size);
}

std::string Sha256::Finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &len);
  return "sha256:" + HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string Sha256Digest(std::string_view bytes) {
  Sha256 h;
  h.Update(bytes.data(), bytes.size());
  return h.Finish();
}

Result<std::string> Sha256OfFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return NotFound("cannot open " + path + ": " + std::strerror(errno));
  Sha256 h;
  std::vector<char> buf(1 << 20);
  while (true) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return Internal("cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    h.Update(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return h.Finish();
}

}  // namespace skyrun::image
