// s3://bucket/optional/prefix store: one S3 object per key, under the prefix.
//
// Requests are signed with SigV4 (src/aws/sigv4.h) from the standard AWS
// environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
// AWS_REGION / AWS_DEFAULT_REGION. The endpoint is AWS_ENDPOINT_URL_S3, then
// AWS_ENDPOINT_URL (an S3-compatible server such as MinIO or s3rver, addressed
// path-style: http://host:port/bucket/key), else AWS itself, virtual-host style
// (https://bucket.s3.REGION.amazonaws.com/key; path-style on
// s3.REGION.amazonaws.com for bucket names with dots, which TLS would refuse).
// S3 replaces an object in one step, so writes are atomic as the interface asks.
#pragma once
#include "aws/http_client.h"
#include "aws/sigv4.h"
#include "store/object_store.h"

namespace mw {

// s3://bucket[/prefix] -> bucket and prefix ("" or "a/b/", its trailing slash
// added, the key rules checked). Throws mw::Error naming the URI.
struct S3Location {
  std::string bucket, prefix;
};
S3Location parse_s3_uri(const std::string& uri);

class S3Store : public ObjectStore {
 public:
  // uri: "s3://bucket" or "s3://bucket/prefix". Throws mw::Error when the URI is
  // malformed or the credentials are missing; the bucket is not contacted here.
  explicit S3Store(const std::string& uri, aws::RetryPolicy retry = {});
  void put(const std::string& key, const std::string& bytes) override;
  std::string get(const std::string& key) const override;
  std::string get_at_most(const std::string& key, std::uint64_t max_bytes) const override;
  std::optional<ObjectInfo> head(const std::string& key) const override;
  std::vector<ObjectInfo> list(const std::string& prefix) const override;
  void remove(const std::string& key) override;
  std::string uri() const override;
  // Streamed: the file is hashed, then uploaded, in pieces; downloads land
  // through a temporary file renamed into place.
  void put_file(const std::string& key, const std::string& path) override;
  void get_file(const std::string& key, const std::string& path) const override;

  const std::string& bucket() const { return bucket_; }
  const std::string& endpoint() const { return endpoint_; }

 private:
  struct Call {
    std::string method = "GET";
    std::string key;  // object key within the bucket (prefix included); empty: the bucket
    std::vector<std::pair<std::string, std::string>> query;
    std::string body, body_file, response_file;
    std::string payload_sha256 = aws::kEmptySha256;
    std::uint64_t max_body_bytes = 0;
  };
  aws::HttpResponse send(const Call& call) const;
  // PutObject of `call`'s body (from memory or a file) at `key`.
  void put_object(const std::string& key, Call call);
  // Throws the clearest mw::Error for a failed response (NoSuchBucket, AccessDenied, ...).
  [[noreturn]] void fail(const std::string& what, const std::string& key, const aws::HttpResponse& r) const;
  std::string object_key(const std::string& key) const;  // checks the key, adds the prefix

  std::string bucket_, prefix_;  // prefix_: "" or "a/b/" (with its trailing slash)
  std::string endpoint_;         // scheme://host[:port], as configured
  std::string host_;             // the Host header
  std::string base_path_;        // "/bucket" path-style, "" virtual-host style
  std::string region_;
  aws::Credentials credentials_;
  aws::RetryPolicy retry_;
};

// open_store() opens s3://bucket/prefix as an S3Store from now on
// (store/object_store.h register_store_scheme); idempotent.
void register_s3_store();

}  // namespace mw
