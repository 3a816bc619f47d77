// --cert-pin parsing: the forms openssl prints and plain hex are taken, anything else refused.
#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "hmi/gateway_trust.hpp"

namespace btms::hmi {
namespace {

constexpr const char* kColons =
    "0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:"
    "EE:FF";

TEST(CertPinTest, ParsesOpensslFormAndPlainHexAlike) {
  const auto with_colons = parse_cert_pin(kColons);
  ASSERT_TRUE(with_colons);
  EXPECT_EQ((*with_colons)[0], 0x0A);
  EXPECT_EQ((*with_colons)[31], 0xFF);
  std::string plain;
  for (const char c : std::string(kColons)) {
    if (c != ':') plain += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  EXPECT_EQ(parse_cert_pin(plain), with_colons);
  EXPECT_EQ(format_cert_pin(*with_colons), kColons);
}

TEST(CertPinTest, RefusesWhatIsNotOneSha256) {
  const std::string good = kColons;
  const struct {
    std::string text;
    const char* why;
  } cases[] = {
      {"", "empty"},
      {good.substr(0, good.size() - 3), "31 bytes"},
      {good + ":00", "33 bytes"},
      {"0G" + good.substr(2), "not hex"},
      {"0A1B:" + good.substr(6), "colons not between every pair"},
      {std::string(63, 'a'), "odd number of digits"},
      {std::string(64, 'a') + " ", "trailing space"},
  };
  for (const auto& c : cases) EXPECT_FALSE(parse_cert_pin(c.text)) << c.why << ": " << c.text;
  EXPECT_TRUE(parse_cert_pin(std::string(64, 'a')));
}

}  // namespace
}  // namespace btms::hmi
