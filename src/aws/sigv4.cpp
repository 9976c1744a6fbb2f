#include "aws/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <memory>

#include "core/hash.h"
#include "core/paths.h"
#include "core/text.h"
#include "maskwatch.h"

namespace mw::aws {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string to_hex(const unsigned char* data, std::size_t len) {
  static const char* digits = "0123456789abcdef";
  std::string out(2 * len, '0');
  for (std::size_t i = 0; i < len; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  return out;
}

std::string hmac_sha256(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

// Trims a header value and collapses each run of spaces to one (SigV4's "Trimall").
std::string trim_all(const std::string& v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

Credentials credentials_from_env() {
  Credentials c{env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN")};
  if (c.access_key_id.empty()) throw Error("AWS_ACCESS_KEY_ID", "not set: AWS credentials come from the environment");
  if (c.secret_access_key.empty())
    throw Error("AWS_SECRET_ACCESS_KEY", "not set: AWS credentials come from the environment");
  return c;
}

std::string region_from_env() {
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    auto v = env(name);
    if (!v.empty()) return v;
  }
  return "us-east-1";
}

std::string uri_encode(const std::string& s, bool encode_slash) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encode_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

std::string amz_date_now() { return utc_now("%Y%m%dT%H%M%SZ"); }

std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [k, v] : query) encoded.emplace_back(uri_encode(k), uri_encode(v));
  std::sort(encoded.begin(), encoded.end());  // byte order, by name then value
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::string sha256_file_hex(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) throw Error(path, std::string("cannot open: ") + std::strerror(errno));
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buf(1 << 20);
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) EVP_DigestUpdate(ctx.get(), buf.data(), n);
  if (std::ferror(f.get())) throw Error(path, "read failed");
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &len);
  return to_hex(digest, len);
}

Signature sign(const SignRequest& req, const Credentials& creds, const std::string& region, const std::string& service,
               const std::string& amz_date) {
  if (amz_date.size() != 16) throw Error(amz_date, "x-amz-date must look like 20130524T000000Z");
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = date + "/" + region + "/" + service + "/aws4_request";

  // Every header to sign, by lower-case name; repeated names keep their order.
  std::vector<std::pair<std::string, std::string>> all;
  auto has = [&](const std::string& name) {
    return std::any_of(all.begin(), all.end(), [&](const auto& h) { return h.first == name; });
  };
  for (const auto& [k, v] : req.headers) all.emplace_back(lower_ascii(k), v);
  if (!has("host")) all.emplace_back("host", req.host);
  if (!has("x-amz-date")) all.emplace_back("x-amz-date", amz_date);
  if (!creds.session_token.empty() && !has("x-amz-security-token"))
    all.emplace_back("x-amz-security-token", creds.session_token);

  std::map<std::string, std::string> canonical;  // sorted by name
  for (const auto& [k, v] : all) {
    auto [it, fresh] = canonical.emplace(k, trim_all(v));
    if (!fresh) it->second += "," + trim_all(v);
  }
  std::string canonical_headers, signed_headers;
  for (const auto& [k, v] : canonical) {
    canonical_headers += k + ":" + v + "\n";
    if (!signed_headers.empty()) signed_headers += ';';
    signed_headers += k;
  }

  Signature sig;
  const std::string payload = req.payload_sha256.empty() ? kEmptySha256 : req.payload_sha256;
  sig.canonical_request = req.method + "\n" + (req.path.empty() ? "/" : req.path) + "\n" + canonical_query(req.query) +
                          "\n" + canonical_headers + "\n" + signed_headers + "\n" + payload;
  sig.string_to_sign = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + sha256_hex(sig.canonical_request);

  std::string key = hmac_sha256("AWS4" + creds.secret_access_key, date);
  key = hmac_sha256(key, region);
  key = hmac_sha256(key, service);
  key = hmac_sha256(key, "aws4_request");
  auto raw = hmac_sha256(key, sig.string_to_sign);
  sig.signature = to_hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  sig.authorization = "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" + scope +
                      ", SignedHeaders=" + signed_headers + ", Signature=" + sig.signature;
  sig.headers = std::move(all);
  sig.headers.emplace_back("authorization", sig.authorization);
  return sig;
}

}  // namespace mw::aws
