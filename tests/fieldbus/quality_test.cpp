#include "fieldbus/quality.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace btms::fieldbus {
namespace {

using model::Quality;

struct ClassifyCase {
  const char* what;
  std::optional<double> value;
  bool valid;
  Range range;
  Quality expected;
};

TEST(Classify, Table) {
  const ClassifyCase cases[] = {
      {"12 V block in range", 13.5, true, battery_voltage_range(12), Quality::ok},
      {"12 V block at 20 V", 20.0, true, battery_voltage_range(12), Quality::ok},
      {"12 V block above 20 V", 20.01, true, battery_voltage_range(12), Quality::invalid},
      {"2 V cell above 3.34 V", 3.4, true, battery_voltage_range(2), Quality::invalid},
      {"2 V cell at 2.25 V", 2.25, true, battery_voltage_range(2), Quality::ok},
      {"negative voltage", -0.1, true, battery_voltage_range(12), Quality::invalid},
      {"status valid bit clear", 13.5, false, battery_voltage_range(12), Quality::invalid},
      {"not-available marker", std::nullopt, true, battery_voltage_range(12), Quality::invalid},
      {"temperature -20", -20.0, true, kBatteryTemperatureRange, Quality::ok},
      {"temperature -20.1", -20.1, true, kBatteryTemperatureRange, Quality::invalid},
      {"temperature 85", 85.0, true, kBatteryTemperatureRange, Quality::ok},
      {"temperature 85.1", 85.1, true, kBatteryTemperatureRange, Quality::invalid},
      {"resistance 0 = not measured", 0.0, true, kResistanceRange, Quality::invalid},
      {"resistance 0.1", 0.1, true, kResistanceRange, Quality::ok},
      {"resistance 50", 50.0, true, kResistanceRange, Quality::ok},
      {"resistance 50.001", 50.001, true, kResistanceRange, Quality::invalid},
      {"string 1000 V", 1000.0, true, kStringVoltageRange, Quality::ok},
      {"string 1000.1 V", 1000.1, true, kStringVoltageRange, Quality::invalid},
      {"current 440 A on 400 A", 440.0, true, current_range(400), Quality::ok},
      {"current -440 A on 400 A", -440.0, true, current_range(400), Quality::ok},
      {"current 441 A on 400 A", 441.0, true, current_range(400), Quality::invalid},
      {"current -441 A on 400 A", -441.0, true, current_range(400), Quality::invalid},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(classify(c.value, c.valid, c.range), c.expected) << c.what;
  }
}

TEST(DeviceHealth, NeverReadIsCommLost) {
  DeviceHealth h;
  EXPECT_EQ(h.effective(Quality::ok, 0), Quality::comm_lost);
}

TEST(DeviceHealth, OkWhileCounterAdvances) {
  DeviceHealth h;
  for (std::uint64_t c = 0; c < 10; ++c) {
    h.on_success(c, static_cast<std::uint16_t>(c + 100));
    EXPECT_EQ(h.effective(Quality::ok, c), Quality::ok) << c;
    EXPECT_EQ(h.effective(Quality::invalid, c), Quality::invalid) << c;
  }
}

TEST(DeviceHealth, CommLostAfterTwoFailuresKeepsFailingQuality) {
  DeviceHealth h;
  h.on_success(0, 1);
  h.on_failure(1);
  EXPECT_FALSE(h.comm_lost());
  EXPECT_EQ(h.effective(Quality::ok, 1), Quality::ok);  // one miss: value is one cycle old
  EXPECT_TRUE(h.due(2));
  h.on_failure(2);
  EXPECT_TRUE(h.comm_lost());
  EXPECT_EQ(h.effective(Quality::ok, 2), Quality::comm_lost);
  EXPECT_EQ(h.effective(Quality::invalid, 2), Quality::comm_lost);
}

TEST(DeviceHealth, StaleWhenCounterDoesNotAdvance) {
  QualityPolicy p;
  p.stale_cycles = 3;
  DeviceHealth h(p);
  h.on_success(0, 7);
  h.on_success(1, 7);
  h.on_success(2, 7);
  EXPECT_EQ(h.effective(Quality::ok, 2), Quality::ok);
  h.on_success(3, 7);
  EXPECT_EQ(h.effective(Quality::ok, 3), Quality::stale);
  EXPECT_EQ(h.effective(Quality::invalid, 3), Quality::invalid);
  h.on_success(4, 8);  // renewed
  EXPECT_EQ(h.effective(Quality::ok, 4), Quality::ok);
}

TEST(DeviceHealth, BackoffGrowsToMaxAndRecovers) {
  QualityPolicy p;
  p.max_backoff_cycles = 8;
  DeviceHealth h(p);
  h.on_success(0, 1);
  std::uint64_t cycle = 1;
  std::vector<std::uint64_t> polled;
  for (; cycle < 60; ++cycle) {
    if (!h.due(cycle)) continue;
    polled.push_back(cycle);
    h.on_failure(cycle);
  }
  // Polled at 1 and 2 (K = 2), then skipping 1, 2, 4, 8, 8, ... cycles.
  const std::vector<std::uint64_t> expected{1, 2, 4, 7, 12, 21, 30, 39, 48, 57};
  EXPECT_EQ(polled, expected);
  EXPECT_EQ(h.backoff_cycles(), 8);
  // The probe answers: back to every cycle and ok.
  h.on_success(cycle, 2);
  EXPECT_FALSE(h.comm_lost());
  EXPECT_TRUE(h.due(cycle + 1));
  EXPECT_EQ(h.effective(Quality::ok, cycle), Quality::ok);
}

}  // namespace
}  // namespace btms::fieldbus
