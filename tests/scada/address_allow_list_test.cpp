#include "scada/address_allow_list.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace btms::scada {
namespace {

struct AllowCase {
  const char* address;
  bool allowed;
};

TEST(AddressAllowList, AddressesAndCidrRanges) {
  const AddressAllowList list({"10.0.0.5", "10.0.1.0/24", "192.0.2.128/25", "127.0.0.1/32"});
  const AllowCase cases[] = {
      {"10.0.0.5", true},        {"10.0.0.4", false},   {"10.0.0.6", false},
      {"10.0.1.0", true},        {"10.0.1.255", true},  {"10.0.2.0", false},
      {"10.0.0.255", false},     {"192.0.2.128", true}, {"192.0.2.255", true},
      {"192.0.2.127", false},    {"127.0.0.1", true},   {"127.0.0.2", false},
      {"not an address", false}, {"10.0.1", false},     {"", false},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.address);
    EXPECT_EQ(list.allows(std::string(c.address)), c.allowed);
  }
}

TEST(AddressAllowList, HostBitsOfARangeAreIgnoredAndSlashZeroIsEveryone) {
  const AddressAllowList list({"10.0.1.77/24"});
  EXPECT_TRUE(list.allows(std::string("10.0.1.1")));
  EXPECT_FALSE(list.allows(std::string("10.0.0.1")));
  const AddressAllowList everyone({"0.0.0.0/0"});
  EXPECT_TRUE(everyone.allows(std::string("203.0.113.9")));
  EXPECT_TRUE(AddressAllowList().empty());
  EXPECT_FALSE(AddressAllowList().allows(std::string("127.0.0.1")));
}

TEST(AddressAllowList, RejectsMalformedEntries) {
  for (const char* bad : {"", "10.0.0", "10.0.0.256", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1",
                          "10.0.0.0/8x", "::1", "host.example"}) {
    SCOPED_TRACE(bad);
    EXPECT_THROW(AddressAllowList({bad}), std::invalid_argument);
  }
}

TEST(AddressAllowList, TextRoundTrip) {
  std::uint32_t address = 0;
  ASSERT_TRUE(parse_ipv4("10.0.1.2", address));
  EXPECT_EQ(address, 0x0A000102u);
  EXPECT_EQ(ipv4_text(address), "10.0.1.2");
}

}  // namespace
}  // namespace btms::scada
