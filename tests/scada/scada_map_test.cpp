#include "scada/scada_map.hpp"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <set>
#include <sstream>

namespace btms::scada {
namespace {

const RegisterDef& def_named(UnitKind kind, std::string_view name) {
  for (const auto& def : register_defs(kind)) {
    if (def.name == name) return def;
  }
  throw std::out_of_range(std::string(name));
}

struct Published {
  UnitKind kind;
  std::string_view name;
  int offset;
  RegType type;
  double scale;
};

// The seed product family's published layout, address by address.
const Published kPublished[] = {
    {UnitKind::ups, "status", 0, RegType::u16, 1},
    {UnitKind::ups, "voltage", 1, RegType::s32, 0.01},
    {UnitKind::ups, "current", 3, RegType::s32, 0.01},
    {UnitKind::ups, "soc", 5, RegType::u16, 1},
    {UnitKind::string, "ups_id", 0, RegType::u16, 1},
    {UnitKind::string, "status", 1, RegType::u16, 1},
    {UnitKind::string, "voltage", 2, RegType::s32, 0.01},
    {UnitKind::string, "current", 4, RegType::s32, 0.01},
    {UnitKind::string, "soc", 6, RegType::u16, 1},
    {UnitKind::string, "balance", 7, RegType::u16, 0.01},
    {UnitKind::string, "state", 8, RegType::u16, 1},
    {UnitKind::string, "alarm_bits", 9, RegType::bits, 1},
    {UnitKind::string, "batteries", 10, RegType::u16, 1},
    {UnitKind::string, "ambient_temperature", 11, RegType::s16, 0.1},
    {UnitKind::string, "ambient_humidity", 12, RegType::u16, 0.1},
    {UnitKind::string, "disconnect_relay", 13, RegType::u16, 1},
    {UnitKind::string, "aux_input", 14, RegType::u16, 1},
    {UnitKind::battery, "status", 0, RegType::u16, 1},
    {UnitKind::battery, "voltage", 1, RegType::u16, 0.001},
    {UnitKind::battery, "resistance", 2, RegType::s32, 0.001},
    {UnitKind::battery, "temperature", 4, RegType::s16, 0.1},
    {UnitKind::battery, "soc", 5, RegType::u16, 1},
    {UnitKind::battery, "soh", 6, RegType::u16, 1},
};

TEST(ScadaMap, PublishedAddressesAreExact) {
  for (const auto& p : kPublished) {
    SCOPED_TRACE(p.name);
    const auto& def = def_named(p.kind, p.name);
    EXPECT_EQ(def.offset, p.offset);
    EXPECT_EQ(def.type, p.type);
    EXPECT_DOUBLE_EQ(def.scale, p.scale);
  }
}

TEST(ScadaMap, RegistersDoNotOverlapAndOursFollowThePublishedOnes) {
  for (auto kind : {UnitKind::ups, UnitKind::string, UnitKind::battery}) {
    std::set<int> used;
    int last_published = -1;
    int first_ours = 1 << 20;
    for (const auto& def : register_defs(kind)) {
      for (int i = 0; i < register_width(def.type); ++i) {
        EXPECT_TRUE(used.insert(def.offset + i).second) << def.name;
      }
      if (def.published) {
        last_published = std::max(last_published, def.offset);
      } else {
        first_ours = std::min(first_ours, def.offset);
      }
    }
    EXPECT_LT(last_published, first_ours);
  }
  // A battery block fits its stride, and the string's own block ends before battery 1.
  EXPECT_LE(block_size(UnitKind::battery), kBatteryStride);
  EXPECT_LE(block_size(UnitKind::string), kBatteryStride);
}

TEST(ScadaMap, UnitIds) {
  EXPECT_FALSE(unit_of(0));
  EXPECT_EQ(unit_of(1)->kind, UnitKind::ups);
  EXPECT_EQ(unit_of(32)->index, 32);
  EXPECT_FALSE(unit_of(33));
  EXPECT_FALSE(unit_of(100));
  EXPECT_EQ(unit_of(101)->kind, UnitKind::string);
  EXPECT_EQ(unit_of(132)->index, 32);
  EXPECT_FALSE(unit_of(133));
  EXPECT_FALSE(unit_of(255));
}

struct EncodeCase {
  RegType type;
  double value;
  double scale;
  std::uint32_t raw;
};

TEST(ScadaMap, EncodingIncludingNegativesLongsAndClamping) {
  const EncodeCase cases[] = {
      {RegType::u16, 13.545, 0.001, 13545},
      {RegType::u16, -1.0, 1, 0},
      {RegType::u16, 1e9, 1, 0xFFFE},  // never the not-available code
      {RegType::s16, 25.34, 0.1, 253},
      {RegType::s16, -12.5, 0.1, static_cast<std::uint16_t>(-125)},
      {RegType::s16, -1e9, 0.1, static_cast<std::uint16_t>(-32767)},
      {RegType::s32, 542.37, 0.01, 54237},
      {RegType::s32, -123.45, 0.01, static_cast<std::uint32_t>(-12345)},
      {RegType::s32, 1e12, 0.01, 0x7FFFFFFF},
      {RegType::s32, -1e12, 0.01, static_cast<std::uint32_t>(-0x7FFFFFFF)},
      {RegType::s32, 4.321, 0.001, 4321},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.value);
    EXPECT_EQ(encode(c.type, c.value, c.scale), c.raw);
  }
  EXPECT_EQ(not_available(RegType::u16), 0xFFFFu);
  EXPECT_EQ(not_available(RegType::bits), 0xFFFFu);
  EXPECT_EQ(not_available(RegType::s16), 0x8000u);
  EXPECT_EQ(not_available(RegType::s32), 0x80000000u);
}

TEST(ScadaMap, ChannelPatterns) {
  model::Site site;
  model::String s;
  s.id = 3;
  s.batteries = 10;
  s.ambient_th = 2;
  s.relay_feedback = model::IoPoint{1, 5};
  site.strings.push_back(s);
  EXPECT_EQ(*channel_for(def_named(UnitKind::battery, "voltage"), site, 0, 3, 17),
            "battery/3/17/voltage");
  EXPECT_EQ(*channel_for(def_named(UnitKind::string, "ambient_temperature"), site, 0, 3, 0),
            "ambient/2/temperature");
  EXPECT_EQ(*channel_for(def_named(UnitKind::string, "aux_input"), site, 0, 3, 0), "lc/1/input/5");
  EXPECT_EQ(*channel_for(def_named(UnitKind::ups, "current"), site, 4, 0, 0), "ups/4/current");
  site.strings[0].ambient_th = 0;
  site.strings[0].relay_feedback.reset();
  EXPECT_FALSE(channel_for(def_named(UnitKind::string, "ambient_humidity"), site, 0, 3, 0));
  EXPECT_FALSE(channel_for(def_named(UnitKind::string, "aux_input"), site, 0, 3, 0));
}

TEST(ScadaMap, WritableRegistersAreTheAcknowledgementCommandsOnly) {
  struct Case {
    UnitKind kind;
    int address;
    const char* name;  // nullptr = not writable
  };
  const Case cases[] = {
      {UnitKind::ups, 10, "acknowledge_ups"},
      {UnitKind::ups, 11, "acknowledge_site"},
      {UnitKind::string, 24, "acknowledge_string"},
      {UnitKind::ups, 0, nullptr},
      {UnitKind::ups, 9, nullptr},
      {UnitKind::ups, 24, nullptr},
      {UnitKind::string, 23, nullptr},
      {UnitKind::string, 10, nullptr},
      {UnitKind::string, 124, nullptr},
      {UnitKind::battery, 0, nullptr},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << static_cast<int>(c.kind) << " @" << c.address);
    const auto* def = writable_register(c.kind, c.address);
    if (c.name == nullptr) {
      EXPECT_EQ(def, nullptr);
    } else {
      ASSERT_NE(def, nullptr);
      EXPECT_EQ(def->name, c.name);
      EXPECT_EQ(def->source, Source::command);
      EXPECT_FALSE(def->published);
    }
  }
  // The value a meaning text names is the constant the server checks.
  const auto value_text = fmt::format("0x{:04X}", kAcknowledgeValue);
  for (auto kind : {UnitKind::ups, UnitKind::string, UnitKind::battery}) {
    for (const auto& def : register_defs(kind)) {
      if (def.source != Source::command) continue;
      EXPECT_NE(def.meaning.find(value_text), std::string_view::npos) << def.name;
    }
  }
  EXPECT_NE(render_scada_docs().find("**" + value_text + "**"), std::string::npos);
}

TEST(ScadaDocs, CheckedInFileMatchesTheMap) {
  std::ifstream in(std::string(BTMS_SOURCE_DIR) + "/docs/scada-modbus.md");
  ASSERT_TRUE(in) << "docs/scada-modbus.md is missing; run: build/btms docs scada > "
                     "docs/scada-modbus.md";
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), render_scada_docs())
      << "docs/scada-modbus.md is out of date; run: build/btms docs scada > docs/scada-modbus.md";
}

TEST(ScadaDocs, StatesWordOrderAndNotAvailable) {
  const auto docs = render_scada_docs();
  EXPECT_NE(docs.find("high word first"), std::string::npos);
  EXPECT_NE(docs.find("0x80000000"), std::string::npos);
  EXPECT_NE(docs.find("`battery/{s}/{b}/voltage`"), std::string::npos);
}

}  // namespace
}  // namespace btms::scada
