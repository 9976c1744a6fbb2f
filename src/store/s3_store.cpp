#include "store/s3_store.h"

#include <algorithm>
#include <cstdlib>
#include <pugixml.hpp>

#include "core/hash.h"
#include "maskwatch.h"

namespace mw {

namespace {

// S3 quotes its ETags ("\"9b2cf5...\"", also as &quot; in XML, which pugixml decodes).
std::string unquoted_etag(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

struct S3Error {
  std::string code, message;
};

// <Error><Code>NoSuchKey</Code><Message>...</Message></Error>; empty when the body is not one.
S3Error parse_error(const std::string& body) {
  pugi::xml_document doc;
  if (body.empty() || !doc.load_buffer(body.data(), body.size())) return {};
  auto e = doc.child("Error");
  return {e.child_value("Code"), e.child_value("Message")};
}

}  // namespace

S3Location parse_s3_uri(const std::string& uri) {
  const std::string scheme = "s3://";
  if (uri.rfind(scheme, 0) != 0) throw Error(uri, "an S3 store URI looks like s3://bucket/optional/prefix");
  auto rest = uri.substr(scheme.size());
  auto slash = rest.find('/');
  S3Location at{rest.substr(0, slash), ""};
  if (at.bucket.empty()) throw Error(uri, "no bucket name (use s3://bucket/optional/prefix)");
  std::string prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty()) {
    check_key(prefix);
    at.prefix = prefix + "/";
  }
  return at;
}

S3Store::S3Store(const std::string& uri, aws::RetryPolicy retry) : retry_(retry) {
  auto at = parse_s3_uri(uri);
  bucket_ = std::move(at.bucket);
  prefix_ = std::move(at.prefix);

  region_ = aws::region_from_env();
  const std::string endpoint = aws::endpoint_from_env("s3");
  if (endpoint.empty()) {
    if (bucket_.find('.') == std::string::npos) {
      host_ = bucket_ + ".s3." + region_ + ".amazonaws.com";
    } else {
      host_ = "s3." + region_ + ".amazonaws.com";
      base_path_ = "/" + aws::uri_encode(bucket_);
    }
    endpoint_ = "https://" + host_;
  } else {
    auto e = aws::parse_endpoint(endpoint, uri);
    host_ = e.host;
    while (!e.path.empty() && e.path.back() == '/') e.path.pop_back();
    endpoint_ = e.origin + e.path;
    base_path_ = e.path + "/" + aws::uri_encode(bucket_);
  }
  credentials_ = aws::credentials_from_env();
}

std::string S3Store::uri() const {
  return "s3://" + bucket_ + (prefix_.empty() ? "" : "/" + prefix_.substr(0, prefix_.size() - 1));
}

std::string S3Store::object_key(const std::string& key) const {
  check_key(key);
  return prefix_ + key;
}

aws::HttpResponse S3Store::send(const Call& call) const {
  std::string path = base_path_ + (call.key.empty() ? "" : "/" + aws::uri_encode(call.key, false));
  if (path.empty()) path = "/";
  auto query = aws::canonical_query(call.query);
  aws::HttpRequest request;
  request.method = call.method;
  request.url = endpoint_.substr(0, endpoint_.find("://") + 3) + host_ + path + (query.empty() ? "" : "?" + query);
  request.body = call.body;
  request.body_file = call.body_file;
  request.response_file = call.response_file;
  request.max_body_bytes = call.max_body_bytes;
  auto sign = [&](aws::HttpRequest& req) {
    aws::SignRequest s;
    s.method = call.method;
    s.host = host_;
    s.path = path;
    s.query = call.query;
    s.headers = {{"x-amz-content-sha256", call.payload_sha256}};
    s.payload_sha256 = call.payload_sha256;
    req.headers = aws::sign(s, credentials_, region_, "s3", aws::amz_date_now()).headers;
  };
  try {
    return aws::send(request, retry_, sign);
  } catch (const Error& e) {  // transport: the attempts ran out without an answer
    throw StoreUnavailable(uri(), e.what());
  }
}

void S3Store::fail(const std::string& what, const std::string& key, const aws::HttpResponse& r) const {
  auto err = parse_error(r.body);
  std::string where = key.empty() ? uri() : uri() + "/" + key;
  if (err.code == "NoSuchBucket") throw Error(uri(), "bucket '" + bucket_ + "' does not exist at " + endpoint_);
  if (err.code == "NoSuchKey" || (r.status == 404 && err.code.empty() && !key.empty()))
    throw Error(where, "no such object");
  std::string reason = what + " failed: HTTP " + std::to_string(r.status);
  if (!err.code.empty()) reason += " " + err.code;
  if (!err.message.empty()) reason += ": " + err.message;
  if (r.status == 403)
    reason += " (access denied to bucket '" + bucket_ + "' at " + endpoint_ +
              "; check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION)";
  if (r.attempts > 1) reason += " after " + std::to_string(r.attempts) + " attempts";
  if (r.status == 429 || r.status >= 500) throw StoreUnavailable(where, reason);
  throw Error(where, reason);
}

void S3Store::put_object(const std::string& key, Call call) {
  call.method = "PUT";
  call.key = object_key(key);
  auto r = send(call);
  if (r.status != 200) fail("PutObject", key, r);
}

void S3Store::put(const std::string& key, const std::string& bytes) {
  Call c;
  c.body = bytes;
  c.payload_sha256 = sha256_hex(bytes);
  put_object(key, std::move(c));
}

void S3Store::put_file(const std::string& key, const std::string& path) {
  Call c;
  c.body_file = path;
  c.payload_sha256 = sha256_file_hex(path);
  put_object(key, std::move(c));
}

std::string S3Store::get(const std::string& key) const {
  Call c;
  c.key = object_key(key);
  auto r = send(c);
  if (r.status != 200) fail("GetObject", key, r);
  return std::move(r.body);
}

std::string S3Store::get_at_most(const std::string& key, std::uint64_t max_bytes) const {
  Call c;
  c.key = object_key(key);
  c.max_body_bytes = max_bytes;  // the client hangs up there, whatever the server announced or sends
  auto r = send(c);
  if (r.status != 200) fail("GetObject", key, r);
  if (r.body_over_limit || r.body.size() > max_bytes) throw over_the_limit(uri() + "/" + key, max_bytes);
  return std::move(r.body);
}

void S3Store::get_file(const std::string& key, const std::string& path) const {
  Call c;
  c.key = object_key(key);
  c.response_file = path;
  auto r = send(c);
  if (r.status != 200) fail("GetObject", key, r);
}

std::optional<ObjectInfo> S3Store::head(const std::string& key) const {
  Call c;
  c.method = "HEAD";
  c.key = object_key(key);
  auto r = send(c);
  if (r.status == 404) return std::nullopt;
  if (r.status != 200) fail("HeadObject", key, r);
  auto length = r.header("content-length");
  return ObjectInfo{key, length.empty() ? 0 : std::stoull(length), unquoted_etag(r.header("etag"))};
}

std::vector<ObjectInfo> S3Store::list(const std::string& prefix) const {
  std::vector<ObjectInfo> out;
  std::string token;
  do {
    Call c;
    c.query = {{"list-type", "2"}, {"prefix", prefix_ + prefix}};
    if (!token.empty()) c.query.emplace_back("continuation-token", token);
    auto r = send(c);
    if (r.status != 200) fail("ListObjectsV2", "", r);
    pugi::xml_document doc;
    if (!doc.load_buffer(r.body.data(), r.body.size()))
      throw Error(uri(), "ListObjectsV2 answered with a body that is not XML: " + r.body.substr(0, 200));
    auto result = doc.child("ListBucketResult");
    if (!result) throw Error(uri(), "ListObjectsV2 answered without a ListBucketResult: " + r.body.substr(0, 200));
    for (auto item : result.children("Contents")) {
      std::string key = item.child_value("Key");
      if (key.rfind(prefix_, 0) != 0) continue;
      out.push_back({key.substr(prefix_.size()), std::strtoull(item.child_value("Size"), nullptr, 10),
                     unquoted_etag(item.child_value("ETag"))});
    }
    bool truncated = std::string(result.child_value("IsTruncated")) == "true";
    token = truncated ? result.child_value("NextContinuationToken") : "";
    if (truncated && token.empty()) throw Error(uri(), "ListObjectsV2 is truncated but gave no continuation token");
  } while (!token.empty());
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  return out;
}

void S3Store::remove(const std::string& key) {
  Call c;
  c.method = "DELETE";
  c.key = object_key(key);
  auto r = send(c);
  if (r.status != 204 && r.status != 200) fail("DeleteObject", key, r);
}

void register_s3_store() {
  register_store_scheme(
      "s3", [](const std::string& uri) -> std::unique_ptr<ObjectStore> { return std::make_unique<S3Store>(uri); });
}

}  // namespace mw
