// Fuzzes the SCADA server's Modbus TCP framing and request handling (scada/modbus_frame.hpp)
// as the poll loop drives it: any byte stream is cut into ADUs by scan_frame and answered by
// handle_request, reads from a real register image and writes (06/16) through a writer. Every
// answer must be one well-formed ADU echoing the request's transaction and unit.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include "model/plant_channels.hpp"
#include "model/snapshot.hpp"
#include "model/topology.hpp"
#include "scada/modbus_frame.hpp"
#include "scada/register_image.hpp"

namespace {

// Accepts or refuses by the first register's value, so both paths are covered.
class Writer final : public btms::scada::RegisterWriter {
 public:
  std::uint8_t write_registers(int, std::uint16_t, std::span<const std::uint16_t> values) override {
    return values.empty() || values[0] % 2 == 0 ? 0 : btms::scada::kIllegalDataValue;
  }
};

std::shared_ptr<const btms::scada::RegisterImage> make_image() {
  btms::model::Site site;
  site.upses.push_back(btms::model::Ups{1, "UPS A", 200.0});
  btms::model::String s;
  s.id = 1;
  s.ups_id = 1;
  s.batteries = 4;
  site.strings.push_back(s);
  const auto channels = btms::model::build_plant_channels(site);
  btms::model::Snapshot plant;
  plant.channels = channels.directory;
  plant.samples.resize(channels.directory->size(),
                       btms::model::Sample{1.0, 1, btms::model::Quality::ok});
  return btms::scada::build_register_image(&plant, nullptr, site);
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_scada_frames: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto image = make_image();
  Writer writer;
  // The first byte picks a read-only or a writing server.
  const bool writes = size > 0 && (data[0] & 1) != 0;
  std::span<const std::uint8_t> rest(data, size);
  if (!rest.empty()) rest = rest.subspan(1);
  for (;;) {
    const auto scan = btms::scada::scan_frame(rest);
    if (scan.state != btms::scada::FrameState::complete) break;
    if (scan.size > rest.size() || scan.size > btms::scada::kMaxAduSize) fail("frame size");
    const auto adu = rest.first(scan.size);
    std::vector<std::uint8_t> out;
    if (!btms::scada::handle_request(adu, image.get(), out, writes ? &writer : nullptr)) break;
    if (out.size() < 9) fail("answer shorter than an exception");
    if (out.size() != 6u + ((out[4] << 8) | out[5])) fail("answer length field");
    if (out[0] != adu[0] || out[1] != adu[1] || out[6] != adu[6]) fail("transaction or unit");
    if (out[2] != 0 || out[3] != 0) fail("protocol id");
    if ((out[7] & 0x7F) != (adu[7] & 0x7F)) fail("function not echoed");
    rest = rest.subspan(scan.size);
  }
  return 0;
}
