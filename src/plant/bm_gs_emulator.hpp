// BM-GS string sensor: string voltage and the insulation resistance of both poles to earth.
#pragma once

#include "plant/device_emulator.hpp"

namespace btms::plant {

class BmGsEmulator : public DeviceEmulator {
 public:
  BmGsEmulator(int address, int string_id);
  int string_id() const { return string_id_; }

 protected:
  void latch(DeviceContext& ctx) override;

 private:
  int string_id_;
  const devices::RegisterDef& status_;
  const devices::RegisterDef& voltage_;
  const devices::RegisterDef& insulation_pos_;
  const devices::RegisterDef& insulation_neg_;
};

}  // namespace btms::plant
