#include "devices/register_map.hpp"

#include <gtest/gtest.h>

#include <array>
#include <set>

using namespace btms::devices;

namespace {
RegisterDef make(ValueType type, double scale) {
  return RegisterDef{"x", Table::input, 0, type, scale, "", Access::read, ""};
}
}  // namespace

struct RoundTrip {
  ValueType type;
  double scale;
  double value;
  std::array<std::uint16_t, 2> words;
};

class RegisterRoundTrip : public ::testing::TestWithParam<RoundTrip> {};

TEST_P(RegisterRoundTrip, EncodesToExpectedWordsAndBack) {
  const auto& c = GetParam();
  const auto def = make(c.type, c.scale);
  std::array<std::uint16_t, 2> words{};
  encode(def, c.value, words);
  const auto n = static_cast<std::size_t>(register_count(c.type));
  for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(words[i], c.words[i]) << "word " << i;
  const auto back = decode(def, words);
  ASSERT_TRUE(back.has_value());
  EXPECT_NEAR(*back, c.value, c.scale / 2);
}

INSTANTIATE_TEST_SUITE_P(
    Types, RegisterRoundTrip,
    ::testing::Values(
        RoundTrip{ValueType::u16, 0.001, 13.512, {13512, 0}},
        RoundTrip{ValueType::s16, 0.1, -12.5, {static_cast<std::uint16_t>(-125), 0}},
        RoundTrip{ValueType::s16, 0.1, 85.0, {850, 0}},
        // 32-bit values: high word first.
        RoundTrip{ValueType::u32, 0.001, 3.456, {0, 3456}},
        RoundTrip{ValueType::u32, 1, 70000, {1, 4464}},
        RoundTrip{ValueType::s32, 0.01, 545.25, {0, 54525}},
        RoundTrip{ValueType::s32, 0.01, -120.5, {0xFFFF, static_cast<std::uint16_t>(-12050)}},
        RoundTrip{ValueType::bits16, 1, 5, {5, 0}}));

TEST(Register, NotAvailableMarkersDecodeToNothing) {
  for (auto type : {ValueType::u16, ValueType::s16, ValueType::u32, ValueType::s32}) {
    std::array<std::uint16_t, 2> words{};
    encode_not_available(type, words);
    EXPECT_FALSE(decode(make(type, 1), words).has_value());
  }
}

TEST(Register, RealValuesNeverEncodeAsTheMarker) {
  std::array<std::uint16_t, 2> words{};
  encode(make(ValueType::u16, 1), 1e9, words);
  EXPECT_TRUE(decode(make(ValueType::u16, 1), words).has_value());
  encode(make(ValueType::s16, 1), -1e9, words);
  EXPECT_TRUE(decode(make(ValueType::s16, 1), words).has_value());
  encode(make(ValueType::s32, 1), -1e12, words);
  EXPECT_TRUE(decode(make(ValueType::s32, 1), words).has_value());
}

TEST(Register, DecodeFromBlockChecksBounds) {
  const auto& cs = bm_cs_map();
  std::array<std::uint16_t, 8> block{};
  block[bm_cs::kVoltage] = 13500;
  EXPECT_DOUBLE_EQ(*decode_from_block(cs.reg("voltage"), 0, block), 13.5);
  EXPECT_THROW(decode_from_block(cs.reg("voltage"), 2, block), std::out_of_range);
}

TEST(DeviceMaps, FastBlocksFitOneRequestAndHoldEveryFastRegister) {
  for (const DeviceMap* map : all_maps()) {
    SCOPED_TRACE(std::string(device_code(map->type)));
    EXPECT_LE(map->fast.count, 125);
    std::set<std::pair<int, int>> used;  // (table, address) must be unique
    for (const auto& r : map->registers) {
      for (int k = 0; k < register_count(r.type); ++k) {
        EXPECT_TRUE(used.insert({static_cast<int>(r.table), r.address + k}).second)
            << r.name << " overlaps another register";
      }
      if (r.table == Table::input && r.address < map->slow.start) {
        EXPECT_GE(r.address, map->fast.start) << r.name;
        EXPECT_LE(r.address + register_count(r.type), map->fast.start + map->fast.count) << r.name;
      }
    }
  }
}

TEST(DeviceMaps, NamedAddressesMatchTheTables) {
  EXPECT_EQ(bm_cs_map().reg("resistance").address, bm_cs::kResistance);
  EXPECT_EQ(bm_gs_map().reg("insulation_neg").address, bm_gs::kInsulationNeg);
  EXPECT_EQ(bm_hs_map().reg("current").address, bm_hs::kCurrent);
  EXPECT_EQ(bm_mc_map().reg("th[32].humidity").address, bm_mc::th_humidity(32));
  EXPECT_EQ(bm_mc_map().reg("lc[4].outputs").address + 1, bm_mc::kFastCount);
  EXPECT_THROW(bm_cs_map().reg("nonsense"), std::out_of_range);
}
