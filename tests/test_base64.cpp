#include <gtest/gtest.h>

#include "core/base64.h"
#include "maskwatch.h"

using namespace mw;

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(plain), encoded);
    EXPECT_EQ(base64_decode(encoded), plain);
  }
}

TEST(Base64, BinaryRoundTripEveryLength) {
  std::string bytes;
  for (int i = 0; i < 300; ++i) bytes += static_cast<char>((i * 97 + 13) & 0xFF);
  for (std::size_t n = 0; n <= bytes.size(); ++n) {
    auto part = bytes.substr(0, n);
    auto enc = base64_encode(part);
    ASSERT_EQ(enc.size(), (n + 2) / 3 * 4);
    ASSERT_EQ(base64_decode(enc), part) << n;
  }
  EXPECT_EQ(base64_decode(base64_encode(std::string("\0\xff\x80", 3))), std::string("\0\xff\x80", 3));
}

TEST(Base64, SkipsLineBreaks) { EXPECT_EQ(base64_decode("Zm9v\nYmFy\r\n Zg==\n"), "foobarf"); }

TEST(Base64, RejectsInvalidInput) {
  for (const char* bad :
       {"Zg=", "Zg", "Zm9vY", "Z===", "====", "Zg==Zm9v", "Zm=v", "Zm9v!A==", "Zm9v-_==", "Zh==", "Zm9=", "Zm8=\x80"}) {
    try {
      base64_decode(bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.where(), "base64");
      EXPECT_FALSE(e.reason().empty());
    }
  }
}
