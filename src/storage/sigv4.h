// AWS Signature Version 4 for S3 requests (header-based, payload hash sent in
// x-amz-content-sha256). The S3 client (s3_client.h) is the caller; the
// pieces are public so that the unit test can check each step against AWS's
// published examples. Thread-safety: pure functions.
//
// The secret key is an input only: nothing here logs or returns it (the
// Authorization header carries a signature derived from it, never the key).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace skyrun::storage {

struct SigV4Credentials {
  std::string access_key;
  std::string secret_key;
};

struct SigV4Request {
  std::string method = "GET";
  std::string path = "/";                    // already URI-encoded (UriEncodePath), as sent on the wire
  std::map<std::string, std::string> query;  // raw (not encoded) names and values
  // Headers to sign, names in any case; must hold "host". x-amz-date and
  // x-amz-content-sha256 are added by SignV4 when missing.
  std::map<std::string, std::string> headers;
  std::string payload_sha256;  // hex SHA-256 of the body ("UNSIGNED-PAYLOAD" allowed)
};

// "20150830T123600Z" for a time in microseconds since the epoch (UTC).
std::string AmzDate(Micros t);

// RFC 3986 unreserved characters pass; everything else becomes %XX
// (uppercase). `keep_slash`: for object keys in paths.
std::string UriEncode(std::string_view s, bool keep_slash);

// Hex of SHA-256 and of HMAC-SHA256 (raw key bytes).
std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);  // raw 32 bytes
std::string Hex(std::string_view bytes);

// The canonical query string: names and values encoded, sorted by name.
std::string CanonicalQuery(const std::map<std::string, std::string>& query);

// Step 1: the canonical request (headers lowercased, values trimmed, sorted).
// `signed_headers` receives "host;x-amz-date".
std::string CanonicalRequest(const SigV4Request& request, std::string* signed_headers);

// Step 2: the string to sign for `amz_date` and a scope "DATE/REGION/SERVICE/aws4_request".
std::string StringToSign(const std::string& amz_date, const std::string& scope,
                         const std::string& canonical_request);

// Step 3: the signing key (raw bytes) for a day "20150830".
std::string SigningKey(const std::string& secret_key, const std::string& day, const std::string& region,
                       const std::string& service);

// All steps: adds x-amz-date, x-amz-content-sha256 (S3 requires it) and
// Authorization to request->headers, signed at `now`.
void SignV4(SigV4Request* request, const SigV4Credentials& credentials, const std::string& region,
            const std::string& service, Micros now);

}  // namespace skyrun::storage
