#include "storage/s3_client.h"

#include <httplib.h>

#include <optional>

#include "common/strings.h"

namespace skyrun::storage {
namespace {

constexpr const char* kEmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string XmlUnescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string::npos) {
      out += s[i];
      continue;
    }
    std::string ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp")
      out += '&';
    else if (ent == "lt")
      out += '<';
    else if (ent == "gt")
      out += '>';
    else if (ent == "quot")
      out += '"';
    else if (ent == "apos")
      out += '\'';
    else if (ent.size() > 1 && ent[0] == '#') {
      long code = ent[1] == 'x' ? std::strtol(ent.c_str() + 2, nullptr, 16)
                                : std::strtol(ent.c_str() + 1, nullptr, 10);
      if (code <= 0 || code > 0x7f) return s;  // not needed by S3's answers here; keep the text as sent
      out += static_cast<char>(code);
    } else {
      out += s.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

// The text of the first <tag>...</tag> in `xml` from `from`; nullopt if absent.
std::optional<std::string> Tag(const std::string& xml, const std::string& tag, size_t from = 0,
                               size_t* end = nullptr) {
  std::string open = "<" + tag + ">", close = "</" + tag + ">";
  size_t a = xml.find(open, from);
  if (a == std::string::npos) return std::nullopt;
  size_t b = xml.find(close, a + open.size());
  if (b == std::string::npos) return std::nullopt;
  if (end != nullptr) *end = b + close.size();
  return XmlUnescape(xml.substr(a + open.size(), b - a - open.size()));
}

std::string Unquote(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

bool ValidBucket(const std::string& b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  }
  return b.front() != '.' && b.front() != '-' && b.find("..") == std::string::npos;
}

std::string ObjectPath(const std::string& bucket, const std::string& key) {
  return "/" + bucket + "/" + UriEncode(key, true);
}

httplib::Headers ToHttplib(const std::map<std::string, std::string>& headers) {
  httplib::Headers out;
  for (const auto& [k, v] : headers) out.emplace(k, v);
  return out;
}

std::string PathWithQuery(const SigV4Request& r) {
  std::string q = CanonicalQuery(r.query);
  return q.empty() ? r.path : r.path + "?" + q;
}

}  // namespace

Result<S3Uri> ParseS3Uri(const std::string& uri) {
  const std::string scheme = "s3://";
  if (uri.rfind(scheme, 0) != 0) {
    return InvalidArgument("'" + uri + "' is not an s3:// URI (expected s3://bucket/key)");
  }
  std::string rest = uri.substr(scheme.size());
  size_t slash = rest.find('/');
  S3Uri out;
  out.bucket = rest.substr(0, slash);
  out.key = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (!ValidBucket(out.bucket)) {
    return InvalidArgument("'" + uri + "' names the bucket '" + out.bucket +
                           "', which is not an S3 bucket name (3 to 63 of a-z, 0-9, '.' and '-')");
  }
  for (unsigned char c : out.key) {
    if (c < 0x20 || c == 0x7f) return InvalidArgument("'" + uri + "' holds a control character in its key");
  }
  if (out.key.size() > 1024) return InvalidArgument("'" + uri + "' has a key longer than 1024 bytes");
  return out;
}

std::string EndpointLocation(const S3Endpoint& endpoint) {
  return endpoint.region.empty() ? endpoint.provider : endpoint.provider + "/" + endpoint.region;
}

Result<const S3Endpoint*> EndpointFor(const std::vector<S3Endpoint>& endpoints, const std::string& bucket) {
  for (const S3Endpoint& e : endpoints) {
    for (const std::string& b : e.buckets) {
      if (b == bucket) return &e;
    }
  }
  for (const S3Endpoint& e : endpoints) {
    if (e.buckets.empty()) return &e;
  }
  return NotFound("no object-storage endpoint serves the bucket '" + bucket +
                  "'; the server's admin declares endpoints under storage.s3 in the server config");
}

std::string S3ErrorText(int status, const std::string& xml) {
  std::string text = std::to_string(status);
  if (auto code = Tag(xml, "Code")) text += " " + *code;
  if (auto message = Tag(xml, "Message")) text += ": " + *message;
  return text;
}

Result<ListPage> ParseListPage(const std::string& xml) {
  if (xml.find("<ListBucketResult") == std::string::npos) {
    return Internal("the object store's LIST answer is not a ListBucketResult");
  }
  ListPage page;
  size_t pos = 0, end = 0;
  while (auto contents = Tag(xml, "Contents", pos, &end)) {
    pos = end;
    S3Object o;
    auto key = Tag(*contents, "Key");
    if (!key) return Internal("the object store's LIST answer has an object without a Key");
    o.key = *key;
    o.size = ParseInt64(Tag(*contents, "Size").value_or("0")).value_or(0);
    o.etag = Unquote(Tag(*contents, "ETag").value_or(""));
    page.objects.push_back(std::move(o));
  }
  page.truncated = Tag(xml, "IsTruncated").value_or("false") == "true";
  page.next_token = Tag(xml, "NextContinuationToken").value_or("");
  if (page.truncated && page.next_token.empty()) {
    return Internal("the object store's LIST answer is truncated but names no continuation token");
  }
  return page;
}

S3Client::S3Client(S3Endpoint endpoint, const Clock* clock) : endpoint_(std::move(endpoint)), clock_(clock) {
  std::string url = endpoint_.url;
  size_t scheme = url.find("://");
  host_ = scheme == std::string::npos ? url : url.substr(scheme + 3);
  while (!host_.empty() && host_.back() == '/') host_.pop_back();
}

namespace {

struct Call {
  SigV4Request request;
  std::string what;  // "GET s3://b/k", for messages
};

std::unique_ptr<httplib::Client> Connect(const std::string& url) {
  auto cli = std::make_unique<httplib::Client>(url);
  cli->set_url_encode(false);  // paths are encoded once, as signed
  cli->set_connection_timeout(10, 0);
  cli->set_read_timeout(60, 0);
  cli->set_write_timeout(60, 0);
  return cli;
}

Status TransportError(const Call& call, const std::string& url, httplib::Error err) {
  return Unavailable(call.what + ": cannot reach the object store at " + url + " (" +
                     httplib::to_string(err) + ")");
}

}  // namespace

Status S3Client::GetObject(const std::string& bucket, const std::string& key,
                           const std::function<bool(const char*, size_t)>& sink, S3Object* meta) const {
  Call call{{"GET", ObjectPath(bucket, key), {}, {{"host", host_}}, kEmptySha},
            "GET s3://" + bucket + "/" + key};
  SignV4(&call.request, endpoint_.credentials, endpoint_.region, "s3", clock_->Now());
  auto cli = Connect(endpoint_.url);
  int status = 0;
  std::string error_body;
  bool sink_failed = false;
  auto res = cli->Get(
      PathWithQuery(call.request), ToHttplib(call.request.headers),
      [&](const httplib::Response& r) {
        status = r.status;
        if (meta != nullptr && status / 100 == 2) {
          meta->key = key;
          meta->etag = Unquote(r.get_header_value("ETag"));
          meta->size = ParseInt64(r.get_header_value("Content-Length")).value_or(0);
        }
        return true;
      },
      [&](const char* data, size_t n) {
        if (status / 100 != 2) {
          if (error_body.size() < 64 * 1024) error_body.append(data, n);
          return true;
        }
        if (!sink(data, n)) {
          sink_failed = true;
          return false;
        }
        return true;
      });
  if (sink_failed) return Internal(call.what + ": writing the object's bytes failed");
  if (!res) return TransportError(call, endpoint_.url, res.error());
  if (status / 100 != 2) return FailedPrecondition(call.what + ": " + S3ErrorText(status, error_body));
  return Status::Ok();
}

Result<S3Object> S3Client::HeadObject(const std::string& bucket, const std::string& key) const {
  Call call{{"HEAD", ObjectPath(bucket, key), {}, {{"host", host_}}, kEmptySha},
            "HEAD s3://" + bucket + "/" + key};
  SignV4(&call.request, endpoint_.credentials, endpoint_.region, "s3", clock_->Now());
  auto cli = Connect(endpoint_.url);
  auto res = cli->Head(PathWithQuery(call.request), ToHttplib(call.request.headers));
  if (!res) return TransportError(call, endpoint_.url, res.error());
  if (res->status == 404) return NotFound(call.what + ": 404 NoSuchKey");
  if (res->status / 100 != 2)
    return FailedPrecondition(call.what + ": " + S3ErrorText(res->status, res->body));
  S3Object o;
  o.key = key;
  o.etag = Unquote(res->get_header_value("ETag"));
  o.size = ParseInt64(res->get_header_value("Content-Length")).value_or(0);
  return o;
}

Status S3Client::PutObject(const std::string& bucket, const std::string& key, const std::string& body) const {
  Call call{{"PUT", ObjectPath(bucket, key), {}, {{"host", host_}}, Sha256Hex(body)},
            "PUT s3://" + bucket + "/" + key};
  SignV4(&call.request, endpoint_.credentials, endpoint_.region, "s3", clock_->Now());
  auto cli = Connect(endpoint_.url);
  auto res = cli->Put(PathWithQuery(call.request), ToHttplib(call.request.headers), body,
                      "application/octet-stream");
  if (!res) return TransportError(call, endpoint_.url, res.error());
  if (res->status / 100 != 2)
    return FailedPrecondition(call.what + ": " + S3ErrorText(res->status, res->body));
  return Status::Ok();
}

Result<std::vector<S3Object>> S3Client::ListObjects(const std::string& bucket, const std::string& prefix,
                                                    int page_size) const {
  std::vector<S3Object> all;
  std::string token;
  auto cli = Connect(endpoint_.url);
  for (int pages = 0; pages < 100000; ++pages) {
    Call call{{"GET",
               "/" + bucket,
               {{"list-type", "2"}, {"prefix", prefix}, {"max-keys", std::to_string(page_size)}},
               {{"host", host_}},
               kEmptySha},
              "LIST s3://" + bucket + "/" + prefix};
    if (!token.empty()) call.request.query["continuation-token"] = token;
    SignV4(&call.request, endpoint_.credentials, endpoint_.region, "s3", clock_->Now());
    auto res = cli->Get(PathWithQuery(call.request), ToHttplib(call.request.headers));
    if (!res) return TransportError(call, endpoint_.url, res.error());
    if (res->status / 100 != 2) {
      return FailedPrecondition(call.what + ": " + S3ErrorText(res->status, res->body));
    }
    SKYRUN_ASSIGN_OR_RETURN(ListPage page, ParseListPage(res->body));
    for (S3Object& o : page.objects) all.push_back(std::move(o));
    if (!page.truncated) return all;
    if (page.next_token == token)
      return Internal(call.what + ": the object store repeated a continuation token");
    token = page.next_token;
  }
  return Internal("LIST s3://" + bucket + "/" + prefix + ": too many pages");
}

}  // namespace skyrun::storage
