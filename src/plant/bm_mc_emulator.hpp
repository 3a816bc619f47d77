// BM-MC master controller: 16 digital inputs, 16 relays, a communication watchdog, and the BM-TH
// ambient sensors and BM-LC I/O modules it hosts. The disconnect relay of a string holds that
// string's contactor closed while energized.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "model/topology.hpp"
#include "plant/device_emulator.hpp"

namespace btms::plant {

class BmMcEmulator : public DeviceEmulator {
 public:
  explicit BmMcEmulator(const model::Site& site);

  // Raw level of a digital input (MC or BM-LC), as wired; scenarios drive it.
  void set_input(const model::IoPoint& point, bool level);
  bool watchdog_tripped() const { return tripped_; }

 protected:
  void latch(DeviceContext& ctx) override;
  void on_write(std::uint16_t address, std::uint16_t value, DeviceContext& ctx) override;
  void on_tick(DeviceContext& ctx) override;

 private:
  struct StringRelay {
    int string_id = 0;
    std::optional<model::IoPoint> relay;
    std::optional<model::IoPoint> feedback;
  };
  // modules_[0] is the MC itself, 1..4 the BM-LCs.
  static constexpr int kModules = 1 + model::kMaxLcPerMc;

  static bool bit(std::uint16_t word, int index) { return (word >> (index - 1)) & 1u; }
  std::uint16_t commanded(int module) const;
  std::uint16_t safe_state(int module) const;
  void apply_outputs(DeviceContext& ctx, bool force);
  void refresh_inputs(DeviceContext& ctx);
  void latch_status();

  std::vector<model::ThSensor> th_;
  int lc_count_ = 0;
  std::vector<StringRelay> strings_;
  std::array<std::uint16_t, kModules> input_levels_{};
  std::array<std::uint16_t, kModules> outputs_{};
  bool outputs_applied_ = false;
  bool tripped_ = false;
  bool heartbeat_seen_ = false;
  std::uint16_t last_heartbeat_value_ = 0;
  std::optional<double> last_heartbeat_wall_s_;
};

}  // namespace btms::plant
