#include "plant/bm_gs_emulator.hpp"

namespace btms::plant {

namespace dev = btms::devices;

BmGsEmulator::BmGsEmulator(int address, int string_id)
    : DeviceEmulator(dev::DeviceType::bm_gs, address,
                     20'000'000u + static_cast<std::uint32_t>(string_id)),
      string_id_(string_id),
      status_(map().reg("status")),
      voltage_(map().reg("string_voltage")),
      insulation_pos_(map().reg("insulation_pos")),
      insulation_neg_(map().reg("insulation_neg")) {
  put(status_, 0);
}

void BmGsEmulator::latch(DeviceContext& ctx) {
  const StringState& s = ctx.model.string(string_id_);
  put(voltage_, s.voltage_V * (1.0 + noise(ctx, 0.005)));  // ±0.5 %
  put(insulation_pos_, s.insulation_pos_kOhm * (1.0 + noise(ctx, 0.02)));
  put(insulation_neg_, s.insulation_neg_kOhm * (1.0 + noise(ctx, 0.02)));
  put(status_, dev::bm_gs::kStatusValid);
}

}  // namespace btms::plant
