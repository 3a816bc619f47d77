#include "fieldbus/command_encoding.hpp"

#include <stdexcept>

#include "devices/register_map.hpp"

namespace btms::fieldbus {

namespace dev = btms::devices;

namespace {

const model::String& string_of(const model::Site& site, int string_id, int position) {
  const auto* s = site.find_string(string_id);
  if (s == nullptr) throw std::invalid_argument("no string " + std::to_string(string_id));
  if (position < 0 || position > s->batteries) {
    throw std::invalid_argument("string " + std::to_string(string_id) + " has no battery " +
                                std::to_string(position));
  }
  return *s;
}

EncodedCommand encode(const model::Site& site, const model::SetBalancing& c) {
  const auto& s = string_of(site, c.string_id, c.position);
  if (c.position == 0) throw std::invalid_argument("balancing needs a battery position");
  return {s.bus,
          {{s.first_cs_address + c.position - 1, dev::bm_cs::kBalanceCommand,
            static_cast<std::uint16_t>(c.on ? 1 : 0), 0}}};
}

EncodedCommand encode(const model::Site& site, const model::SetRelay& c) {
  if (!site.mc.present) throw std::invalid_argument("no master controller");
  const int points = c.point.lc == 0 ? model::kMcRelays : model::kLcOutputs;
  if (c.point.lc < 0 || c.point.lc > site.mc.lc_count || c.point.index < 1 ||
      c.point.index > points) {
    throw std::invalid_argument("no relay output lc " + std::to_string(c.point.lc) + " point " +
                                std::to_string(c.point.index));
  }
  const auto bit = static_cast<std::uint16_t>(1u << (c.point.index - 1));
  const auto reg = c.point.lc == 0 ? dev::bm_mc::kRelayCommand : dev::bm_mc::lc_command(c.point.lc);
  return {site.mc.bus, {{site.mc.address, reg, static_cast<std::uint16_t>(c.on ? bit : 0), bit}}};
}

EncodedCommand encode(const model::Site& site, const model::RequestResistanceTest& c) {
  const auto& s = string_of(site, c.string_id, c.position);
  EncodedCommand out{s.bus, {}};
  const int first = c.position == 0 ? 1 : c.position;
  const int last = c.position == 0 ? s.batteries : c.position;
  for (int p = first; p <= last; ++p) {
    out.writes.push_back({s.first_cs_address + p - 1, dev::bm_cs::kResistanceTestRequest, 1, 0});
  }
  return out;
}

}  // namespace

EncodedCommand encode_command(const model::Site& site, const model::Command& command) {
  return std::visit([&](const auto& c) { return encode(site, c); }, command);
}

std::uint16_t apply_mask(std::uint16_t commanded, const RegisterWrite& write) {
  if (write.mask == 0) return write.value;
  return static_cast<std::uint16_t>((commanded & ~write.mask) | (write.value & write.mask));
}

}  // namespace btms::fieldbus
