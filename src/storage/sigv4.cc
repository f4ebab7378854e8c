#include "storage/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <vector>

#include "common/check.h"

namespace skyrun::storage {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Trims and collapses runs of spaces, as the canonical header value requires.
std::string CanonicalValue(const std::string& v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

std::string AmzDate(Micros t) {
  std::time_t secs = static_cast<std::time_t>(t / kMicrosPerSecond);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string UriEncode(std::string_view s, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool unreserved = std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string Hex(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  ::SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return Hex(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  unsigned char* ok = ::HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  SKYRUN_CHECK(ok != nullptr && len == 32);
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string CanonicalQuery(const std::map<std::string, std::string>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [k, v] : query) encoded.emplace_back(UriEncode(k, false), UriEncode(v, false));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::string CanonicalRequest(const SigV4Request& request, std::string* signed_headers) {
  std::map<std::string, std::string> headers;
  for (const auto& [k, v] : request.headers) headers[Lower(k)] = CanonicalValue(v);
  std::string canonical_headers, names;
  for (const auto& [k, v] : headers) {
    canonical_headers += k + ":" + v + "\n";
    if (!names.empty()) names += ';';
    names += k;
  }
  if (signed_headers != nullptr) *signed_headers = names;
  return request.method + "\n" + request.path + "\n" + CanonicalQuery(request.query) + "\n" +
         canonical_headers + "\n" + names + "\n" + request.payload_sha256;
}

std::string StringToSign(const std::string& amz_date, const std::string& scope,
                         const std::string& canonical_request) {
  return "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + Sha256Hex(canonical_request);
}

std::string SigningKey(const std::string& secret_key, const std::string& day, const std::string& region,
                       const std::string& service) {
  std::string k = HmacSha256("AWS4" + secret_key, day);
  k = HmacSha256(k, region);
  k = HmacSha256(k, service);
  return HmacSha256(k, "aws4_request");
}

void SignV4(SigV4Request* request, const SigV4Credentials& credentials, const std::string& region,
            const std::string& service, Micros now) {
  std::map<std::string, std::string> lower;
  for (const auto& [k, v] : request->headers) lower[Lower(k)] = v;
  std::string amz_date = lower.count("x-amz-date") ? lower["x-amz-date"] : AmzDate(now);
  if (!lower.count("x-amz-date")) request->headers["x-amz-date"] = amz_date;
  if (!lower.count("x-amz-content-sha256") && service == "s3") {
    request->headers["x-amz-content-sha256"] = request->payload_sha256;
  }
  std::string day = amz_date.substr(0, 8);
  std::string scope = day + "/" + region + "/" + service + "/aws4_request";
  std::string signed_headers;
  std::string canonical = CanonicalRequest(*request, &signed_headers);
  std::string signature = Hex(HmacSha256(SigningKey(credentials.secret_key, day, region, service),
                                         StringToSign(amz_date, scope, canonical)));
  request->headers["Authorization"] = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key + "/" + scope +
                                      ", SignedHeaders=" + signed_headers + ", Signature=" + signature;
}

}  // namespace skyrun::storage
