// BM-HS string current sensor (Hall clamp) with a fixed measuring range.
#pragma once

#include "plant/device_emulator.hpp"

namespace btms::plant {

class BmHsEmulator : public DeviceEmulator {
 public:
  BmHsEmulator(int address, int string_id, int range_A);
  int string_id() const { return string_id_; }
  // Clamp or cable open: the sensor reports "disconnected" and no current.
  void set_disconnected(bool disconnected) { disconnected_ = disconnected; }

 protected:
  void latch(DeviceContext& ctx) override;

 private:
  int string_id_;
  int range_A_;
  bool disconnected_ = false;
  const devices::RegisterDef& status_;
  const devices::RegisterDef& current_;
  const devices::RegisterDef& range_;
};

}  // namespace btms::plant
