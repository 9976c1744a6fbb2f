// The s3:// store against a real S3 server (s3rver) on loopback, plus a
// fault-injecting proxy in front of it for the retries.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "aws/sigv4.h"
#include "core/hash.h"
#include "fixture.h"
#include "maskwatch.h"
#include "service_fixture.h"
#include "store/s3_store.h"

using namespace mw;
namespace fs = std::filesystem;

namespace {

// open_store() opens s3:// here as the programs do.
[[maybe_unused]] const bool kS3Stores = (register_s3_store(), true);

const char* kBucket = "maskwatch-test";

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Checks a request as it arrived against its Authorization header: the
// canonical request is rebuilt from the wire (the path as sent, the decoded
// query, the signed headers' values, the body's SHA-256) and signed again with
// s3rver's key. s3rver itself does not check SigV4 signatures. Returns "" when
// the request is good, else what is wrong.
std::string check_signature(const std::string& raw) {
  auto header_end = raw.find("\r\n\r\n");
  auto line_end = raw.find("\r\n");
  std::string request_line = raw.substr(0, line_end);
  auto sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
  std::string target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  aws::SignRequest req;
  req.method = request_line.substr(0, sp1);
  auto q = target.find('?');
  req.path = target.substr(0, q);
  if (q != std::string::npos) {
    std::string query = target.substr(q + 1);
    for (std::size_t start = 0; start <= query.size();) {
      auto amp = query.find('&', start);
      if (amp == std::string::npos) amp = query.size();
      auto part = query.substr(start, amp - start);
      auto eq = part.find('=');
      req.query.emplace_back(percent_decode(part.substr(0, eq)),
                             eq == std::string::npos ? "" : percent_decode(part.substr(eq + 1)));
      start = amp + 1;
    }
  }
  std::map<std::string, std::string> headers;
  for (std::size_t pos = line_end + 2; pos < header_end;) {
    auto eol = raw.find("\r\n", pos);
    auto line = raw.substr(pos, eol - pos);
    auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    headers[name] = value;
    pos = eol + 2;
  }
  const std::string auth = headers["authorization"];
  auto signed_at = auth.find("SignedHeaders="), sig_at = auth.find(", Signature=");
  if (auth.rfind("AWS4-HMAC-SHA256 Credential=S3RVER/", 0) != 0 || signed_at == std::string::npos ||
      sig_at == std::string::npos)
    return "no SigV4 Authorization header: '" + auth + "'";
  std::string signed_names = auth.substr(signed_at + 14, sig_at - signed_at - 14);
  for (std::size_t start = 0; start <= signed_names.size();) {
    auto semi = signed_names.find(';', start);
    if (semi == std::string::npos) semi = signed_names.size();
    auto name = signed_names.substr(start, semi - start);
    if (!headers.count(name)) return "signed header " + name + " was not sent";
    req.headers.emplace_back(name, headers[name]);
    start = semi + 1;
  }
  req.host = headers["host"];
  req.payload_sha256 = headers["x-amz-content-sha256"];
  std::string body = raw.substr(header_end + 4);
  if (req.payload_sha256 != sha256_hex(body)) return "x-amz-content-sha256 is not the body's SHA-256";
  auto again = aws::sign(req, aws::Credentials{"S3RVER", "S3RVER", ""}, "us-east-1", "s3", headers["x-amz-date"]);
  if (again.authorization != auth)
    return "signature mismatch for " + request_line + "\ncanonical request:\n" + again.canonical_request;
  return "";
}

// A TCP proxy on 127.0.0.1: each connection carries one request (the proxy
// asks the server to close after it). The first `faults` requests get a 503
// SlowDown (or, with drop, a connection closed without an answer); the rest
// go to the upstream port, after a signature check when verify is set (a bad
// one gets a 403 SignatureDoesNotMatch, as S3 would answer).
class FaultProxy {
 public:
  FaultProxy(int upstream_port, int faults, bool drop = false, bool verify = false)
      : upstream_(upstream_port), faults_(faults), drop_(drop), verify_(verify) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      throw std::runtime_error("proxy cannot listen");
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~FaultProxy() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }
  int faulted() const { return faulted_; }
  // From now on every request is answered 200 with a body of `bytes` zeros, whatever it asked.
  void lie(std::uint64_t bytes) { lie_bytes_ = bytes; }
  std::uint64_t lied_bytes_sent() const { return lied_sent_; }
  std::vector<std::string> signature_errors() const {
    std::lock_guard<std::mutex> lock(mu_);
    return signature_errors_;
  }

 private:
  static bool send_all(int fd, const std::string& data) {
    for (std::size_t sent = 0; sent < data.size();) {
      auto n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads one request (headers, then a Content-Length body); empty on EOF.
  static std::string read_request(int fd) {
    std::string buf;
    char chunk[65536];
    std::size_t header_end;
    while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
      auto n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return "";
      buf.append(chunk, static_cast<std::size_t>(n));
    }
    std::size_t length = 0;
    std::string head = buf.substr(0, header_end);
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto pos = head.find("\r\ncontent-length:");
    if (pos != std::string::npos) length = std::stoul(head.substr(pos + 17));
    while (buf.size() < header_end + 4 + length) {
      auto n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return "";
      buf.append(chunk, static_cast<std::size_t>(n));
    }
    return buf;
  }

  void serve(int client) {
    std::string request = read_request(client);
    if (request.empty()) return;
    int n = ++requests_;
    if (n <= faults_) {
      ++faulted_;
      if (!drop_) {
        std::string body =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
            "<Message>Please reduce your request rate.</Message></Error>";
        send_all(client, "HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
      }
      return;
    }
    if (lie_bytes_ > 0) {
      if (!send_all(client, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(lie_bytes_.load()) + "\r\n\r\n"))
        return;
      const std::string zeros(1 << 16, '\0');
      for (std::uint64_t sent = 0; sent < lie_bytes_ && send_all(client, zeros); sent += zeros.size())
        lied_sent_ += zeros.size();
      return;
    }
    if (verify_) {
      auto problem = check_signature(request);
      if (!problem.empty()) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          signature_errors_.push_back(problem);
        }
        std::string body = "<Error><Code>SignatureDoesNotMatch</Code><Message>" + problem + "</Message></Error>";
        send_all(client, "HTTP/1.1 403 Forbidden\r\nContent-Length: " + std::to_string(body.size()) +
                             "\r\nConnection: close\r\n\r\n" + body);
        return;
      }
    }
    // Forward with "Connection: close" so the answer ends when upstream closes.
    request.insert(request.find("\r\n") + 2, "Connection: close\r\n");
    int up = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(upstream_));
    if (::connect(up, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && send_all(up, request)) {
      char chunk[65536];
      for (;;) {
        auto got = ::recv(up, chunk, sizeof chunk, 0);
        if (got <= 0 || !send_all(client, std::string(chunk, static_cast<std::size_t>(got)))) break;
      }
    }
    ::close(up);
  }

  void loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      serve(client);
      ::close(client);
    }
  }

  int fd_ = -1, port_ = 0, upstream_;
  int faults_;
  bool drop_, verify_;
  mutable std::mutex mu_;
  std::vector<std::string> signature_errors_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0}, faulted_{0};
  std::atomic<std::uint64_t> lie_bytes_{0}, lied_sent_{0};
  std::thread thread_;
};

class S3StoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ::setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
    ::setenv("AWS_REGION", "us-east-1", 1);
    ::unsetenv("AWS_SESSION_TOKEN");
    ::unsetenv("AWS_ENDPOINT_URL_S3");
    server_ = fixture::start_s3rver({kBucket}).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  // A store at the given endpoint (default: s3rver).
  static std::unique_ptr<S3Store> store(const std::string& uri, const std::string& endpoint = "",
                                        aws::RetryPolicy retry = {}) {
    ::setenv("AWS_ENDPOINT_URL", endpoint.empty() ? server_->endpoint().c_str() : endpoint.c_str(), 1);
    return std::make_unique<S3Store>(uri, retry);
  }
  static std::string bucket_uri(const std::string& prefix) { return std::string("s3://") + kBucket + "/" + prefix; }

  static fixture::ServiceProcess* server_;
};
fixture::ServiceProcess* S3StoreTest::server_ = nullptr;

long max_rss_kb() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

}  // namespace

TEST_F(S3StoreTest, RoundTripPutGetHeadListRemove) {
  FaultProxy checked(server_->port(), 0, false, /*verify=*/true);
  auto s = store(bucket_uri("roundtrip/run1"), checked.endpoint());
  EXPECT_EQ(s->uri(), "s3://maskwatch-test/roundtrip/run1");
  s->put("a/b/one.txt", "hello");
  s->put("a/two.bin", std::string("\0\1\2", 3));
  s->put("c.txt", "x");
  s->put("empty", "");
  EXPECT_EQ(s->get("a/b/one.txt"), "hello");
  EXPECT_EQ(s->get("a/two.bin"), std::string("\0\1\2", 3));
  EXPECT_EQ(s->get("empty"), "");
  ASSERT_TRUE(s->head("a/two.bin").has_value());
  EXPECT_EQ(s->head("a/two.bin")->size, 3u);
  EXPECT_EQ(s->head("a/two.bin")->key, "a/two.bin");
  EXPECT_FALSE(s->head("missing").has_value());
  EXPECT_FALSE(s->exists("a/b"));

  auto all = s->list("a/");
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].key, "a/b/one.txt");
  EXPECT_EQ(all[0].size, 5u);
  EXPECT_EQ(all[1].key, "a/two.bin");
  EXPECT_EQ(s->list("").size(), 4u);
  EXPECT_EQ(s->list("a/b/o").size(), 1u);
  EXPECT_TRUE(s->list("zzz").empty());

  // Keys are relative to the prefix; the prefix's siblings are not listed.
  auto sibling = store(bucket_uri("roundtrip/run10"));
  sibling->put("c.txt", "other");
  EXPECT_EQ(s->list("").size(), 4u);
  auto root = store(std::string("s3://") + kBucket);
  EXPECT_EQ(root->get("roundtrip/run1/a/b/one.txt"), "hello");
  EXPECT_EQ(root->list("roundtrip/").size(), 5u);

  s->put("a/b/one.txt", "replaced");
  EXPECT_EQ(s->get("a/b/one.txt"), "replaced");
  s->remove("a/b/one.txt");
  EXPECT_FALSE(s->exists("a/b/one.txt"));
  EXPECT_EQ(s->list("").size(), 3u);
  EXPECT_THROW(s->put("../escape", "x"), Error);
  EXPECT_THROW(s->get("/abs"), Error);
  EXPECT_EQ(checked.signature_errors(), std::vector<std::string>{});
  EXPECT_GT(checked.requests(), 20);
}

TEST_F(S3StoreTest, GetAtMostReadsNoMoreThanItsLimit) {
  auto s = store(bucket_uri("at-most"));
  const std::string photo(1000, 'p');
  s->put("photo.jpg", photo);
  s->put("empty.jpg", "");
  EXPECT_EQ(s->get_at_most("photo.jpg", 1000), photo);
  EXPECT_EQ(s->get_at_most("photo.jpg", 5000), photo);
  EXPECT_EQ(s->get_at_most("empty.jpg", 10), "");
  try {
    s->get_at_most("photo.jpg", 999);
    ADD_FAILURE() << "1000 bytes read under a limit of 999";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("at-most/photo.jpg"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("999 bytes"), std::string::npos) << e.what();
  }
  EXPECT_THROW(s->get_at_most("missing.jpg", 10), Error);
}

TEST_F(S3StoreTest, AServerSendingMoreThanAskedIsCutOff) {
  FaultProxy liar(server_->port(), 0);
  liar.lie(std::uint64_t{1} << 30);  // 1 GB
  auto s = store(bucket_uri("at-most"), liar.endpoint(), aws::RetryPolicy{2, 0.01, 0.05});
  const long rss_before = max_rss_kb();
  EXPECT_THROW(s->get_at_most("photo.jpg", 1 << 20), Error);
  EXPECT_EQ(liar.requests(), 1);                               // an answer, not retried
  EXPECT_LT(liar.lied_bytes_sent(), std::uint64_t{64} << 20);  // the client hung up near its limit
  EXPECT_LT(max_rss_kb() - rss_before, 32 * 1024);
}

TEST_F(S3StoreTest, OpenStoreKnowsTheScheme) {
  ::setenv("AWS_ENDPOINT_URL", server_->endpoint().c_str(), 1);
  auto s = open_store(bucket_uri("opened/"));
  EXPECT_EQ(s->uri(), "s3://maskwatch-test/opened");
  s->put("k", "v");
  EXPECT_EQ(open_store(bucket_uri("opened"))->get("k"), "v");
  try {
    open_store("gs://bucket/x");
    ADD_FAILURE() << "gs:// accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("s3://"), std::string::npos) << e.what();
  }
  EXPECT_THROW(open_store("s3://"), Error);
}

TEST_F(S3StoreTest, ListPaginatesPastAThousandKeys) {
  auto s = store(bucket_uri("many"));
  const int n = 1100;
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  std::atomic<int> next{0};
  std::mutex mu;
  std::string failure;
  for (int w = 0; w < 4; ++w)
    workers.emplace_back([&] {
      try {
        for (int i; (i = next++) < n;) {
          char key[32];
          std::snprintf(key, sizeof key, "k/%05d", i);
          s->put(key, std::to_string(i));
        }
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mu);
        failure = e.what();
      }
    });
  for (auto& w : workers) w.join();
  ASSERT_EQ(failure, "");
  auto t1 = std::chrono::steady_clock::now();
  auto all = s->list("k/");
  auto t2 = std::chrono::steady_clock::now();
  // Again through the signature check: continuation tokens hold '+', '/' and '='.
  FaultProxy checked(server_->port(), 0, false, /*verify=*/true);
  EXPECT_EQ(store(bucket_uri("many"), checked.endpoint())->list("k/").size(), static_cast<std::size_t>(n));
  EXPECT_EQ(checked.requests(), 2);  // 1,000 keys, then 100
  EXPECT_EQ(checked.signature_errors(), std::vector<std::string>{});
  ASSERT_EQ(all.size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    char key[32];
    std::snprintf(key, sizeof key, "k/%05d", i);
    ASSERT_EQ(all[i].key, key);
    ASSERT_EQ(all[i].size, std::to_string(i).size());
  }
  EXPECT_EQ(s->list("k/0109").size(), 10u);
  std::cout << "[ timing ] " << n << " puts (4 threads) " << std::chrono::duration<double>(t1 - t0).count()
            << " s, list of " << n << " keys " << std::chrono::duration<double>(t2 - t1).count() << " s\n";
}

TEST_F(S3StoreTest, KeysWithSpacesAndSpecialCharacters) {
  FaultProxy checked(server_->port(), 0, false, /*verify=*/true);
  auto s = store(bucket_uri("special chars"), checked.endpoint());
  const std::vector<std::string> keys = {"dir with space/file name.txt", "plus+equals=amp&.txt", "q?hash#percent%.txt",
                                         "tilde~(paren)[br]!$'*,;:@.txt", "utf8/\xC3\xBC\xC3\xB1\xC3\xAF.txt"};
  for (const auto& k : keys) s->put(k, "v:" + k);
  for (const auto& k : keys) {
    EXPECT_EQ(s->get(k), "v:" + k) << k;
    EXPECT_TRUE(s->exists(k)) << k;
  }
  auto all = s->list("");
  ASSERT_EQ(all.size(), keys.size());
  auto sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(all[i].key, sorted[i]);
  EXPECT_EQ(s->list("dir with").size(), 1u);
  for (const auto& k : keys) s->remove(k);
  EXPECT_TRUE(s->list("").empty());
  EXPECT_EQ(checked.signature_errors(), std::vector<std::string>{});
}

TEST_F(S3StoreTest, LargeObjectStreamsThroughFiles) {
  auto dir = fixture::temp_dir("s3-large");
  const std::size_t mb = 1 << 20, total = 20 * mb;
  {
    std::ofstream out(dir + "/in.bin", std::ios::binary);
    std::string chunk(mb, '\0');
    for (std::size_t c = 0; c < total / mb; ++c) {
      for (std::size_t i = 0; i < mb; ++i) chunk[i] = static_cast<char>((c * 7919 + i * 31) % 251);
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    }
  }
  auto s = store(bucket_uri("large"));
  long rss_before = max_rss_kb();
  auto t0 = std::chrono::steady_clock::now();
  s->put_file("big.bin", dir + "/in.bin");
  auto t1 = std::chrono::steady_clock::now();
  s->get_file("big.bin", dir + "/out/big.bin");
  auto t2 = std::chrono::steady_clock::now();
  long rss_grew_kb = max_rss_kb() - rss_before;
  EXPECT_EQ(s->head("big.bin")->size, total);
  EXPECT_EQ(sha256_file_hex(dir + "/out/big.bin"), sha256_file_hex(dir + "/in.bin"));
  // Streamed: the 20 MB never sit in memory whole (in either direction).
  EXPECT_LT(rss_grew_kb, 12 * 1024) << "peak memory grew by " << rss_grew_kb << " KiB";
  // No temporary file left beside the download.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir + "/out")) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  std::cout << "[ timing ] 20 MB put_file " << std::chrono::duration<double>(t1 - t0).count() << " s, get_file "
            << std::chrono::duration<double>(t2 - t1).count() << " s, peak memory grew " << rss_grew_kb / 1024
            << " MiB\n";
  fs::remove_all(dir);
}

TEST_F(S3StoreTest, MissingBucketIsAClearError) {
  auto s = store("s3://no-such-bucket/x");
  for (int op = 0; op < 3; ++op) {
    try {
      if (op == 0) s->put("k", "v");
      if (op == 1) s->get("k");
      if (op == 2) s->list("");
      ADD_FAILURE() << "no error for a missing bucket (op " << op << ")";
    } catch (const Error& e) {
      EXPECT_EQ(e.reason(), "bucket 'no-such-bucket' does not exist at " + server_->endpoint()) << e.what();
    }
  }
}

TEST_F(S3StoreTest, MissingKeyErrorNamesTheKey) {
  auto s = store(bucket_uri("missing"));
  auto dir = fixture::temp_dir("s3-missing");
  for (bool to_file : {false, true}) {
    try {
      if (to_file)
        s->get_file("no/such/key.bin", dir + "/key.bin");
      else
        s->get("no/such/key.bin");
      ADD_FAILURE() << "no error for a missing key";
    } catch (const Error& e) {
      EXPECT_EQ(e.where(), "s3://maskwatch-test/missing/no/such/key.bin");
      EXPECT_EQ(e.reason(), "no such object");
    }
  }
  EXPECT_TRUE(fs::is_empty(dir)) << "a failed download left a file behind";
  fs::remove_all(dir);
}

TEST_F(S3StoreTest, BadCredentialsAreRefusedWithS3sReason) {
  FaultProxy checked(server_->port(), 0, false, /*verify=*/true);
  ::setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret", 1);
  auto s = store(bucket_uri("denied"), checked.endpoint());
  ::setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
  try {
    s->put("k", "v");
    ADD_FAILURE() << "a bad signature was accepted";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("HTTP 403 SignatureDoesNotMatch"), std::string::npos) << what;
    EXPECT_NE(what.find("access denied to bucket 'maskwatch-test'"), std::string::npos) << what;
  }
  EXPECT_EQ(checked.signature_errors().size(), 1u);
  // An access key id s3rver does not know: its own 403.
  ::setenv("AWS_ACCESS_KEY_ID", "AKIDUNKNOWN", 1);
  auto unknown = store(bucket_uri("denied"));
  ::setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
  try {
    unknown->get("k");
    ADD_FAILURE() << "an unknown access key was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 403 InvalidAccessKeyId"), std::string::npos) << e.what();
  }
}

TEST_F(S3StoreTest, RetriesSlowDownThenSucceeds) {
  auto direct = store(bucket_uri("retry"));
  direct->put("seed.txt", "seed");
  aws::RetryPolicy fast{5, 0.01, 0.05};
  {
    FaultProxy proxy(server_->port(), 2);
    auto s = store(bucket_uri("retry"), proxy.endpoint(), fast);
    s->put("k.txt", "after two 503s");
    EXPECT_EQ(proxy.faulted(), 2);
    EXPECT_EQ(proxy.requests(), 3);  // two refused, one through
    EXPECT_EQ(s->get("k.txt"), "after two 503s");
    EXPECT_EQ(proxy.requests(), 4);
  }
  {
    FaultProxy proxy(server_->port(), 2, /*drop=*/true);  // connections closed without an answer
    auto s = store(bucket_uri("retry"), proxy.endpoint(), fast);
    EXPECT_EQ(s->get("seed.txt"), "seed");
    EXPECT_EQ(proxy.requests(), 3);
  }
  {
    FaultProxy proxy(server_->port(), 100);  // never recovers: gives up after max_attempts
    auto s = store(bucket_uri("retry"), proxy.endpoint(), fast);
    try {
      s->put("k.txt", "x");
      ADD_FAILURE() << "no error after five 503s";
    } catch (const Error& e) {
      std::string what = e.what();
      EXPECT_NE(what.find("HTTP 503 SlowDown"), std::string::npos) << what;
      EXPECT_NE(what.find("after 5 attempts"), std::string::npos) << what;
    }
    EXPECT_EQ(proxy.requests(), 5);
  }
  EXPECT_EQ(direct->get("k.txt"), "after two 503s");
}

TEST_F(S3StoreTest, UnreachableEndpointIsAClearError) {
  int port = fixture::free_port();  // nothing listens there
  auto s = store(bucket_uri("x"), "http://127.0.0.1:" + std::to_string(port), aws::RetryPolicy{2, 0.01, 0.02});
  try {
    s->get("k");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("after 2 attempts"), std::string::npos) << what;
    EXPECT_NE(what.find(std::to_string(port)), std::string::npos) << what;
  }
}
