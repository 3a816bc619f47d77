#include "plant/bm_hs_emulator.hpp"

#include <algorithm>

namespace btms::plant {

namespace dev = btms::devices;

BmHsEmulator::BmHsEmulator(int address, int string_id, int range_A)
    : DeviceEmulator(dev::DeviceType::bm_hs, address,
                     30'000'000u + static_cast<std::uint32_t>(string_id)),
      string_id_(string_id),
      range_A_(range_A),
      status_(map().reg("status")),
      current_(map().reg("current")),
      range_(map().reg("range")) {
  put(status_, 0);
  put(range_, range_A_);
}

void BmHsEmulator::latch(DeviceContext& ctx) {
  put(range_, range_A_);
  if (disconnected_) {
    put_not_available(current_);
    put(status_, dev::bm_hs::kStatusDisconnected);
    return;
  }
  const double range = static_cast<double>(range_A_);
  // Hall sensors: noise as a small fraction of the range, reading saturates at the range.
  const double measured = ctx.model.string(string_id_).current_A + noise(ctx, 0.0005 * range);
  put(current_, std::clamp(measured, -range, range));
  put(status_, dev::bm_hs::kStatusValid);
}

}  // namespace btms::plant
