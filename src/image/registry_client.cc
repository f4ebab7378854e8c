#include "image/registry_client.h"

#include <fcntl.h>
#include <httplib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "image/manifest.h"

namespace skyrun::image {
namespace {

constexpr size_t kMaxManifestBytes = 4 << 20;
constexpr size_t kMaxErrorBytes = 64 << 10;

std::string Base64(const std::string& in) {
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kChars[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += kChars[(v >> 18) & 63];
    out += kChars[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kChars[(v >> 18) & 63];
    out += kChars[(v >> 12) & 63];
    out += kChars[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// The registry's error code ("MANIFEST_UNKNOWN") from its JSON error body.
std::string ErrorCode(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
    const auto& e = j["errors"][0];
    if (e.is_object() && e.contains("code") && e["code"].is_string()) {
      std::string code = e["code"].get<std::string>().substr(0, 64);
      for (char& c : code) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '?';
      }
      return code;
    }
  }
  return "";
}

void ConfigureClient(httplib::Client& c, const RegistryAccess& access) {
  c.set_connection_timeout(access.connect_timeout_seconds, 0);
  c.set_read_timeout(access.read_timeout_seconds, 0);
  c.set_follow_location(true);
  c.enable_server_certificate_verification(true);
}

}  // namespace

AuthChallenge ParseAuthChallenge(const std::string& header) {
  AuthChallenge c;
  std::string h = Trim(header);
  size_t space = h.find(' ');
  c.scheme = h.substr(0, space);
  if (space == std::string::npos) return c;
  std::string rest = h.substr(space + 1);
  size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && (rest[i] == ' ' || rest[i] == ',')) ++i;
    size_t eq = rest.find('=', i);
    if (eq == std::string::npos) break;
    std::string key = ToLower(Trim(rest.substr(i, eq - i)));
    i = eq + 1;
    std::string value;
    if (i < rest.size() && rest[i] == '"') {
      ++i;
      while (i < rest.size() && rest[i] != '"') {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value += rest[i++];
      }
      ++i;
    } else {
      size_t end = rest.find(',', i);
      value = Trim(rest.substr(i, end == std::string::npos ? std::string::npos : end - i));
      i = end == std::string::npos ? rest.size() : end;
    }
    c.params[key] = value;
  }
  return c;
}

RegistryClient::RegistryClient(ImageRef ref, RegistryAccess access)
    : ref_(std::move(ref)), access_(std::move(access)) {
  client_ = std::make_unique<httplib::Client>(Origin());
  ConfigureClient(*client_, access_);
}

RegistryClient::~RegistryClient() = default;

std::string RegistryClient::Origin() const {
  bool plain = access_.insecure || ref_.IsLoopback();
  return std::string(plain ? "http://" : "https://") + ref_.registry;
}

Result<RegistryClient::Answer> RegistryClient::Get(const std::string& path, const std::string& accept,
                                                   const std::function<bool(const char*, size_t)>& sink) {
  httplib::Headers headers;
  if (!accept.empty()) headers.emplace("Accept", accept);
  if (!authorization_.empty()) headers.emplace("Authorization", authorization_);
  Answer answer;
  auto res = client_->Get(
      path, headers,
      [&](const httplib::Response& r) {
        answer.status = r.status;
        answer.content_type = r.get_header_value("Content-Type");
        answer.digest_header = r.get_header_value("Docker-Content-Digest");
        answer.www_authenticate = r.get_header_value("WWW-Authenticate");
        return true;
      },
      [&](const char* data, size_t len) {
        if (answer.status == 200 && sink) return sink(data, len);
        if (answer.body.size() + len > (answer.status == 200 ? kMaxManifestBytes : kMaxErrorBytes))
          return false;
        answer.body.append(data, len);
        return true;
      });
  if (!res && answer.status == 0) {
    return Unavailable("registry " + ref_.registry + " could not be reached (" + Origin() +
                       "): " + httplib::to_string(res.error()));
  }
  if (!res && answer.status != 200) {
    // A refusal whose body was cut short still says what it is.
  } else if (!res) {
    return Unavailable("registry " + ref_.registry + ": the transfer of " + path +
                       " broke off: " + httplib::to_string(res.error()));
  }
  return answer;
}

Status RegistryClient::Authorize(const std::string& header) {
  AuthChallenge c = ParseAuthChallenge(header);
  std::string scheme = ToLower(c.scheme);
  const bool have_credentials = !access_.username.empty();
  if (scheme == "basic") {
    if (!have_credentials) {
      return Unauthenticated("registry " + ref_.registry + " asks for a username and password (Basic) for " +
                             ref_.repository + "; set images.registries." + ref_.registry +
                             ".username and password_file in the server config");
    }
    authorization_ = "Basic " + Base64(access_.username + ":" + access_.password);
    return Status::Ok();
  }
  if (scheme != "bearer" || !c.params.count("realm")) {
    return Unauthenticated("registry " + ref_.registry +
                           " answered 401 with a challenge skyrun cannot meet ('" + c.scheme.substr(0, 32) +
                           "')");
  }
  std::string realm = c.params["realm"];
  // realm = scheme://host[:port]/path
  size_t scheme_end = realm.find("://");
  if (scheme_end == std::string::npos) {
    return Unauthenticated("registry " + ref_.registry + " named a token realm that is not a URL");
  }
  size_t path_start = realm.find('/', scheme_end + 3);
  std::string origin = realm.substr(0, path_start);
  std::string path = path_start == std::string::npos ? "/" : realm.substr(path_start);
  if (origin.rfind("http://", 0) == 0 && !(access_.insecure || ref_.IsLoopback())) {
    return Unauthenticated("registry " + ref_.registry +
                           " named a plain-http token realm; mark it insecure " +
                           "in images.registries to allow that");
  }
  std::string scope = c.params.count("scope") ? c.params["scope"] : "repository:" + ref_.repository + ":pull";
  std::string query = "scope=" + UrlEncode(scope);
  if (c.params.count("service")) query += "&service=" + UrlEncode(c.params["service"]);
  path += (path.find('?') == std::string::npos ? "?" : "&") + query;
  httplib::Client token_client(origin);
  ConfigureClient(token_client, access_);
  httplib::Headers headers;
  if (have_credentials)
    headers.emplace("Authorization", "Basic " + Base64(access_.username + ":" + access_.password));
  auto res = token_client.Get(path, headers);
  if (!res) {
    return Unavailable("the token service of registry " + ref_.registry +
                       " could not be reached: " + httplib::to_string(res.error()));
  }
  if (res->status != 200) {
    std::string code = ErrorCode(res->body);
    return Unauthenticated("the token service of registry " + ref_.registry + " answered " +
                           std::to_string(res->status) + (code.empty() ? "" : " " + code) + " for " +
                           ref_.repository +
                           (have_credentials ? " (check the configured username and password)"
                                             : " (no credentials are configured for it)"));
  }
  auto j = nlohmann::json::parse(res->body, nullptr, false);
  std::string token;
  if (j.is_object() && j.contains("token") && j["token"].is_string()) token = j["token"].get<std::string>();
  if (token.empty() && j.is_object() && j.contains("access_token") && j["access_token"].is_string())
    token = j["access_token"].get<std::string>();
  if (token.empty()) {
    return Unauthenticated("the token service of registry " + ref_.registry + " answered no token");
  }
  authorization_ = "Bearer " + token;
  return Status::Ok();
}

Result<RegistryClient::Answer> RegistryClient::GetAuthorized(
    const std::string& path, const std::string& accept,
    const std::function<bool(const char*, size_t)>& sink) {
  SKYRUN_ASSIGN_OR_RETURN(Answer answer, Get(path, accept, sink));
  if (answer.status != 401) return answer;
  SKYRUN_RETURN_IF_ERROR(Authorize(answer.www_authenticate));
  return Get(path, accept, sink);
}

Status RegistryClient::Refusal(const Answer& answer, const std::string& what) const {
  std::string code = ErrorCode(answer.body);
  std::string msg = "registry " + ref_.registry + " answered " + std::to_string(answer.status) +
                    (code.empty() ? "" : " " + code) + " for " + what;
  if (answer.status == 401 || answer.status == 403) return PermissionDenied(msg);
  if (answer.status == 404) return NotFound(msg);
  if (answer.status == 429 || answer.status >= 500) return Unavailable(msg);
  return FailedPrecondition(msg);
}

Result<ManifestAnswer> RegistryClient::GetManifest(const std::string& reference) {
  std::string what = ref_.repository + (IsSha256Digest(reference) ? "@" : ":") + reference;
  SKYRUN_ASSIGN_OR_RETURN(Answer answer, GetAuthorized("/v2/" + ref_.repository + "/manifests/" + reference,
                                                       ManifestAccept(), {}));
  if (answer.status != 200) return Refusal(answer, what);
  ManifestAnswer m;
  m.body = std::move(answer.body);
  m.content_type = answer.content_type;
  m.digest = Sha256Digest(m.body);
  if (!answer.digest_header.empty() && answer.digest_header != m.digest &&
      IsSha256Digest(answer.digest_header)) {
    return FailedPrecondition("registry " + ref_.registry + " sent a manifest for " + what +
                              " whose content (" + m.digest + ") does not match its Docker-Content-Digest " +
                              answer.digest_header);
  }
  if (IsSha256Digest(reference) && reference != m.digest) {
    return FailedPrecondition("registry " + ref_.registry + " sent a manifest for " + what +
                              " whose content hashes to " + m.digest);
  }
  return m;
}

Result<int64_t> RegistryClient::FetchBlob(const std::string& digest, const std::string& dest,
                                          int64_t max_bytes, const std::function<void(int64_t)>& progress) {
  int fd = ::open(dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Internal("cannot create " + dest + ": " + std::strerror(errno));
  int64_t written = 0;
  std::string failure;
  auto sink = [&](const char* data, size_t len) {
    if (written + static_cast<int64_t>(len) > max_bytes) {
      failure =
          "blob " + digest + " is larger than its manifest says (" + std::to_string(max_bytes) + " bytes)";
      return false;
    }
    size_t off = 0;
    while (off < len) {
      ssize_t n = ::write(fd, data + off, len - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        failure = "cannot write " + dest + ": " + std::strerror(errno);
        return false;
      }
      off += static_cast<size_t>(n);
    }
    written += static_cast<int64_t>(len);
    if (progress) progress(static_cast<int64_t>(len));
    return true;
  };
  Result<Answer> answer = GetAuthorized("/v2/" + ref_.repository + "/blobs/" + digest, "", sink);
  ::close(fd);
  if (!failure.empty()) return Internal(failure);
  if (!answer.ok()) return answer.status();
  if (answer->status != 200) return Refusal(*answer, ref_.repository + "@" + digest);
  return written;
}

}  // namespace skyrun::image
