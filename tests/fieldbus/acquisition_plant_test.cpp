// Acquisition against the virtual plant: real Modbus over loopback TCP and a pseudo-terminal.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <functional>
#include <thread>

#include "devices/register_map.hpp"
#include "fieldbus/acquisition.hpp"
#include "fieldbus/modbus_link.hpp"
#include "fieldbus/scan.hpp"
#include "model/plant_channels.hpp"
#include "plant/virtual_plant.hpp"
#include "test_site.hpp"

namespace btms::fieldbus {
namespace {

using model::Quality;
using namespace std::chrono_literals;

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

plant::PlantOptions plant_options() {
  plant::PlantOptions o;
  o.tcp_pick_free_ports = true;
  return o;
}

class PlantFixture {
 public:
  explicit PlantFixture(model::Site configured, AcquisitionOptions options = {})
      : plant(configured, plant_options()) {
    plant.start();
    site = plant.site_for_gateway();
    publisher = std::make_shared<model::SnapshotPublisher>();
    acquisition =
        std::make_unique<Acquisition>(site, model::build_plant_channels(site), publisher, options);
  }

  model::ChannelId id(const std::string& name) const {
    return *acquisition->channels().directory->find(name);
  }
  std::optional<model::Sample> sample(const std::string& name) const {
    const auto snap = publisher->latest();
    if (!snap) return std::nullopt;
    return snap->samples.at(id(name));
  }
  bool quality_is(const std::string& name, Quality q) const {
    const auto s = sample(name);
    return s && s->quality == q;
  }
  bool all_battery_values_ok() const {
    for (const auto& s : site.strings) {
      for (int p = 1; p <= s.batteries; ++p) {
        const auto b = "battery/" + std::to_string(s.id) + "/" + std::to_string(p);
        if (!quality_is(b + "/voltage", Quality::ok) ||
            !quality_is(b + "/temperature", Quality::ok)) {
          return false;
        }
      }
    }
    return true;
  }

  plant::VirtualPlant plant;
  model::Site site;
  std::shared_ptr<model::SnapshotPublisher> publisher;
  std::unique_ptr<Acquisition> acquisition;
};

// Reads one at a time (depth 1) and pipelined (the plant's TCP server answers windows of reads
// in order): the same values, the same health.
class AcquisitionPlantDepth : public ::testing::TestWithParam<int> {
 protected:
  static model::Site site(int batteries) {
    auto configured = testing::small_site(batteries);
    for (auto& bus : configured.buses) bus.pipeline_depth = GetParam();
    return configured;
  }
};
INSTANTIATE_TEST_SUITE_P(Depth, AcquisitionPlantDepth, ::testing::Values(1, 3, 16));

TEST_P(AcquisitionPlantDepth, EveryDeviceTypeIsReadAndDecoded) {
  PlantFixture f(site(4));
  f.acquisition->start();
  ASSERT_TRUE(wait_until([&] {
    return f.all_battery_values_ok() && f.quality_is("string/1/voltage", Quality::ok) &&
           f.quality_is("string/1/current", Quality::ok) &&
           f.quality_is("ambient/1/temperature", Quality::ok) &&
           f.quality_is("ambient/2/humidity", Quality::ok);
  }));
  const auto snap = f.publisher->latest();
  f.acquisition->stop();
  double model_v = 0, model_string_v = 0, model_ambient = 0;
  f.plant.with_model([&](plant::PlantModel& m) {
    model_v = m.battery(1, 2).voltage_V;
    model_string_v = m.string(1).voltage_V;
    model_ambient = m.ambient_temperature_C(1);
  });
  const auto at = [&](const std::string& n) { return snap->samples.at(f.id(n)); };
  EXPECT_NEAR(at("battery/1/2/voltage").value, model_v, 0.1);
  EXPECT_NEAR(at("string/1/voltage").value, model_string_v, 5.0);
  EXPECT_NEAR(at("ambient/1/temperature").value, model_ambient, 1.0);
  EXPECT_GT(at("battery/1/2/voltage").time_ms, 1'600'000'000'000);
  EXPECT_EQ(at("mc/watchdog_tripped").value, 0.0);
  EXPECT_EQ(at("mc/watchdog_tripped").quality, Quality::ok);
  EXPECT_GE(snap->sequence, 1u);
  EXPECT_EQ(at("bus/bus1/cycle_ms").quality, Quality::ok);
}

TEST_P(AcquisitionPlantDepth, SilentSensorIsCommLostWithinTwoCyclesAndRecovers) {
  PlantFixture f(site(4));
  f.acquisition->start();
  ASSERT_TRUE(wait_until([&] { return f.all_battery_values_ok(); }));
  // Let the cycle in progress finish so the count below starts at a cycle boundary.
  const auto c0 = f.acquisition->cycles("bus1");
  ASSERT_TRUE(wait_until([&] { return f.acquisition->cycles("bus1") > c0; }));
  const auto c1 = f.acquisition->cycles("bus1");
  f.plant.set_device_silent("bus1", 2, true);
  ASSERT_TRUE(wait_until([&] { return f.quality_is("battery/1/2/voltage", Quality::comm_lost); }));
  // The cycle during which the device fell silent may have read it already: at most 1 + 2.
  EXPECT_LE(f.acquisition->cycles("bus1") - c1, 3u);
  const auto before = f.sample("battery/1/2/voltage")->value;
  // The rest of the bus keeps being read.
  const auto t_other = f.sample("battery/1/3/voltage")->time_ms;
  const auto c2 = f.acquisition->cycles("bus1");
  ASSERT_TRUE(wait_until([&] { return f.acquisition->cycles("bus1") >= c2 + 4; }));
  EXPECT_TRUE(f.quality_is("battery/1/3/voltage", Quality::ok));
  EXPECT_GT(f.sample("battery/1/3/voltage")->time_ms, t_other);
  EXPECT_TRUE(f.quality_is("battery/1/2/voltage", Quality::comm_lost));
  EXPECT_EQ(f.sample("battery/1/2/voltage")->value, before);  // keeps its last number
  EXPECT_GT(f.sample("device/bus1/2/errors")->value, 0.0);
  EXPECT_GT(f.sample("bus/bus1/timeouts")->value, 0.0);

  f.plant.set_device_silent("bus1", 2, false);
  EXPECT_TRUE(wait_until([&] { return f.quality_is("battery/1/2/voltage", Quality::ok); }));
}

TEST(AcquisitionPlant, CommandsReachTheDevices) {
  PlantFixture f(testing::small_site(4));
  f.acquisition->start();
  ASSERT_TRUE(wait_until([&] { return f.all_battery_values_ok(); }));
  f.acquisition->submit(model::SetBalancing{1, 3, true});
  EXPECT_TRUE(wait_until([&] { return f.sample("battery/1/3/balancing")->value == 1.0; }));
  EXPECT_EQ(f.sample("battery/1/2/balancing")->value, 0.0);

  const auto relay1 = f.sample("mc/relay/1")->value;
  f.acquisition->submit(model::SetRelay{model::IoPoint{0, 5}, true});
  f.acquisition->submit(model::SetRelay{model::IoPoint{1, 2}, true});
  EXPECT_TRUE(wait_until([&] {
    return f.sample("mc/relay/5")->value == 1.0 && f.sample("lc/1/output/2")->value == 1.0;
  }));
  EXPECT_EQ(f.sample("mc/relay/1")->value, relay1);  // the other relays keep their state
  f.acquisition->submit(model::SetRelay{model::IoPoint{0, 5}, false});
  EXPECT_TRUE(wait_until([&] { return f.sample("mc/relay/5")->value == 0.0; }));
  EXPECT_EQ(f.sample("lc/1/output/2")->value, 1.0);

  f.acquisition->submit(model::SetBalancing{9, 1, true});  // no such string
  EXPECT_EQ(f.acquisition->rejected_commands(), 1u);
}

TEST(AcquisitionPlant, WatchdogFedWhileRunningTripsWhenStopped) {
  auto configured = testing::small_site(2);
  configured.mc.watchdog_timeout_s = 1;
  PlantFixture f(configured);
  f.acquisition->start();
  ASSERT_TRUE(wait_until([&] { return f.quality_is("mc/watchdog_tripped", Quality::ok); }));
  // Longer than the watchdog timeout: it must not trip while the acquisition runs.
  const auto end = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < end) {
    ASSERT_EQ(f.sample("mc/watchdog_tripped")->value, 0.0);
    std::this_thread::sleep_for(20ms);
  }
  f.acquisition->stop();
  std::this_thread::sleep_for(1500ms);
  ModbusLink link(*f.site.find_bus("bus1"));
  ASSERT_TRUE(link.ensure_connected());
  std::array<std::uint16_t, 1> status{};
  ASSERT_EQ(link.read_input(f.site.mc.address, devices::bm_mc::kStatus, status), LinkError::none);
  EXPECT_NE(status[0] & devices::bm_mc::kStatusWatchdogTripped, 0);
}

TEST(AcquisitionPlant, RtuBusWithNoiseGivesNoWrongValue) {
  auto configured = testing::small_site(6);
  auto& bus = configured.buses[0];
  bus.kind = model::BusKind::rtu;
  bus.baud = 115200;
  bus.cycle_ms = 0;
  PlantFixture f(configured);
  f.acquisition->start();
  ASSERT_TRUE(wait_until([&] { return f.all_battery_values_ok(); }))
      << "cycles " << f.acquisition->cycles("bus1") << " errors "
      << f.sample("bus/bus1/errors")->value << " timeouts " << f.sample("bus/bus1/timeouts")->value
      << " crc " << f.sample("bus/bus1/crc_errors")->value << " v1 "
      << model::to_string(f.sample("battery/1/1/voltage")->quality);
  f.plant.set_bus_noise("bus1", 0.05);
  const auto c0 = f.acquisition->cycles("bus1");
  std::uint64_t checked = 0;
  while (f.acquisition->cycles("bus1") < c0 + 25) {
    const auto snap = f.publisher->latest();
    std::vector<double> model_v(7);
    f.plant.with_model([&](plant::PlantModel& m) {
      for (int p = 1; p <= 6; ++p) model_v[static_cast<std::size_t>(p)] = m.battery(1, p).voltage_V;
    });
    for (int p = 1; p <= 6; ++p) {
      const auto& s = snap->samples.at(f.id("battery/1/" + std::to_string(p) + "/voltage"));
      if (s.quality != Quality::ok) continue;
      ++checked;
      EXPECT_NEAR(s.value, model_v[static_cast<std::size_t>(p)], 0.1) << "battery " << p;
    }
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_GT(checked, 0u);
  EXPECT_GT(f.sample("bus/bus1/crc_errors")->value + f.sample("bus/bus1/errors")->value, 0.0);
}

}  // namespace
}  // namespace btms::fieldbus

namespace btms::fieldbus {
namespace {

// Without "sample now" the devices latch on their own only once a second: polled every 20 ms,
// the sample counter stands still and the values must turn stale, never stay ok.
TEST(AcquisitionPlant, UnrenewedValuesTurnStale) {
  auto configured = testing::small_site(2);
  configured.buses[0].broadcast_sample = false;
  configured.buses[0].cycle_ms = 20;
  PlantFixture f(configured);
  f.acquisition->start();
  EXPECT_TRUE(wait_until([&] { return f.quality_is("battery/1/1/voltage", Quality::stale); }));
  EXPECT_TRUE(wait_until([&] { return f.quality_is("battery/1/1/voltage", Quality::ok); }));
}

}  // namespace
}  // namespace btms::fieldbus

namespace btms::fieldbus {
namespace {

TEST(ScanPlant, FindsEveryConfiguredDeviceAndReportsDifferences) {
  PlantFixture f(testing::small_site(3));
  const auto entries = scan_bus(*f.site.find_bus("bus1"), 1, 62, 30);
  ASSERT_EQ(entries.size(), 3u + 3u);  // 3 CS, GS, HS, MC
  EXPECT_EQ(entries.front().address, 1);
  EXPECT_EQ(entries.front().type, devices::DeviceType::bm_cs);
  EXPECT_NE(entries.front().serial, 0u);
  EXPECT_EQ(entries.back().type, devices::DeviceType::bm_mc);
  EXPECT_TRUE(compare_with_config(f.site, "bus1", entries).empty());
  // The configuration expects a fourth battery the bus does not have.
  auto more = f.site;
  more.strings[0].batteries = 4;
  const auto lines = compare_with_config(more, "bus1", entries);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "missing: address 4 BM-CS (battery/1/4)");
}

}  // namespace
}  // namespace btms::fieldbus
