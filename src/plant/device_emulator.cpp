#include "plant/device_emulator.hpp"

namespace btms::plant {

namespace dev = btms::devices;

DeviceEmulator::DeviceEmulator(dev::DeviceType type, int address, std::uint32_t serial)
    : map_(dev::map_of(type)), address_(address), sample_counter_def_(map_.reg("sample_counter")) {
  for (const auto& def : map_.registers) {
    for (int k = 0; k < dev::register_count(def.type); ++k) {
      const auto addr = static_cast<std::size_t>(def.address + k);
      if (def.table == dev::Table::input) {
        input_valid_.at(addr) = true;
      } else {
        holding_valid_.at(addr) = true;
        holding_writable_.at(addr) = def.access != dev::Access::read;
      }
    }
  }
  // The declared blocks are read in one request each, so reserved gaps inside them read as 0
  // rather than failing the whole block.
  for (const auto& block : {map_.fast, map_.slow}) {
    for (std::size_t a = block.start; a < std::size_t{block.start} + block.count; ++a) {
      input_valid_.at(a) = true;
    }
  }
  // Until the first sample every measurement reads "not available".
  for (const auto& def : map_.registers) {
    if (def.table == dev::Table::input) put_not_available(def);
  }
  put(map_.reg("device_type"), static_cast<double>(type));
  put(map_.reg("firmware"), 1 * 256 + 4);
  put(map_.reg("serial"), serial);
  put(map_.reg("hardware_rev"), 2);
  put(sample_counter_def_, 0);
}

std::uint8_t DeviceEmulator::read_input(std::uint16_t start, std::uint16_t count,
                                        std::vector<std::uint16_t>& out) const {
  out.clear();
  for (std::size_t a = start; a < std::size_t{start} + count; ++a) {
    if (a >= kImageSize || !input_valid_[a]) return kExceptionIllegalAddress;
    out.push_back(input_[a]);
  }
  return kExceptionNone;
}

std::uint8_t DeviceEmulator::read_holding(std::uint16_t start, std::uint16_t count,
                                          std::vector<std::uint16_t>& out) const {
  out.clear();
  for (std::size_t a = start; a < std::size_t{start} + count; ++a) {
    if (a >= kImageSize || !holding_valid_[a]) return kExceptionIllegalAddress;
    out.push_back(holding_[a]);
  }
  return kExceptionNone;
}

std::uint8_t DeviceEmulator::write_holding(std::uint16_t start,
                                           std::span<const std::uint16_t> values,
                                           DeviceContext& ctx) {
  // Validate the whole range first so a rejected write changes nothing.
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::size_t a = start + i;
    if (a >= kImageSize || !holding_writable_[a]) return kExceptionIllegalAddress;
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto a = static_cast<std::uint16_t>(start + i);
    holding_[a] = values[i];
    if (a == dev::common::kSampleNow) {
      holding_[a] = 0;  // a command register, not a setting
      if (values[i] == 1) sample(ctx);
    } else {
      on_write(a, values[i], ctx);
    }
  }
  return kExceptionNone;
}

void DeviceEmulator::tick(DeviceContext& ctx) {
  on_tick(ctx);
  if (ctx.sim_time_s - last_sample_s_ >= kSelfSamplePeriod_s) sample(ctx);
}

void DeviceEmulator::sample(DeviceContext& ctx) {
  latch(ctx);
  ++sample_counter_;
  // Wraps at 65535 as the map says; encode() clamps, so write the raw word.
  input_[sample_counter_def_.address] = sample_counter_;
  last_sample_s_ = ctx.sim_time_s;
}

void DeviceEmulator::put(const dev::RegisterDef& def, double value) {
  dev::encode(def, value,
              std::span<std::uint16_t>(input_).subspan(def.address, dev::register_count(def.type)));
}

void DeviceEmulator::put_not_available(const dev::RegisterDef& def) {
  dev::encode_not_available(def.type, std::span<std::uint16_t>(input_).subspan(
                                          def.address, dev::register_count(def.type)));
}

double DeviceEmulator::noise(DeviceContext& ctx, double amplitude) {
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  return dist(ctx.rng) * amplitude;
}

}  // namespace btms::plant
