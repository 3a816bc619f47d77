#include "scada/register_image.hpp"

#include <gtest/gtest.h>

#include "model/derived_channels.hpp"
#include "scada_fixture.hpp"

namespace btms::scada {
namespace {

using testing::Fixture;

std::int32_t long_at(std::span<const std::uint16_t> regs, std::size_t address) {
  return static_cast<std::int32_t>((static_cast<std::uint32_t>(regs[address]) << 16) |
                                   regs[address + 1]);
}

TEST(RegisterImage, EncodesStringAndBatteryValues) {
  Fixture f;
  f.set_plant("string/1/voltage", 542.37);
  f.set_plant("string/1/current", -123.45);
  f.set_plant("battery/1/2/voltage", 13.545);
  f.set_plant("battery/1/2/resistance", 4.321);
  f.set_plant("battery/1/2/temperature", -5.3);
  f.set_plant("ambient/1/temperature", 23.4);
  f.set_plant("ambient/1/humidity", 45.6);
  f.set_plant("mc/input/3", 1);
  f.set_derived("battery/1/2/soc", 87);
  f.set_derived("battery/1/2/soh", 93);
  f.set_derived("string/1/state", 2);
  f.set_derived("string/1/balance", 98.76);
  f.set_derived("string/1/relay_closed", 1);
  const auto image = build_register_image(f.plant.get(), f.derived.get(), *f.site);
  const auto s = image->unit(101);
  ASSERT_EQ(s.size(), 12012u);
  EXPECT_EQ(s[0], 1);  // UPS id
  EXPECT_EQ(s[1], 1);  // status OK
  EXPECT_EQ(long_at(s, 2), 54237);
  EXPECT_EQ(long_at(s, 4), -12345);
  EXPECT_EQ(s[7], 9876);
  EXPECT_EQ(s[8], 2);
  EXPECT_EQ(s[10], 4);
  EXPECT_EQ(static_cast<std::int16_t>(s[11]), 234);
  EXPECT_EQ(s[12], 456);
  EXPECT_EQ(s[13], 1);
  EXPECT_EQ(s[14], 1);
  EXPECT_EQ(s[23], 0);  // quality: all fresh
  EXPECT_EQ(s[200], 1);
  EXPECT_EQ(s[201], 13545);
  EXPECT_EQ(long_at(s, 202), 4321);
  EXPECT_EQ(static_cast<std::int16_t>(s[204]), -53);
  EXPECT_EQ(s[205], 87);
  EXPECT_EQ(s[206], 93);
  EXPECT_EQ(s[208], 0);
  EXPECT_EQ(image->plant_sequence(), 7u);
}

TEST(RegisterImage, MissingBatteriesAndUnitsAreDisabled) {
  Fixture f;
  const auto image = build_register_image(f.plant.get(), f.derived.get(), *f.site);
  const auto s = image->unit(101);
  EXPECT_EQ(s[500], 0);       // battery 5 of a 4-battery string: disabled
  EXPECT_EQ(s[501], 0xFFFF);  // its voltage: not available
  EXPECT_EQ(long_at(s, 502), static_cast<std::int32_t>(0x80000000u));
  const auto s3 = image->unit(103);  // string 3 is not configured
  ASSERT_FALSE(s3.empty());
  EXPECT_EQ(s3[0], 0);
  EXPECT_EQ(s3[1], 0);
  EXPECT_EQ(image->unit(2)[0], 0);  // UPS 2 not configured
  EXPECT_EQ(image->unit(1)[0], 1);
  EXPECT_TRUE(image->unit(50).empty());
  EXPECT_TRUE(image->unit(0).empty());
}

struct QualityCase {
  model::Quality quality;
  std::uint16_t code;
};

TEST(RegisterImage, NotFreshIsNotAvailableAndStatusSaysError) {
  for (const auto& c : {QualityCase{model::Quality::stale, kQualityStale},
                        QualityCase{model::Quality::comm_lost, kQualityCommLost},
                        QualityCase{model::Quality::invalid, kQualityInvalid}}) {
    SCOPED_TRACE(model::to_string(c.quality));
    Fixture f;
    f.set_plant("battery/1/3/voltage", 13.5, c.quality);
    f.set_plant("battery/1/3/temperature", -7.0, c.quality);
    f.set_plant("battery/1/3/resistance", 5.0, c.quality);
    f.set_plant("string/1/current", 12.0, c.quality);
    const auto image = build_register_image(f.plant.get(), f.derived.get(), *f.site);
    const auto s = image->unit(101);
    EXPECT_EQ(s[300], 2);  // status error
    EXPECT_EQ(s[301], 0xFFFF);
    EXPECT_EQ(s[302], 0x8000);
    EXPECT_EQ(s[303], 0x0000);
    EXPECT_EQ(s[304], 0x8000);
    EXPECT_EQ(s[308], c.code);
    EXPECT_EQ(s[200], 1);  // the neighbour is unaffected
    EXPECT_EQ(s[1], 2);
    EXPECT_EQ(s[4], 0x8000);
    EXPECT_EQ(s[23], c.code);
  }
}

TEST(RegisterImage, EngineNotAvailable) {
  Fixture f;
  f.set_plant("battery/1/1/voltage", 13.5);
  const auto image = build_register_image(f.plant.get(), nullptr, *f.site);
  const auto s = image->unit(101);
  EXPECT_EQ(s[101], 13500);   // plant values still served
  EXPECT_EQ(s[105], 0xFFFF);  // SOC from the engine: not available
  EXPECT_EQ(s[100], 2);
  EXPECT_EQ(s[108], kQualityMissing);
  EXPECT_EQ(image->unit(1)[0], 2);
  EXPECT_EQ(long_at(image->unit(1), 1), static_cast<std::int32_t>(0x80000000u));
}

TEST(RegisterImage, EngineErrorAndAlarmBits) {
  Fixture f;
  f.set_derived("battery/2/1/status", 2);
  f.set_derived("battery/2/1/alarm_bits", model::kBatteryVoltageLow | model::kBatteryCommLost);
  f.set_derived("ups/1/current", -250.5);
  const auto image = build_register_image(f.plant.get(), f.derived.get(), *f.site);
  const auto s = image->unit(102);
  EXPECT_EQ(s[100], 2);
  EXPECT_EQ(s[107], model::kBatteryVoltageLow | model::kBatteryCommLost);
  EXPECT_EQ(s[108], 0);      // values are fresh, the battery is alarmed
  EXPECT_EQ(s[11], 0x8000);  // string 2 has no BM-TH: not available...
  EXPECT_EQ(s[1], 1);        // ...but not configured, so it does not make the string error
  EXPECT_EQ(long_at(image->unit(1), 3), -25050);
}

// After a start the engine reports a battery initializing while it learns the resistance
// baseline (SOH and baseline not available yet): status 3, not error, as long as the field
// values are there.
TEST(RegisterImage, InitializingIsNotAnError) {
  Fixture f;
  f.set_derived("battery/2/1/status", 3);
  f.set_derived("battery/2/1/soh", 0.0, model::Quality::invalid);
  f.set_derived("battery/2/1/resistance_baseline", 0.0, model::Quality::invalid);
  auto image = build_register_image(f.plant.get(), f.derived.get(), *f.site);
  EXPECT_EQ(image->unit(102)[100], 3);
  EXPECT_EQ(image->unit(102)[200], 1);                                 // its neighbour, learned: OK
  f.set_plant("battery/2/1/voltage", 0.0, model::Quality::comm_lost);  // a field value lost
  image = build_register_image(f.plant.get(), f.derived.get(), *f.site);
  EXPECT_EQ(image->unit(102)[100], 2);
}

TEST(RegisterImageBuilder, ReusesThePlanAndFollowsNewValues) {
  Fixture f;
  RegisterImageBuilder builder(f.site);
  f.set_plant("battery/1/1/voltage", 12.0);
  EXPECT_EQ(builder.build(f.plant.get(), f.derived.get())->unit(101)[101], 12000);
  f.set_plant("battery/1/1/voltage", 12.5);
  EXPECT_EQ(builder.build(f.plant.get(), f.derived.get())->unit(101)[101], 12500);
  EXPECT_EQ(builder.build(nullptr, f.derived.get())->unit(101)[101], 0xFFFF);
}

}  // namespace
}  // namespace btms::scada
