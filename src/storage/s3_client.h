// A small S3 client: GET (streamed), HEAD, PUT (one request; no multipart
// upload, so an object is at most what one PUT takes, 5 GiB on AWS) and
// LIST (ListObjectsV2, following continuation tokens), signed with Signature
// Version 4 (sigv4.h), path-style addressing (http://host:port/bucket/key).
// Plain HTTP only: the cpp-httplib in use is built here without TLS, so an
// https:// endpoint is refused at configuration time.
//
// Callers: the local driver's staging of inputs/outputs (object_staging.h)
// and its tests. Thread-safety: an S3Client is immutable after construction;
// each call opens its own connection, so calls may run concurrently.
//
// Errors carry the server's answer ("403 InvalidAccessKeyId: The AWS Access
// Key Id you provided does not exist in our records.") and the s3:// URI,
// never the secret key or the Authorization header.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "storage/sigv4.h"

namespace skyrun::storage {

// One object-storage endpoint from the server config (storage.s3).
struct S3Endpoint {
  std::string name;  // the config entry's name
  std::string url;   // "http://127.0.0.1:4569" (scheme, host, optional port; no path)
  std::string region = "us-east-1";
  // Where the store's data lives for egress billing: a catalog provider
  // ("aws", "gcp", a cluster's name); "" = not billed.
  std::string provider;
  std::vector<std::string> buckets;  // the buckets served through this endpoint; empty = any
  SigV4Credentials credentials;      // secret_key read from a file at load time
};

// "provider/region" of an endpoint that declares a provider.
std::string EndpointLocation(const S3Endpoint& endpoint);

// s3://bucket/key/with/slashes
struct S3Uri {
  std::string bucket;
  std::string key;  // may be empty (the whole bucket) or end in '/' (a prefix)
  std::string ToString() const { return "s3://" + bucket + "/" + key; }
};

// Parses an s3:// URI. Refuses other schemes, a bucket name S3 would refuse
// (3..63 of [a-z0-9.-]), keys with NUL or control bytes.
Result<S3Uri> ParseS3Uri(const std::string& uri);

struct S3Object {
  std::string key;
  int64_t size = 0;
  std::string etag;  // without quotes
};

class S3Client {
 public:
  S3Client(S3Endpoint endpoint, const Clock* clock);

  // Streams the object's bytes into `sink` (which returns false to abort).
  // Fills `meta` (size, ETag) from the response headers.
  Status GetObject(const std::string& bucket, const std::string& key,
                   const std::function<bool(const char*, size_t)>& sink, S3Object* meta) const;
  Result<S3Object> HeadObject(const std::string& bucket, const std::string& key) const;
  Status PutObject(const std::string& bucket, const std::string& key, const std::string& body) const;
  // Every object whose key starts with `prefix`, across pages of `page_size`.
  Result<std::vector<S3Object>> ListObjects(const std::string& bucket, const std::string& prefix,
                                            int page_size = 1000) const;

  const S3Endpoint& endpoint() const { return endpoint_; }

 private:
  std::string host_;  // "127.0.0.1:4569", as sent in Host and signed
  S3Endpoint endpoint_;
  const Clock* clock_;
};

// The endpoint serving `bucket`: the first whose buckets list names it, else
// the first with an empty list. NotFound with what to configure otherwise.
Result<const S3Endpoint*> EndpointFor(const std::vector<S3Endpoint>& endpoints, const std::string& bucket);

// Pieces of a ListObjectsV2 answer and S3 error bodies (exposed for tests).
struct ListPage {
  std::vector<S3Object> objects;
  bool truncated = false;
  std::string next_token;
};
Result<ListPage> ParseListPage(const std::string& xml);
std::string S3ErrorText(int status, const std::string& xml);

}  // namespace skyrun::storage
