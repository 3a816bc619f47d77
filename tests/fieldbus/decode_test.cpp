#include <gtest/gtest.h>

#include <vector>

#include "devices/register_map.hpp"
#include "fieldbus/device_plan.hpp"
#include "model/plant_channels.hpp"
#include "test_site.hpp"

namespace btms::fieldbus {
namespace {

namespace dev = btms::devices;
using model::Quality;

const ChannelReading* find(const FastDecode& d, model::ChannelId id) {
  for (const auto& r : d.readings) {
    if (r.channel == id) return &r;
  }
  return nullptr;
}

void put(const dev::DeviceMap& map, std::vector<std::uint16_t>& block, std::string_view name,
         double value) {
  const auto& def = map.reg(name);
  dev::encode(def, value,
              std::span(block).subspan(def.address - map.fast.start,
                                       static_cast<std::size_t>(dev::register_count(def.type))));
}

class DecodeTest : public ::testing::Test {
 protected:
  model::Site site = testing::small_site(4);
  model::PlantChannels channels = model::build_plant_channels(site);
  std::vector<DevicePlan> plans = plan_bus(site, channels, "bus1");

  const DevicePlan& plan_at(int address) {
    for (const auto& p : plans) {
      if (p.device.address == address) return p;
    }
    throw std::out_of_range("no plan");
  }
};

TEST_F(DecodeTest, PlanCoversEveryDeviceOfTheBus) {
  ASSERT_EQ(plans.size(), 4u + 3u);  // 4 CS, GS, HS, MC
  EXPECT_EQ(plan_at(3).device.type, dev::DeviceType::bm_cs);
  EXPECT_EQ(plan_at(3).battery.voltage, *channels.directory->find("battery/1/3/voltage"));
  EXPECT_EQ(plan_at(50).device.type, dev::DeviceType::bm_gs);
  EXPECT_EQ(plan_at(51).device.type, dev::DeviceType::bm_hs);
  EXPECT_EQ(plan_at(60).device.type, dev::DeviceType::bm_mc);
  EXPECT_TRUE(plan_bus(site, channels, "nope").empty());
}

TEST_F(DecodeTest, BatterySensor) {
  const auto& map = dev::bm_cs_map();
  std::vector<std::uint16_t> block(map.fast.count, 0);
  block[dev::bm_cs::kStatus] = dev::bm_cs::kStatusValid | dev::bm_cs::kStatusBalancing;
  put(map, block, "voltage", 13.612);
  put(map, block, "temperature", -3.4);
  put(map, block, "resistance", 4.321);
  put(map, block, "resistance_age", 12);
  put(map, block, "sample_counter", 77);
  const auto& p = plan_at(2);
  const auto d = decode_fast(p, block);
  EXPECT_EQ(d.sample_counter, 77);
  EXPECT_NEAR(find(d, p.battery.voltage)->value, 13.612, 1e-9);
  EXPECT_EQ(find(d, p.battery.voltage)->quality, Quality::ok);
  EXPECT_NEAR(find(d, p.battery.temperature)->value, -3.4, 1e-9);
  EXPECT_NEAR(find(d, p.battery.resistance)->value, 4.321, 1e-9);
  EXPECT_EQ(find(d, p.battery.resistance)->quality, Quality::ok);
  EXPECT_EQ(find(d, p.battery.balancing)->value, 1.0);
}

TEST_F(DecodeTest, BatterySensorFlags) {
  const auto& map = dev::bm_cs_map();
  std::vector<std::uint16_t> block(map.fast.count, 0);
  block[dev::bm_cs::kStatus] = dev::bm_cs::kStatusValid | dev::bm_cs::kStatusTempSensorFault;
  put(map, block, "voltage", 13.0);
  put(map, block, "temperature", 25.0);
  put(map, block, "resistance", 4.0);
  dev::encode_not_available(dev::ValueType::u16,
                            std::span(block).subspan(dev::bm_cs::kResistanceAge, 1));
  const auto& p = plan_at(1);
  auto d = decode_fast(p, block);
  EXPECT_EQ(find(d, p.battery.voltage)->quality, Quality::ok);
  EXPECT_EQ(find(d, p.battery.temperature)->quality, Quality::invalid);  // sensor fault
  EXPECT_EQ(find(d, p.battery.resistance)->quality, Quality::invalid);   // never tested
  EXPECT_EQ(find(d, p.battery.balancing)->value, 0.0);
  block[dev::bm_cs::kStatus] = 0;  // not valid
  d = decode_fast(p, block);
  EXPECT_EQ(find(d, p.battery.voltage)->quality, Quality::invalid);
}

TEST_F(DecodeTest, StringSensors) {
  const auto& gs = dev::bm_gs_map();
  std::vector<std::uint16_t> block(gs.fast.count, 0);
  block[dev::bm_gs::kStatus] = dev::bm_gs::kStatusValid;
  put(gs, block, "string_voltage", 545.67);
  put(gs, block, "insulation_pos", 1200);
  put(gs, block, "insulation_neg", 900);
  const auto& pg = plan_at(50);
  auto d = decode_fast(pg, block);
  EXPECT_NEAR(find(d, pg.string_voltage)->value, 545.67, 1e-9);
  EXPECT_EQ(find(d, pg.insulation_neg)->value, 900);

  const auto& hs = dev::bm_hs_map();
  block.assign(hs.fast.count, 0);
  block[dev::bm_hs::kStatus] = dev::bm_hs::kStatusValid;
  put(hs, block, "current", -123.45);
  const auto& ph = plan_at(51);
  d = decode_fast(ph, block);
  EXPECT_NEAR(find(d, ph.current)->value, -123.45, 1e-9);
  EXPECT_EQ(find(d, ph.current)->quality, Quality::ok);
  block[dev::bm_hs::kStatus] = dev::bm_hs::kStatusValid | dev::bm_hs::kStatusDisconnected;
  d = decode_fast(ph, block);
  EXPECT_EQ(find(d, ph.current)->quality, Quality::invalid);
}

TEST_F(DecodeTest, MasterController) {
  const auto& mc = dev::bm_mc_map();
  std::vector<std::uint16_t> block(mc.fast.count, 0);
  block[dev::bm_mc::kStatus] = dev::bm_mc::kStatusWatchdogTripped;
  block[dev::bm_mc::kInputs] = 0b101;
  block[dev::bm_mc::kRelayState] = 0b10;
  block[dev::bm_mc::lc_inputs(1)] = 0x8000;
  put(mc, block, "th[1].temperature", 23.5);
  put(mc, block, "th[1].humidity", 45.1);
  dev::encode_not_available(dev::ValueType::s16,
                            std::span(block).subspan(dev::bm_mc::th_temperature(2), 1));
  const auto& p = plan_at(60);
  const auto d = decode_fast(p, block);
  const auto& dir = *channels.directory;
  EXPECT_EQ(find(d, *dir.find("mc/input/1"))->value, 1.0);
  EXPECT_EQ(find(d, *dir.find("mc/input/2"))->value, 0.0);
  EXPECT_EQ(find(d, *dir.find("mc/input/3"))->value, 1.0);
  EXPECT_EQ(find(d, *dir.find("mc/relay/2"))->value, 1.0);
  EXPECT_EQ(find(d, *dir.find("lc/1/input/16"))->value, 1.0);
  EXPECT_EQ(find(d, channels.mc_watchdog_tripped)->value, 1.0);
  EXPECT_NEAR(find(d, *dir.find("ambient/1/temperature"))->value, 23.5, 1e-9);
  EXPECT_NEAR(find(d, *dir.find("ambient/1/humidity"))->value, 45.1, 1e-9);
  EXPECT_EQ(find(d, *dir.find("ambient/2/temperature"))->quality, Quality::invalid);
}

TEST_F(DecodeTest, ShortBlockThrows) {
  std::vector<std::uint16_t> block(3, 0);
  EXPECT_THROW(decode_fast(plan_at(1), block), std::out_of_range);
}

}  // namespace
}  // namespace btms::fieldbus
