#include <gtest/gtest.h>

#include "fieldbus/scan.hpp"
#include "test_site.hpp"

namespace btms::fieldbus {
namespace {

namespace dev = btms::devices;

ScanEntry entry(int address, std::uint16_t code) {
  ScanEntry e;
  e.address = address;
  e.type_code = code;
  e.type = dev::device_type_from_code(code);
  return e;
}

TEST(CompareWithConfig, MatchGivesNoLines) {
  const auto site = testing::small_site(2);
  const std::vector<ScanEntry> found{entry(1, 1), entry(2, 1), entry(50, 2), entry(51, 3),
                                     entry(60, 4)};
  EXPECT_TRUE(compare_with_config(site, "bus1", found).empty());
}

TEST(CompareWithConfig, MissingUnexpectedWrongType) {
  const auto site = testing::small_site(2);
  const std::vector<ScanEntry> found{entry(1, 1),  entry(50, 1), entry(51, 3),
                                     entry(60, 4), entry(77, 1), entry(78, 99)};
  const auto lines = compare_with_config(site, "bus1", found);
  const std::vector<std::string> expected{
      "missing: address 2 BM-CS (battery/1/2)",
      "wrong type: address 50 expected BM-GS (string/1), found BM-CS",
      "unexpected: address 77 answers as BM-CS",
      "unexpected: address 78 answers as type code 99",
  };
  EXPECT_EQ(lines, expected);
}

}  // namespace
}  // namespace btms::fieldbus
