#include "fieldbus/command_encoding.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "devices/register_map.hpp"
#include "test_site.hpp"

namespace btms::fieldbus {
namespace {

namespace dev = btms::devices;

TEST(CommandEncoding, Balancing) {
  const auto site = testing::small_site(4, true);
  auto e = encode_command(site, model::SetBalancing{1, 3, true});
  EXPECT_EQ(e.bus, "bus1");
  ASSERT_EQ(e.writes.size(), 1u);
  EXPECT_EQ(e.writes[0], (RegisterWrite{3, dev::bm_cs::kBalanceCommand, 1, 0}));
  e = encode_command(site, model::SetBalancing{2, 1, false});
  EXPECT_EQ(e.bus, "bus2");
  EXPECT_EQ(e.writes[0], (RegisterWrite{1, dev::bm_cs::kBalanceCommand, 0, 0}));
}

TEST(CommandEncoding, RelaysAreMaskedBits) {
  const auto site = testing::small_site();
  auto e = encode_command(site, model::SetRelay{model::IoPoint{0, 3}, true});
  EXPECT_EQ(e.bus, "bus1");
  EXPECT_EQ(e.writes[0], (RegisterWrite{60, dev::bm_mc::kRelayCommand, 0b100, 0b100}));
  e = encode_command(site, model::SetRelay{model::IoPoint{1, 16}, false});
  EXPECT_EQ(e.writes[0], (RegisterWrite{60, dev::bm_mc::lc_command(1), 0, 0x8000}));
}

TEST(CommandEncoding, ApplyMaskKeepsOtherBits) {
  EXPECT_EQ(apply_mask(0b1010, RegisterWrite{60, 0, 0b0001, 0b0001}), 0b1011);
  EXPECT_EQ(apply_mask(0b1011, RegisterWrite{60, 0, 0, 0b0010}), 0b1001);
  EXPECT_EQ(apply_mask(0b1011, RegisterWrite{60, 0, 5, 0}), 5);  // plain write
}

TEST(CommandEncoding, ResistanceTest) {
  const auto site = testing::small_site(4);
  auto e = encode_command(site, model::RequestResistanceTest{1, 2});
  ASSERT_EQ(e.writes.size(), 1u);
  EXPECT_EQ(e.writes[0], (RegisterWrite{2, dev::bm_cs::kResistanceTestRequest, 1, 0}));
  e = encode_command(site, model::RequestResistanceTest{1, 0});
  ASSERT_EQ(e.writes.size(), 4u);
  EXPECT_EQ(e.writes[3].address, 4);
}

TEST(CommandEncoding, RejectsWhatTheSiteDoesNotHave) {
  const auto site = testing::small_site(4);
  EXPECT_THROW(encode_command(site, model::SetBalancing{9, 1, true}), std::invalid_argument);
  EXPECT_THROW(encode_command(site, model::SetBalancing{1, 5, true}), std::invalid_argument);
  EXPECT_THROW(encode_command(site, model::SetBalancing{1, 0, true}), std::invalid_argument);
  EXPECT_THROW(encode_command(site, model::SetRelay{model::IoPoint{2, 1}, true}),
               std::invalid_argument);
  EXPECT_THROW(encode_command(site, model::SetRelay{model::IoPoint{0, 17}, true}),
               std::invalid_argument);
  EXPECT_THROW(encode_command(site, model::RequestResistanceTest{1, 5}), std::invalid_argument);
}

}  // namespace
}  // namespace btms::fieldbus
