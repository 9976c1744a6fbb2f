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

#include "core/env.h"
#include "core/hash.h"
#include "core/paths.h"
#include "core/text.h"
#include "maskwatch.h"

namespace mw::aws {

namespace {

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
  Credentials c{env_or("AWS_ACCESS_KEY_ID"), env_or("AWS_SECRET_ACCESS_KEY"), env_or("AWS_SESSION_TOKEN")};
  if (c.access_key_id.empty()) throw Error("AWS_ACCESS_KEY_ID", "not set: AWS credentials come from the environment");
  if (c.secret_access_key.empty())
    throw Error("AWS_SECRET_ACCESS_KEY", "not set: AWS credentials come from the environment");
  return c;
}

std::string region_from_env() {
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    auto v = env_or(name);
    if (!v.empty()) return v;
  }
  return "us-east-1";
}

std::string endpoint_from_env(const std::string& service) {
  std::string upper;
  for (char c : service) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return env_or(("AWS_ENDPOINT_URL_" + upper).c_str(), env_or("AWS_ENDPOINT_URL"));
}

Endpoint parse_endpoint(const std::string& url, const std::string& where) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos ||
      (url.compare(0, scheme_end, "http") != 0 && url.compare(0, scheme_end, "https") != 0))
    throw Error(where, "endpoint '" + url + "' is not an http:// or https:// URL");
  auto slash = url.find('/', scheme_end + 3);
  Endpoint e;
  e.host = url.substr(scheme_end + 3, slash == std::string::npos ? std::string::npos : slash - scheme_end - 3);
  if (e.host.empty()) throw Error(where, "endpoint '" + url + "' names no host");
  e.origin = url.substr(0, scheme_end + 3) + e.host;
  e.path = slash == std::string::npos ? "" : url.substr(slash);
  return e;
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
  sig.signature = hex_encode(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  sig.authorization = "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" + scope +
                      ", SignedHeaders=" + signed_headers + ", Signature=" + sig.signature;
  sig.headers = std::move(all);
  sig.headers.emplace_back("authorization", sig.authorization);
  return sig;
}

}  // namespace mw::aws
