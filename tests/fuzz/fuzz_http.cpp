// HTTP requests (method, path, query, headers, bodies, multipart forms, one
// or several on a connection) through maskwatch serve's own handling:
// Server::answer runs the bytes through the connection layer, the routes
// and their error answers as a socket's would be. The server serves a store
// made here with a tiny hand-built classifier and the shipped face detector.
// Every answer must be an HTTP response; a crash, a sanitizer report, an
// exception escaping or a 500 (an unexpected failure caught) is a finding.
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string_view>
#include <vector>

#include "core/hash.h"
#include "fuzz.h"
#include "infer/plain_net.h"
#include "model/model_ref.h"
#include "server/server.h"

namespace {

constexpr int kInputSize = 16;     // the classifier's crops (the least a model may have)
constexpr long kMaxPixels = 4096;  // photos decoded at most (64 x 64)
constexpr std::size_t kMaxBody = 65536;

// A classifier of three labels: the crop's mean colour, then a linear layer.
std::string tiny_classifier() {
  mw::PlainNet net;
  net.input_size = kInputSize;
  net.classes = 3;
  net.mean = {120.f, 115.f, 100.f};
  net.inv_scale = {1 / 60.f, 1 / 58.f, 1 / 62.f};
  mw::PlainOp pool;
  pool.kind = mw::PlainOp::Kind::GlobalAvgPool, pool.in = 0, pool.out = 1, pool.cin = 3, pool.cout = 3;
  mw::PlainOp linear;
  linear.kind = mw::PlainOp::Kind::Linear, linear.in = 1, linear.out = 2, linear.cin = 3, linear.cout = 3;
  linear.weight = 0, linear.bias = 9;
  net.params = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0.1f, 0.2f, 0.3f};
  net.ops = {pool, linear};
  net.buffers = 3;
  net.plan();
  return net.to_bytes();
}

void write(const std::filesystem::path& file, const std::string& bytes) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << bytes;
}

// A store holding only the tiny classifier, as `latest`.
std::string make_store() {
  char tmpl[] = "/tmp/fuzz-http-XXXXXX";
  const std::filesystem::path store = ::mkdtemp(tmpl);
  const std::string weights = tiny_classifier();
  const mw::json meta = {{"id", "fuzz"},
                         {"arch", "resnet18"},
                         {"labels", {"with_mask", "without_mask", "mask_weared_incorrect"}},
                         {"input_size", kInputSize},
                         {"plain_sha256", mw::sha256_hex(weights)}};
  write(store / "models/fuzz" / mw::kPlainWeightsFile, weights);
  write(store / "models/fuzz/model.json", meta.dump());
  write(store / mw::kLatestKey, "fuzz");
  return store.string();
}

struct Served {
  std::string store = make_store();
  std::unique_ptr<mw::Server> server;
  Served() {
    ::setenv("MASKWATCH_DETECTOR_DIR", MASKWATCH_FUZZ_DETECTOR_DIR, 0);
    mw::ServeOptions o;
    o.store = store;
    o.threads = 1;
    o.max_pixels = kMaxPixels;
    o.max_body_bytes = kMaxBody;
    o.access_log = mw::ServeOptions::AccessLog::None;
    server = std::make_unique<mw::Server>(o);
  }
  ~Served() {
    server.reset();
    std::filesystem::remove_all(store);
  }
};

// The statuses of the responses in `out`, one after another as a client reads
// them (headers, then Content-Length bytes of body, none after HEAD's): a
// status is only read from a status line, never from a body quoting the
// request. Aborts on bytes that are not a response.
std::vector<int> statuses_of(const std::string& out) {
  constexpr std::string_view kStatusLine = "HTTP/1.1 ";
  const auto starts_response = [&](std::size_t at) { return out.compare(at, kStatusLine.size(), kStatusLine) == 0; };
  std::vector<int> statuses;
  std::size_t at = 0;
  while (at < out.size()) {
    if (!starts_response(at)) std::abort();  // every answer is a response
    statuses.push_back(std::atoi(out.c_str() + at + kStatusLine.size()));
    const std::size_t headers_end = out.find("\r\n\r\n", at);
    if (headers_end == std::string::npos) std::abort();
    const std::size_t body = headers_end + 4;
    std::string headers = out.substr(at, body - at);
    for (char& c : headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::size_t length_at = headers.find("\r\ncontent-length: ");
    const std::size_t length =
        length_at == std::string::npos ? 0 : std::strtoul(headers.c_str() + length_at + 18, nullptr, 10);
    const std::size_t after_body = body + length;
    at = after_body == out.size() || (after_body < out.size() && starts_response(after_body)) ? after_body : body;
  }
  return statuses;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Served served;
  const std::string raw = mw::fuzz::bytes_of(data, size);
  // A benchmark run is a background job over the store: not what this target reads.
  if (raw.find("/v1/benchmarks") != std::string::npos && raw.find("POST") != std::string::npos) return 0;
  // A 500 is something unexpected that the server caught (it goes on serving):
  // still a finding.
  for (const int status : statuses_of(served.server->answer(raw)))
    if (status == 500) std::abort();
  return 0;
}
