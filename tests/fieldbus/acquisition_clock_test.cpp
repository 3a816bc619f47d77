// Acquisition on an injected clock (the virtual plant's): sample and snapshot stamps are that
// clock's time, and the poll cycle is in that clock's time (a 10 s cycle at rate 100 is 100 ms
// of real time), as a gateway behind an accelerated plant needs.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "fieldbus/acquisition.hpp"
#include "model/plant_channels.hpp"
#include "plant/virtual_plant.hpp"
#include "test_site.hpp"

namespace btms::fieldbus {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kPlantStart_ms = 1'000'000'000'000;  // 2001: far from the system clock

TEST(AcquisitionClock, StampsAndScheduleFollowTheInjectedClock) {
  model::Site configured = testing::small_site(4);
  configured.buses[0].cycle_ms = 10'000;  // clock ms
  plant::PlantOptions plant_options;
  plant_options.tcp_pick_free_ports = true;
  // Rate 20, not more: a cycle that wakes 0.2 s of real time late on a loaded machine is then
  // 4 s of plant time late, which the gap checks below still tell apart from a broken schedule.
  plant_options.speed = 20.0;
  plant_options.start_unix_ms = kPlantStart_ms;
  plant::VirtualPlant plant(configured, plant_options);
  plant.start();
  const model::Site site = plant.site_for_gateway();
  auto publisher = std::make_shared<model::SnapshotPublisher>();
  AcquisitionOptions options;
  options.clock = plant.clock();
  Acquisition acquisition(site, model::build_plant_channels(site), publisher, options);
  const auto voltage = *acquisition.channels().directory->find("battery/1/1/voltage");
  acquisition.start();

  // Five 10-second cycles of plant time: two and a half seconds of real time at rate 20 (fifty
  // seconds on the system clock). The limit is only there so a broken schedule fails instead of
  // hanging.
  std::vector<std::int64_t> snapshot_ms;
  std::uint64_t last_sequence = 0;
  const auto wall_end = std::chrono::steady_clock::now() + 20s;
  while (snapshot_ms.size() < 5 && std::chrono::steady_clock::now() < wall_end) {
    const auto snap = publisher->latest();
    if (snap && snap->sequence != last_sequence) {
      last_sequence = snap->sequence;
      snapshot_ms.push_back(snap->time_ms);
      // Stamped on the plant's clock: after its start, nowhere near today's Unix time.
      EXPECT_GE(snap->time_ms, kPlantStart_ms);
      EXPECT_LT(snap->time_ms, kPlantStart_ms + 24LL * 3600 * 1000);
      const auto& v = snap->samples.at(voltage);
      if (v.quality == model::Quality::ok) {
        EXPECT_GE(v.time_ms, kPlantStart_ms);
        EXPECT_LE(v.time_ms, snap->time_ms);
      }
    }
    std::this_thread::sleep_for(1ms);
  }
  acquisition.stop();
  plant.stop();
  ASSERT_EQ(snapshot_ms.size(), 5u) << "the 10 s cycle did not run on the plant's clock";
  // One snapshot per cycle of 10 s clock time. The schedule is absolute (a cycle that woke late
  // is followed by one on time), so a single gap may be shorter on a busy machine; the mean
  // gap is the cycle (less a late first wake), and no gap is near what back-to-back polling
  // gives (a fraction of a second of plant time).
  const auto span_ms = snapshot_ms.back() - snapshot_ms.front();
  EXPECT_GE(span_ms / static_cast<std::int64_t>(snapshot_ms.size() - 1), 9'000);
  for (std::size_t i = 1; i < snapshot_ms.size(); ++i) {
    EXPECT_GE(snapshot_ms[i] - snapshot_ms[i - 1], 5'000) << i;
  }
}

}  // namespace
}  // namespace btms::fieldbus
